using System.Text.Json.Nodes;
using Doctor.Faults;
using Doctor.Inventory;

namespace Doctor.Inspection;

/// <summary>
/// A policy written back in the file's own snake_case shape (for <c>GET /v1/policy</c>), with every default made
/// explicit, so what an operator reads is what is in force, and the output loads again as a policy file.
/// </summary>
public static class PolicyDocument
{
    public static JsonArray Rules(FailurePolicy policy) => [.. policy.Rules.Select(Rule)];

    public static JsonObject? Group(FailurePolicy policy) => policy.Group is not { } group
        ? null
        : new JsonObject
        {
            ["more_than"] = group.MoreThan,
            ["fault_type"] = group.FaultType,
            ["severity"] = group.Severity.Name(),
            ["probable_cause"] = group.ProbableCause,
        };

    /// <summary>The whole policy as a file: <c>version</c>, <c>rules</c> and <c>group</c>.</summary>
    public static JsonObject File(FailurePolicy policy) => new()
    {
        ["version"] = PolicyFile.Version,
        ["rules"] = Rules(policy),
        ["group"] = Group(policy),
    };

    public static JsonObject Rule(PolicyRule rule)
    {
        var o = new JsonObject { ["match"] = rule.Match };
        if (!rule.When.IsEmpty)
            o["when"] = new JsonObject([.. rule.When.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))]);
        o["target"] = rule.Target.Name();
        if (rule.IsRecovery)
        {
            o["clears"] = new JsonArray([.. rule.Clears.Select(c => (JsonNode?)c)]);
            return o;
        }

        if (rule.FaultType is not null)
            o["fault_type"] = rule.FaultType;
        o["severity"] = rule.Severity is { } severity ? severity.Name() : "from_event";
        o["effect"] = rule.Effect.Name();
        o["probable_cause"] = rule.ProbableCause;
        if (rule.Aggregate is { } a)
        {
            o["aggregate"] = new JsonObject
            {
                ["count"] = a.Count,
                ["window"] = PolicyDuration.Format(a.Window),
                ["escalate_to"] = a.EscalateTo.Name(),
                ["fault_type"] = a.FaultType,
                ["severity"] = a.Severity.Name(),
                ["probable_cause"] = a.ProbableCause,
            };
        }

        return o;
    }
}
