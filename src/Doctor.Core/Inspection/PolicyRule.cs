using System.Collections.Immutable;
using Doctor.Faults;
using Doctor.Inventory;

namespace Doctor.Inspection;

/// <summary>
/// One line of the failure policy: which events it matches, the fault it raises (or the faults it clears),
/// and what the fault does to the map.
/// </summary>
public sealed record PolicyRule
{
    /// <summary>Glob over the event type, e.g. <c>compute.host.down</c> or <c>compute.host.*.error</c>.</summary>
    public required string Match { get; init; }

    /// <summary>Resource the event names: host (<c>details.hostname</c>), server (<c>server_id</c>), device (<c>device_id</c>).</summary>
    public ResourceType Target { get; init; } = ResourceType.Host;

    /// <summary>Fault type raised; null keeps the event type.</summary>
    public string? FaultType { get; init; }

    /// <summary>Fixed severity; null means "from the event's <c>details.severity</c>" (indeterminate when absent).</summary>
    public Severity? Severity { get; init; }

    public Effect Effect { get; init; } = Effect.NotifyOnly;

    /// <summary>Abstract cause shown to tenants.</summary>
    public string ProbableCause { get; init; } = "infrastructure fault";

    /// <summary>For recovery events: globs of the fault types this event clears on the same resource.</summary>
    public ImmutableArray<string> Clears { get; init; } = [];

    public bool IsRecovery => !Clears.IsDefaultOrEmpty;
}
