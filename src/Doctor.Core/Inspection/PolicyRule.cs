using System.Collections.Immutable;
using Doctor.Faults;
using Doctor.Inventory;
using Doctor.Subscriptions;

namespace Doctor.Inspection;

/// <summary>
/// One line of the failure policy: which events it matches, the fault it raises (or the faults it clears),
/// and what the fault does to the map.
/// </summary>
public sealed record PolicyRule
{
    /// <summary>Glob over the event type, e.g. <c>compute.host.down</c> or <c>compute.host.*.error</c>.</summary>
    public required string Match { get; init; }

    /// <summary>Detail key → glob its value must match (all of them); a missing detail never matches. Empty: any details.</summary>
    public ImmutableSortedDictionary<string, string> When { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    /// <summary>Resource the event names: host (<c>details.hostname</c>), server (<c>server_id</c>), device (<c>device_id</c>).</summary>
    public ResourceType Target { get; init; } = ResourceType.Host;

    /// <summary>Fault type raised; null keeps the event type.</summary>
    public string? FaultType { get; init; }

    /// <summary>Fixed severity; null means <c>from_event</c>: the event's <c>details.severity</c> (indeterminate when absent).</summary>
    public Severity? Severity { get; init; }

    public Effect Effect { get; init; } = Effect.NotifyOnly;

    /// <summary>Abstract cause shown to tenants.</summary>
    public string ProbableCause { get; init; } = "infrastructure fault";

    /// <summary>For recovery events: globs of the fault types this event clears on the same resource.</summary>
    public ImmutableArray<string> Clears { get; init; } = [];

    /// <summary>Escalation of repeated non-critical faults on one resource (requirement 3.3.2); null: none.</summary>
    public Aggregation? Aggregate { get; init; }

    public bool IsRecovery => !Clears.IsDefaultOrEmpty;

    /// <summary>Whether an event of <paramref name="type"/> with <paramref name="details"/> falls under this rule.</summary>
    public bool Matches(string type, IReadOnlyDictionary<string, string> details)
    {
        if (!Glob.IsMatch(Match, type))
            return false;
        foreach (var (key, pattern) in When)
        {
            if (!details.TryGetValue(key, out var value) || !Glob.IsMatch(pattern, value))
                return false;
        }

        return true;
    }
}

/// <summary>
/// "<see cref="Count"/> non-critical faults on one resource within <see cref="Window"/> make it unavailable": the
/// fault that reaches the count raises an escalated root fault with <see cref="EscalateTo"/> as its effect.
/// Counted over the resource's active faults, by their recording time, so a replay escalates exactly as the first run.
/// </summary>
public sealed record Aggregation
{
    /// <summary>Faults (this one included) that escalate. Default 3: "more than two" (requirement 3.3.2).</summary>
    public int Count { get; init; } = PolicyDefaults.AggregationCount;

    /// <summary>How far back faults count. Default 60 s.</summary>
    public TimeSpan Window { get; init; } = PolicyDefaults.AggregationWindow;

    /// <summary>Effect of the escalated fault. Default <c>host_down</c>.</summary>
    public Effect EscalateTo { get; init; } = Effect.HostDown;

    /// <summary>Type of the escalated fault. Default <c>compute.host.unavailable</c>.</summary>
    public string FaultType { get; init; } = PolicyDefaults.EscalatedFaultType;

    /// <summary>Severity of the escalated fault. Default critical.</summary>
    public Severity Severity { get; init; } = Faults.Severity.Critical;

    /// <summary>Abstract cause of the escalated fault.</summary>
    public string ProbableCause { get; init; } = "repeated hardware faults";
}

/// <summary>
/// Virtual → virtual correlation (requirement 3.3.3): when more than <see cref="MoreThan"/> members of a server group
/// (<c>group_id</c>) are in error or down, the owner gets a fault on the group in addition to the per-VM faults.
/// </summary>
public sealed record GroupRule
{
    /// <summary>Members down that the group tolerates. Default 1: an ACT-STBY pair survives one loss, not two.</summary>
    public int MoreThan { get; init; } = 1;

    /// <summary>Default <c>server_group.degraded</c>.</summary>
    public string FaultType { get; init; } = "server_group.degraded";

    /// <summary>Default critical.</summary>
    public Severity Severity { get; init; } = Faults.Severity.Critical;

    public string ProbableCause { get; init; } = "redundancy of the server group lost";
}

/// <summary>Every default of the failure policy in one place (documented in docs/operations.md).</summary>
public static class PolicyDefaults
{
    public const int AggregationCount = 3;
    public static readonly TimeSpan AggregationWindow = TimeSpan.FromSeconds(60);
    public const string EscalatedFaultType = "compute.host.unavailable";

    /// <summary>Fault type of the warning a host's owners get when one of several redundant feeders fails.</summary>
    public const string RedundancyLostFaultType = "redundancy.lost";
}
