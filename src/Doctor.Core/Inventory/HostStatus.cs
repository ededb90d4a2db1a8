namespace Doctor.Inventory;

/// <summary>The host status a server shows, derived like Nova's <c>host_status</c>.</summary>
public enum HostStatus
{
    Unknown,
    Up,
    Maintenance,
    Down,
}

/// <summary>Derivation and wire names of <see cref="HostStatus"/>.</summary>
public static class HostStatuses
{
    /// <summary>DOWN (down or forced down) beats MAINTENANCE (disabled or in a session) beats UP.</summary>
    public static HostStatus Derive(Host? host)
    {
        if (host is null)
            return HostStatus.Unknown;
        if (!host.Up || host.ForcedDown)
            return HostStatus.Down;
        if (!host.Enabled || host.Maintenance is not null)
            return HostStatus.Maintenance;
        return HostStatus.Up;
    }

    public static string Name(this HostStatus status) => status switch
    {
        HostStatus.Up => "UP",
        HostStatus.Down => "DOWN",
        HostStatus.Maintenance => "MAINTENANCE",
        _ => "UNKNOWN",
    };
}
