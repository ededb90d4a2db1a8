using System.Collections.Immutable;

namespace Doctor.Inspection;

/// <summary>Ordered rules; the first whose <see cref="PolicyRule.Matches"/> fits an event decides.</summary>
public sealed class FailurePolicy
{
    public FailurePolicy(IEnumerable<PolicyRule> rules, GroupRule? group = null)
    {
        Rules = [.. rules];
        Group = group;
    }

    public ImmutableArray<PolicyRule> Rules { get; }

    /// <summary>The server-group rule; null: no group faults.</summary>
    public GroupRule? Group { get; }

    /// <summary>The rule for an event, or null when the policy does not know it.</summary>
    public PolicyRule? Find(string eventType, IReadOnlyDictionary<string, string> details)
    {
        foreach (var rule in Rules)
        {
            if (rule.Matches(eventType, details))
                return rule;
        }

        return null;
    }

    /// <summary>The built-in policy (<c>Inspection/default-policy.yaml</c>, documented in docs/operations.md).</summary>
    public static FailurePolicy Default => BuiltInPolicy.Value;
}
