using System.Collections.Immutable;
using Doctor.Faults;
using Doctor.Inventory;
using Doctor.Subscriptions;

namespace Doctor.Inspection;

/// <summary>Ordered rules; the first whose <see cref="PolicyRule.Match"/> fits an event type decides.</summary>
public sealed class FailurePolicy
{
    public FailurePolicy(IEnumerable<PolicyRule> rules) => Rules = [.. rules];

    public ImmutableArray<PolicyRule> Rules { get; }

    /// <summary>The rule for <paramref name="eventType"/>, or null when the policy does not know it.</summary>
    public PolicyRule? Find(string eventType)
    {
        foreach (var rule in Rules)
        {
            if (Glob.IsMatch(rule.Match, eventType))
                return rule;
        }

        return null;
    }

    /// <summary>The built-in policy (documented in docs/operations.md).</summary>
    public static FailurePolicy Default { get; } = new(
    [
        new PolicyRule { Match = "compute.host.down", Severity = Severity.Critical, Effect = Effect.HostDown, ProbableCause = "host failure" },
        new PolicyRule { Match = "compute.host.up", Clears = ["compute.host.down"] },
        new PolicyRule { Match = "compute.host.nic.down", Severity = Severity.Major, Effect = Effect.PortsDown, ProbableCause = "network interface failure" },
        new PolicyRule { Match = "compute.host.nic.up", Clears = ["compute.host.nic.down"] },
        new PolicyRule { Match = "compute.instance.down", Target = ResourceType.Server, Severity = Severity.Critical, Effect = Effect.ServerError, ProbableCause = "instance failure" },
        new PolicyRule { Match = "compute.instance.up", Target = ResourceType.Server, Clears = ["compute.instance.down"] },
    ]);
}
