using System.Collections.Immutable;
using Doctor.Inspection;
using Doctor.Inventory;

namespace Doctor.Faults;

/// <summary>
/// A fault raised on one resource. The root fault sits on the resource the raw event named; derived faults
/// sit on every resource it affects and point back to it through <see cref="CorrelatedFaultIds"/>.
/// </summary>
public sealed record Fault
{
    public required string FaultId { get; init; }
    public required string FaultType { get; init; }
    public required Severity Severity { get; init; }
    public required ResourceType ResourceType { get; init; }
    public required string ResourceId { get; init; }

    /// <summary>Owner of the resource; null for physical resources.</summary>
    public string? ProjectId { get; init; }

    /// <summary>The physical host the fault is about (admin only).</summary>
    public string? Host { get; init; }

    public required string EventId { get; init; }
    public required DateTimeOffset EventTime { get; init; }

    /// <summary>When the raw event was recorded; stable across a replay after a crash.</summary>
    public required DateTimeOffset RaisedAt { get; init; }

    public DateTimeOffset? ClearedAt { get; init; }
    public string? ClearedByEventId { get; init; }

    /// <summary>Abstract cause that tenants may see (never a host name or raw monitor text).</summary>
    public required string ProbableCause { get; init; }

    public bool IsRootCause { get; init; }
    public ImmutableArray<string> CorrelatedFaultIds { get; init; } = [];

    /// <summary>The monitor's raw details; admin only.</summary>
    public ImmutableSortedDictionary<string, string> Details { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    public required Effect Effect { get; init; }

    /// <summary>Raised by an admin state change rather than a monitor event; only an admin clears it.</summary>
    public bool ByAdmin { get; init; }

    /// <summary>What the resource's changed field held before this fault changed it (null when it changed nothing).</summary>
    public string? PriorValue { get; init; }

    /// <summary>For host faults: whether the host was already forced down before.</summary>
    public bool PriorForcedDown { get; init; }

    /// <summary>Why tenants are not told (<c>maintenance</c> or <c>silence:&lt;id&gt;</c>); null when they are.
    /// A suppressed fault is still recorded, applied and shown to admins.</summary>
    public string? SuppressedBy { get; init; }

    /// <summary>When later reports of the same fault arrived while it was active (the aggregation counts them);
    /// the newest few only.</summary>
    public ImmutableArray<DateTimeOffset> RepeatedAt { get; init; } = [];

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsSuppressed => SuppressedBy is not null;

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsActive => ClearedAt is null;

    /// <summary>Key of the resource in the active-fault index.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string ResourceKey => Keys.Resource(ResourceType, ResourceId);
}

/// <summary>Index keys.</summary>
public static class Keys
{
    public static string Resource(ResourceType type, string id) => type.Name() + ":" + id;
}
