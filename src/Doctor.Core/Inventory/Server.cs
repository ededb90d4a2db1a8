using System.Collections.Immutable;

namespace Doctor.Inventory;

/// <summary>A virtual machine (SPEC §2).</summary>
public sealed record Server
{
    public required string Id { get; init; }
    public string? Name { get; init; }
    public string? ProjectId { get; init; }
    public string? Host { get; init; }
    public ServerState State { get; init; } = ServerState.Normal;
    public string? GroupId { get; init; }
    public ImmutableSortedDictionary<string, string> Metadata { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>What tenants see instead of the host name.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? HostId => HostIdentity.For(ProjectId, Host);
}

/// <summary>State of a server as Doctor records it.</summary>
public enum ServerState
{
    Normal,
    Error,
    Down,
    Maintenance,
}

/// <summary>Wire names of <see cref="ServerState"/>.</summary>
public static class ServerStates
{
    public static string Name(this ServerState state) => state switch
    {
        ServerState.Normal => "normal",
        ServerState.Error => "error",
        ServerState.Down => "down",
        ServerState.Maintenance => "maintenance",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    public static bool TryParse(string? text, out ServerState state)
    {
        switch (text)
        {
            case "normal": state = ServerState.Normal; return true;
            case "error": state = ServerState.Error; return true;
            case "down": state = ServerState.Down; return true;
            case "maintenance": state = ServerState.Maintenance; return true;
            default: state = default; return false;
        }
    }
}
