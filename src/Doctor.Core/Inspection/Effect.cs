namespace Doctor.Inspection;

/// <summary>What a fault does to the resource map (SPEC §4).</summary>
public enum Effect
{
    /// <summary>Changes nothing; only notifies.</summary>
    NotifyOnly,

    /// <summary>Host down and forced down; its servers error, its ports' data plane down.</summary>
    HostDown,

    /// <summary>The host's ports' data plane down; servers stay normal.</summary>
    PortsDown,

    /// <summary>One server in error.</summary>
    ServerError,

    /// <summary>A device (switch, PDU) down; handled by the inspection issue.</summary>
    DeviceDown,
}

/// <summary>Wire names of <see cref="Effect"/>.</summary>
public static class Effects
{
    public static string Name(this Effect effect) => effect switch
    {
        Effect.HostDown => "host_down",
        Effect.PortsDown => "ports_down",
        Effect.ServerError => "server_error",
        Effect.DeviceDown => "device_down",
        _ => "notify_only",
    };

    public static bool TryParse(string? text, out Effect effect)
    {
        switch (text)
        {
            case "host_down": effect = Effect.HostDown; return true;
            case "ports_down": effect = Effect.PortsDown; return true;
            case "server_error": effect = Effect.ServerError; return true;
            case "device_down": effect = Effect.DeviceDown; return true;
            case "notify_only": effect = Effect.NotifyOnly; return true;
            default: effect = default; return false;
        }
    }
}
