using System.Collections.Immutable;

namespace Doctor.Inventory;

/// <summary>
/// A physical device that hosts (or other devices) depend on: a switch, a PDU, a NIC, a storage array (SPEC §2).
/// <see cref="Feeds"/> are the edges of the topology the inspector follows when the device fails.
/// </summary>
public sealed record Device
{
    public required string Id { get; init; }

    /// <summary>Free text (<c>switch</c>, <c>pdu</c>, <c>nic</c>, <c>storage</c>, …). Feeders of one kind are redundant
    /// to each other: a host is cut off only when all its feeders of a kind are down.</summary>
    public required string Kind { get; init; }

    public string? Zone { get; init; }

    /// <summary>Host names or device ids that depend on this device; a name that is a device id means the device.</summary>
    public ImmutableArray<string> Feeds { get; init; } = [];

    /// <summary>Operational state: true when <c>up</c>.</summary>
    public bool Up { get; init; } = true;

    public ImmutableSortedDictionary<string, string> Metadata { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public DateTimeOffset UpdatedAt { get; init; }
}
