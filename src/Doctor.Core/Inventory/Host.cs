using System.Collections.Immutable;

namespace Doctor.Inventory;

/// <summary>A compute host of the resource map (SPEC §2).</summary>
public sealed record Host
{
    public required string Name { get; init; }
    public string? Zone { get; init; }

    /// <summary>Administrative status: <c>enabled</c> or <c>disabled</c>.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Operational state: true when <c>up</c>.</summary>
    public bool Up { get; init; } = true;

    public bool ForcedDown { get; init; }
    public HostMaintenance? Maintenance { get; init; }
    public string? FirmwareVersion { get; init; }
    public string? HypervisorVersion { get; init; }
    public ImmutableSortedDictionary<string, string> Metadata { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Nova's derivation: DOWN beats MAINTENANCE beats UP.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public HostStatus Status => HostStatuses.Derive(this);
}

/// <summary>Maintenance marker of a host.</summary>
public sealed record HostMaintenance(MaintenanceState State, string SessionId, DateTimeOffset Since);

/// <summary>Where a host is in a maintenance session.</summary>
public enum MaintenanceState
{
    GoingToMaintenance,
    InMaintenance,
}
