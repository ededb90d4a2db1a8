using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Doctor.Faults;
using Doctor.Inventory;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Doctor.Inspection;

/// <summary>
/// Turns one YAML (or JSON) document into a <see cref="FailurePolicy"/>. Walks the representation model rather than
/// deserializing into classes: that way every problem is collected with its place (<c>rules[3].severity</c>) and
/// line, unknown keys are errors (a typo never silently becomes a default), and the model records stay as they are.
/// </summary>
internal sealed class PolicyReader
{
    private static readonly string[] RootKeys = ["version", "rules", "group"];
    private static readonly string[] RuleKeys = ["match", "when", "target", "fault_type", "severity", "effect", "probable_cause", "aggregate", "clears"];
    private static readonly string[] AggregateKeys = ["count", "window", "escalate_to", "fault_type", "severity", "probable_cause"];
    private static readonly string[] GroupKeys = ["more_than", "fault_type", "severity", "probable_cause"];
    private const string SeverityNames = "critical, major, minor, warning, indeterminate";
    private const string EffectNames = "host_down, device_down, ports_down, server_error, notify_only";

    private readonly List<string> _errors = [];
    private int _unlisted;

    private PolicyReader()
    {
    }

    /// <summary>The policy, or null with the problems found (capped at <see cref="DoctorConstants.MaxPolicyErrorsListed"/>).</summary>
    public static (FailurePolicy? Policy, IReadOnlyList<string> Errors) Read(string text)
    {
        var reader = new PolicyReader();
        var policy = reader.ReadDocument(text);
        if (reader._unlisted > 0)
            reader._errors.Add($"… and {reader._unlisted} more");
        return reader._errors.Count == 0 && policy is not null ? (policy, []) : (null, reader._errors);
    }

    private FailurePolicy? ReadDocument(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            Error("", "not valid YAML or JSON: " + Reason(ex), ex.Start);
            return null;
        }

        if (stream.Documents.Count == 0)
        {
            Error("", "the file is empty; a policy needs at least version: 1 and rules");
            return null;
        }

        if (stream.Documents.Count > 1)
            Error("", $"the file holds {stream.Documents.Count} YAML documents; a policy is one", stream.Documents[1].RootNode.Start);
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            Error("", "the file must be a mapping with version, rules and group", stream.Documents[0].RootNode.Start);
            return null;
        }

        var fields = Fields(root, "", RootKeys);
        ReadVersion(fields, root);
        var rules = ReadRules(fields, root);
        var group = ReadGroup(fields);
        return rules is null ? null : new FailurePolicy(rules, group);
    }

    private void ReadVersion(Dictionary<string, YamlNode> fields, YamlNode root)
    {
        if (!fields.TryGetValue("version", out var node))
        {
            Error("version", $"missing: the file must start with version: {PolicyFile.Version}", root.Start);
            return;
        }

        if (node is not YamlScalarNode { Value: var value } || value != PolicyFile.Version.ToString(CultureInfo.InvariantCulture))
            Error("version", $"{Show(node)} is not supported: this Doctor reads version {PolicyFile.Version}", node.Start);
    }

    private List<PolicyRule>? ReadRules(Dictionary<string, YamlNode> fields, YamlNode root)
    {
        if (!fields.TryGetValue("rules", out var node))
        {
            Error("rules", "missing: the file must have a list of rules (it may be empty: rules: [])", root.Start);
            return null;
        }

        if (node is not YamlSequenceNode list)
        {
            Error("rules", "must be a list of rules", node.Start);
            return null;
        }

        if (list.Children.Count > DoctorConstants.MaxPolicyRules)
        {
            Error("rules", $"{list.Children.Count} rules is more than the {DoctorConstants.MaxPolicyRules} allowed", node.Start);
            return null;
        }

        var rules = new List<PolicyRule>(list.Children.Count);
        for (var i = 0; i < list.Children.Count; i++)
        {
            if (ReadRule(list.Children[i], $"rules[{i}]") is { } rule)
                rules.Add(rule);
        }

        return rules;
    }

    private PolicyRule? ReadRule(YamlNode node, string path)
    {
        if (node is not YamlMappingNode map)
        {
            Error(path, "must be a mapping (match, severity, effect, …)", node.Start);
            return null;
        }

        var errorsBefore = _errors.Count + _unlisted;
        var f = Fields(map, path, RuleKeys);
        var match = Name(f, "match", path, required: true, glob: true);
        var when = ReadWhen(f, path);
        var target = ReadTarget(f, path);
        var faultType = Name(f, "fault_type", path, required: false, glob: false);
        var (severity, severityGiven) = ReadSeverity(f, "severity", path, allowFromEvent: true);
        var effect = ReadEffect(f, "effect", path) ?? Effect.NotifyOnly;
        var cause = Text(f, "probable_cause", path);
        var aggregate = ReadAggregate(f, path);
        var clears = ReadClears(f, path);

        if (clears is not null)
        {
            var conflicting = new[] { "severity", "effect", "aggregate" }.Where(k => f.TryGetValue(k, out var v) && !IsNull(v)).ToList();
            if (conflicting.Count > 0)
                Error(path, $"a recovery rule (with clears) must not also set {string.Join(", ", conflicting)}", map.Start);
        }
        else
        {
            CheckEffectFits(effect, target, $"{path}.effect", f.GetValueOrDefault("effect") ?? map);
            if (aggregate is not null)
            {
                var at = f["aggregate"];
                if (severityGiven && severity == Severity.Critical)
                    Error($"{path}.aggregate", "aggregation escalates repeated non-critical faults; this rule's severity is critical", at.Start);
                // The engine counts faults per host (requirement 3.3.2's "unavailable" is a host's state): refuse what
                // it would silently never escalate.
                if (target != ResourceType.Host)
                    Error($"{path}.aggregate", "aggregation is supported on host rules only (target: host)", at.Start);
                CheckEffectFits(aggregate.EscalateTo, target, $"{path}.aggregate.escalate_to", at);
            }
        }

        if (_errors.Count + _unlisted > errorsBefore || match is null)
            return null;
        var rule = new PolicyRule
        {
            Match = match,
            When = when,
            Target = target,
            FaultType = faultType,
            Severity = severity,
            Effect = effect,
            Clears = clears ?? [],
            Aggregate = aggregate,
        };
        return cause is null ? rule : rule with { ProbableCause = cause };
    }

    private ImmutableSortedDictionary<string, string> ReadWhen(Dictionary<string, YamlNode> fields, string path)
    {
        if (!fields.TryGetValue("when", out var node) || IsNull(node))
            return ImmutableSortedDictionary<string, string>.Empty;
        path += ".when";
        if (node is not YamlMappingNode map)
        {
            Error(path, "must be a mapping of detail name to glob, e.g. {severity: \"crit*\"}", node.Start);
            return ImmutableSortedDictionary<string, string>.Empty;
        }

        var when = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (keyNode, valueNode) in map.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { Length: > 0 } key } || key.Length > DoctorConstants.MaxIdentifierLength || key.Any(char.IsControl))
            {
                Error(path, $"{Show(keyNode)} is not a detail name", keyNode.Start);
                continue;
            }

            if (valueNode is not YamlScalarNode { Value: { } glob } || IsNull(valueNode))
            {
                Error($"{path}.{key}", "must be a glob text, e.g. \"crit*\"", valueNode.Start);
                continue;
            }

            when[key] = glob;
        }

        return when.ToImmutable();
    }

    private ResourceType ReadTarget(Dictionary<string, YamlNode> fields, string path)
    {
        if (!fields.TryGetValue("target", out var node) || IsNull(node))
            return ResourceType.Host;
        switch ((node as YamlScalarNode)?.Value)
        {
            case "host": return ResourceType.Host;
            case "server": return ResourceType.Server;
            case "device": return ResourceType.Device;
            default:
                Error($"{path}.target", $"{Show(node)} is not one of host, server, device", node.Start);
                return ResourceType.Host;
        }
    }

    /// <summary>The severity; null when absent or <c>from_event</c>. Given: whether the file set it at all.</summary>
    private (Severity? Severity, bool Given) ReadSeverity(Dictionary<string, YamlNode> fields, string key, string path, bool allowFromEvent)
    {
        if (!fields.TryGetValue(key, out var node) || IsNull(node))
            return (null, false);
        var text = (node as YamlScalarNode)?.Value;
        if (allowFromEvent && text == "from_event")
            return (null, true);
        // Exact lower-case names only, as on the wire: "Critical" is most likely someone else's format.
        if (text is not null && text == text.ToLowerInvariant() && Severities.TryParse(text, out var severity))
            return (severity, true);
        Error($"{path}.{key}", $"{Show(node)} is not one of {SeverityNames}{(allowFromEvent ? ", from_event" : "")}", node.Start);
        return (null, true);
    }

    private Effect? ReadEffect(Dictionary<string, YamlNode> fields, string key, string path)
    {
        if (!fields.TryGetValue(key, out var node) || IsNull(node))
            return null;
        if (Effects.TryParse((node as YamlScalarNode)?.Value, out var effect))
            return effect;
        Error($"{path}.{key}", $"{Show(node)} is not one of {EffectNames}", node.Start);
        return null;
    }

    private Aggregation? ReadAggregate(Dictionary<string, YamlNode> fields, string path)
    {
        if (!fields.TryGetValue("aggregate", out var node) || IsNull(node))
            return null;
        path += ".aggregate";
        if (node is not YamlMappingNode map)
        {
            Error(path, "must be a mapping (count, window, escalate_to, fault_type, severity, probable_cause); {} takes every default", node.Start);
            return null;
        }

        var f = Fields(map, path, AggregateKeys);
        var aggregation = new Aggregation();
        if (f.TryGetValue("count", out var countNode) && !IsNull(countNode))
        {
            if (Integer(countNode) is { } count and >= 2)
                aggregation = aggregation with { Count = count };
            else
                Error($"{path}.count", $"{Show(countNode)} must be a whole number of at least 2 (one fault alone is not a repetition)", countNode.Start);
        }

        if (f.TryGetValue("window", out var windowNode) && !IsNull(windowNode))
        {
            if (PolicyDuration.TryParse((windowNode as YamlScalarNode)?.Value, out var window) && window > TimeSpan.Zero)
                aggregation = aggregation with { Window = window };
            else
                Error($"{path}.window", $"{Show(windowNode)} must be a positive duration of at most 1 day: 60s, 2m, 500ms, 1h or a number of seconds", windowNode.Start);
        }

        if (ReadEffect(f, "escalate_to", path) is { } escalateTo)
        {
            if (escalateTo == Effect.NotifyOnly)
                Error($"{path}.escalate_to", "must not be notify_only: an escalation that changes nothing is not one", f["escalate_to"].Start);
            aggregation = aggregation with { EscalateTo = escalateTo };
        }

        if (Name(f, "fault_type", path, required: false, glob: false) is { } faultType)
            aggregation = aggregation with { FaultType = faultType };
        if (ReadSeverity(f, "severity", path, allowFromEvent: false) is ({ } severity, _))
            aggregation = aggregation with { Severity = severity };
        if (Text(f, "probable_cause", path) is { } cause)
            aggregation = aggregation with { ProbableCause = cause };
        return aggregation;
    }

    private ImmutableArray<string>? ReadClears(Dictionary<string, YamlNode> fields, string path)
    {
        if (!fields.TryGetValue("clears", out var node) || IsNull(node))
            return null;
        path += ".clears";
        if (node is not YamlSequenceNode list || list.Children.Count == 0)
        {
            Error(path, "must be a non-empty list of fault type globs, e.g. [compute.host.down]", node.Start);
            return null;
        }

        var clears = ImmutableArray.CreateBuilder<string>(list.Children.Count);
        for (var i = 0; i < list.Children.Count; i++)
        {
            if (CheckName(list.Children[i], $"{path}[{i}]", glob: true) is { } pattern)
                clears.Add(pattern);
        }

        return clears.ToImmutable();
    }

    private GroupRule? ReadGroup(Dictionary<string, YamlNode> fields)
    {
        // Absent: the default group rule; null or false: none (documented in docs/operations.md).
        if (!fields.TryGetValue("group", out var node))
            return new GroupRule();
        if (IsNull(node) || node is YamlScalarNode { Style: ScalarStyle.Plain, Value: "false" or "False" or "FALSE" })
            return null;
        if (node is YamlScalarNode { Style: ScalarStyle.Plain, Value: "true" or "True" or "TRUE" })
            return new GroupRule();
        if (node is not YamlMappingNode map)
        {
            Error("group", "must be a mapping (more_than, fault_type, severity, probable_cause), or null / false to turn group faults off", node.Start);
            return null;
        }

        var f = Fields(map, "group", GroupKeys);
        var group = new GroupRule();
        if (f.TryGetValue("more_than", out var moreNode) && !IsNull(moreNode))
        {
            if (Integer(moreNode) is { } moreThan and >= 0)
                group = group with { MoreThan = moreThan };
            else
                Error("group.more_than", $"{Show(moreNode)} must be a whole number, 0 or more", moreNode.Start);
        }

        if (Name(f, "fault_type", "group", required: false, glob: false) is { } faultType)
            group = group with { FaultType = faultType };
        if (ReadSeverity(f, "severity", "group", allowFromEvent: false) is ({ } severity, _))
            group = group with { Severity = severity };
        if (Text(f, "probable_cause", "group") is { } cause)
            group = group with { ProbableCause = cause };
        return group;
    }

    // ---- building blocks --------------------------------------------------------------------------------------

    /// <summary>The keys of a mapping; unknown keys are reported (they are most often typos of known ones).</summary>
    private Dictionary<string, YamlNode> Fields(YamlMappingNode map, string path, string[] known)
    {
        var fields = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in map.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { } key } || !known.Contains(key))
            {
                Error(path, $"unknown key {Show(keyNode)} (expected {string.Join(", ", known)})", keyNode.Start);
                continue;
            }

            fields[key] = value;
        }

        return fields;
    }

    /// <summary>A type name or a glob over type names: 1–255 characters without control characters.</summary>
    private string? Name(Dictionary<string, YamlNode> fields, string key, string path, bool required, bool glob)
    {
        if (!fields.TryGetValue(key, out var node) || IsNull(node))
        {
            if (required)
                Error($"{path}.{key}", "missing (it is required)", node?.Start);
            return null;
        }

        return CheckName(node, $"{path}.{key}", glob);
    }

    private string? CheckName(YamlNode node, string path, bool glob)
    {
        if (node is not YamlScalarNode { Value: { Length: > 0 } name } || IsNull(node))
        {
            Error(path, $"{Show(node)} must be a non-empty text", node.Start);
            return null;
        }

        if (name.Length > DoctorConstants.MaxIdentifierLength || name.Any(char.IsControl) || name.Any(char.IsWhiteSpace))
        {
            Error(path, $"{Show(node)} must be 1–{DoctorConstants.MaxIdentifierLength} characters without spaces or control characters", node.Start);
            return null;
        }

        if (!glob && name.AsSpan().IndexOfAny('*', '?') >= 0)
        {
            Error(path, $"{Show(node)} is a fault type, not a pattern: it must not contain * or ?", node.Start);
            return null;
        }

        return name;
    }

    /// <summary>Free text shown to tenants (probable causes): non-empty, at most the size of a detail value.</summary>
    private string? Text(Dictionary<string, YamlNode> fields, string key, string path)
    {
        if (!fields.TryGetValue(key, out var node) || IsNull(node))
            return null;
        if (node is not YamlScalarNode { Value: { } text } || string.IsNullOrWhiteSpace(text)
            || Encoding.UTF8.GetByteCount(text) > DoctorConstants.MaxDetailValueBytes || text.Any(c => char.IsControl(c) && c != '\n'))
        {
            Error($"{path}.{key}", $"must be a non-empty text of at most {DoctorConstants.MaxDetailValueBytes} bytes", node.Start);
            return null;
        }

        return text;
    }

    private void CheckEffectFits(Effect effect, ResourceType target, string path, YamlNode at)
    {
        var needs = effect switch
        {
            Effect.HostDown or Effect.PortsDown => ResourceType.Host,
            Effect.ServerError => ResourceType.Server,
            Effect.DeviceDown => ResourceType.Device,
            _ => target,
        };
        if (needs != target)
            Error(path, $"{effect.Name()} applies to target {needs.Name()}, but the rule's target is {target.Name()}", at.Start);
    }

    private static int? Integer(YamlNode node) =>
        node is YamlScalarNode { Value: { } text } && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    /// <summary>A node as quoted in a message: scalars by value, others by kind.</summary>
    private static string Show(YamlNode node)
    {
        if (node is not YamlScalarNode scalar)
            return node is YamlSequenceNode ? "a list" : "a mapping";
        if (IsNull(node))
            return "null";
        var value = scalar.Value ?? "";
        return "\"" + (value.Length > 60 ? value[..60] + "…" : value) + "\"";
    }

    /// <summary>YamlDotNet prefixes its messages with the span; the place is added by <see cref="Error"/> instead.</summary>
    private static string Reason(YamlException ex)
    {
        var message = ex.InnerException is { } inner && ex.Message.Contains("See inner exception", StringComparison.Ordinal) ? inner.Message : ex.Message;
        var at = message.IndexOf("): ", StringComparison.Ordinal);
        return message.StartsWith("(Line", StringComparison.Ordinal) && at >= 0 ? message[(at + 3)..] : message;
    }

    private void Error(string path, string message, Mark? at = null)
    {
        if (_errors.Count >= DoctorConstants.MaxPolicyErrorsListed)
        {
            _unlisted++;
            return;
        }

        var place = at is { Line: > 0 } mark ? $" (line {mark.Line}, column {mark.Column})" : "";
        _errors.Add(path.Length == 0 ? message + place : $"{path}: {message}{place}");
    }
}
