namespace Doctor.Inventory;

/// <summary>A virtual port of a server (SPEC §2).</summary>
public sealed record Port
{
    public required string Id { get; init; }
    public string? ServerId { get; init; }
    public string? ProjectId { get; init; }

    /// <summary>Binding host; when absent on input it is taken from the server.</summary>
    public string? Host { get; init; }

    public string? NetworkId { get; init; }

    /// <summary>Neutron status: true when <c>ACTIVE</c>.</summary>
    public bool Active { get; init; } = true;

    /// <summary>Null when unknown; otherwise true when the data plane is <c>ACTIVE</c>.</summary>
    public bool? DataPlaneUp { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public string? HostId => HostIdentity.For(ProjectId, Host);
}
