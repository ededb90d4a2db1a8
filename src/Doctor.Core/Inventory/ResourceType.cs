namespace Doctor.Inventory;

/// <summary>Kinds of resource that faults and notifications name.</summary>
public enum ResourceType
{
    Host,
    Server,
    Port,
    Device,

    /// <summary>A server group (<c>group_id</c>): faults about the group's redundancy, owned by its project.</summary>
    ServerGroup,
}

/// <summary>Wire names of <see cref="ResourceType"/>.</summary>
public static class ResourceTypes
{
    public static string Name(this ResourceType type) => type switch
    {
        ResourceType.Host => "host",
        ResourceType.Server => "server",
        ResourceType.Port => "port",
        ResourceType.Device => "device",
        ResourceType.ServerGroup => "server_group",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static bool TryParse(string? text, out ResourceType type)
    {
        switch (text)
        {
            case "host": type = ResourceType.Host; return true;
            case "server": type = ResourceType.Server; return true;
            case "port": type = ResourceType.Port; return true;
            case "device": type = ResourceType.Device; return true;
            case "server_group": type = ResourceType.ServerGroup; return true;
            default: type = default; return false;
        }
    }

    /// <summary>Physical resources are never shown to tenants.</summary>
    public static bool IsPhysical(this ResourceType type) => type is ResourceType.Host or ResourceType.Device;
}
