using System.Text;
using Doctor.Faults;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.Testing;

namespace Doctor.Core.Tests.Inspection;

public sealed class PolicyFileTests
{
    private const string Full = """
        version: 1
        rules:
          - match: compute.host.down
            when: {severity: "crit*", source: ipmi}
            target: host
            fault_type: compute.host.lost
            severity: critical
            effect: host_down
            probable_cause: host failure
          - match: compute.host.*.error
            severity: from_event
            aggregate: {count: 4, window: 2m, escalate_to: ports_down, fault_type: compute.host.flaky, severity: major, probable_cause: flaky host}
          - match: compute.host.temperature.high
            severity: warning
            aggregate: {}
          - match: compute.instance.down
            target: server
            effect: server_error
          - match: compute.host.up
            clears: [compute.host.lost, "compute.host.*.error"]
        group:
          more_than: 2
          fault_type: group.hurt
          severity: major
          probable_cause: group lost members
        """;

    private static FailurePolicy Parse(string text) => PolicyFile.Parse(text, "test.yaml");

    private static IReadOnlyList<string> Errors(string text) =>
        Assert.Throws<PolicyFileException>(() => Parse(text)).Errors;

    [Fact]
    public void Parse_FullFile_ReadsEveryKey()
    {
        var policy = Parse(Full);

        Assert.Equal(5, policy.Rules.Length);
        var down = policy.Rules[0];
        Assert.Equal("compute.host.down", down.Match);
        Assert.Equal(new Dictionary<string, string> { ["severity"] = "crit*", ["source"] = "ipmi" }, down.When);
        Assert.Equal(ResourceType.Host, down.Target);
        Assert.Equal("compute.host.lost", down.FaultType);
        Assert.Equal(Severity.Critical, down.Severity);
        Assert.Equal(Effect.HostDown, down.Effect);
        Assert.Equal("host failure", down.ProbableCause);
        Assert.Null(down.Aggregate);

        var errors = policy.Rules[1];
        Assert.Null(errors.Severity);
        Assert.Equal(Effect.NotifyOnly, errors.Effect);
        Assert.Null(errors.FaultType);
        Assert.Equal(new Aggregation { Count = 4, Window = TimeSpan.FromMinutes(2), EscalateTo = Effect.PortsDown, FaultType = "compute.host.flaky", Severity = Severity.Major, ProbableCause = "flaky host" }, errors.Aggregate);

        Assert.Equal(new Aggregation(), policy.Rules[2].Aggregate);
        Assert.Equal(ResourceType.Server, policy.Rules[3].Target);
        Assert.Null(policy.Rules[3].Severity);

        var up = policy.Rules[4];
        Assert.True(up.IsRecovery);
        Assert.Equal(new[] { "compute.host.lost", "compute.host.*.error" }, up.Clears.ToArray());
        Assert.Equal(new GroupRule { MoreThan = 2, FaultType = "group.hurt", Severity = Severity.Major, ProbableCause = "group lost members" }, policy.Group);
    }

    [Fact]
    public void Parse_RuleWithOnlyMatch_TakesTheDefaults()
    {
        var rule = Parse("version: 1\nrules:\n  - match: x.y\n").Rules.Single();

        Assert.Equal(new PolicyRule { Match = "x.y" }.ProbableCause, rule.ProbableCause);
        Assert.Equal(ResourceType.Host, rule.Target);
        Assert.Null(rule.Severity);
        Assert.Equal(Effect.NotifyOnly, rule.Effect);
        Assert.Null(rule.FaultType);
        Assert.Empty(rule.When);
        Assert.False(rule.IsRecovery);
    }

    [Fact]
    public void Parse_Json_ReadsLikeYaml()
    {
        const string json = """
            {
              "version": 1,
              "rules": [
                {"match": "compute.host.down", "when": {"severity": "crit*"}, "severity": "critical", "effect": "host_down", "probable_cause": "host failure"},
                {"match": "compute.host.temperature.high", "severity": "warning", "aggregate": {"count": 5, "window": 90}},
                {"match": "compute.host.up", "clears": ["compute.host.down"]}
              ],
              "group": null
            }
            """;

        var policy = Parse(json);

        Assert.Equal(3, policy.Rules.Length);
        Assert.Equal("crit*", policy.Rules[0].When["severity"]);
        Assert.Equal(Effect.HostDown, policy.Rules[0].Effect);
        Assert.Equal(5, policy.Rules[1].Aggregate!.Count);
        Assert.Equal(TimeSpan.FromSeconds(90), policy.Rules[1].Aggregate!.Window);
        Assert.True(policy.Rules[2].IsRecovery);
        Assert.Null(policy.Group);
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("group:\n", false)]
    [InlineData("group: null\n", false)]
    [InlineData("group: ~\n", false)]
    [InlineData("group: false\n", false)]
    [InlineData("group: true\n", true)]
    [InlineData("group: {}\n", true)]
    public void Parse_GroupKey_EnablesOrDisablesTheGroupRule(string group, bool enabled)
    {
        var policy = Parse("version: 1\nrules: []\n" + group);

        if (enabled)
            Assert.Equal(new GroupRule(), policy.Group);
        else
            Assert.Null(policy.Group);
    }

    public static TheoryData<string, string> BadFiles => new()
    {
        // Document level.
        { "", "the file is empty" },
        { "- a\n- b\n", "must be a mapping with version, rules and group" },
        { "version: 1\nrules: [\n", "not valid YAML or JSON" },
        { "rules: []\n", "version: missing" },
        { "version: 2\nrules: []\n", "version: \"2\" is not supported" },
        { "version: 1\n", "rules: missing" },
        { "version: 1\nrules: {}\n", "rules: must be a list" },
        { "version: 1\nrules: []\nrulez: []\n", "unknown key \"rulez\"" },
        { "version: 1\nrules: []\n---\nversion: 1\n", "holds 2 YAML documents" },
        // Rules.
        { "version: 1\nrules:\n  - compute.host.down\n", "rules[0]: must be a mapping" },
        { "version: 1\nrules:\n  - severity: critical\n", "rules[0].match: missing" },
        { "version: 1\nrules:\n  - match: \"\"\n", "rules[0].match: \"\" must be a non-empty text" },
        { "version: 1\nrules:\n  - match: compute host down\n", "rules[0].match: \"compute host down\" must be 1–255 characters without spaces" },
        { "version: 1\nrules:\n  - match: a\n    severty: critical\n", "rules[0]: unknown key \"severty\"" },
        { "version: 1\nrules:\n  - match: a\n  - match: b\n    severity: hgih\n", "rules[1].severity: \"hgih\" is not one of critical, major, minor, warning, indeterminate, from_event" },
        { "version: 1\nrules:\n  - match: a\n    severity: Critical\n", "rules[0].severity: \"Critical\" is not one of" },
        { "version: 1\nrules:\n  - match: a\n    effect: reboot\n", "rules[0].effect: \"reboot\" is not one of host_down, device_down, ports_down, server_error, notify_only" },
        { "version: 1\nrules:\n  - match: a\n    target: port\n", "rules[0].target: \"port\" is not one of host, server, device" },
        { "version: 1\nrules:\n  - match: a\n    fault_type: a.*\n", "rules[0].fault_type: \"a.*\" is a fault type, not a pattern" },
        { "version: 1\nrules:\n  - match: a\n    when: [severity]\n", "rules[0].when: must be a mapping of detail name to glob" },
        { "version: 1\nrules:\n  - match: a\n    when: {severity: {x: y}}\n", "rules[0].when.severity: must be a glob text" },
        { "version: 1\nrules:\n  - match: a\n    probable_cause: \"\"\n", "rules[0].probable_cause: must be a non-empty text" },
        { "version: 1\nrules:\n  - match: a\n    effect: server_error\n", "rules[0].effect: server_error applies to target server, but the rule's target is host" },
        { "version: 1\nrules:\n  - match: a\n    target: device\n    effect: host_down\n", "rules[0].effect: host_down applies to target host, but the rule's target is device" },
        // Recovery rules.
        { "version: 1\nrules:\n  - match: a.up\n    clears: [a.down]\n    effect: host_down\n    severity: critical\n", "rules[0]: a recovery rule (with clears) must not also set severity, effect" },
        { "version: 1\nrules:\n  - match: a.up\n    clears: [a.down]\n    aggregate: {}\n", "must not also set aggregate" },
        { "version: 1\nrules:\n  - match: a.up\n    clears: []\n", "rules[0].clears: must be a non-empty list" },
        { "version: 1\nrules:\n  - match: a.up\n    clears: a.down\n", "rules[0].clears: must be a non-empty list" },
        { "version: 1\nrules:\n  - match: a.up\n    clears: [a.down, \"\"]\n", "rules[0].clears[1]: \"\" must be a non-empty text" },
        // Aggregation.
        { "version: 1\nrules:\n  - match: a\n    aggregate: 3\n", "rules[0].aggregate: must be a mapping" },
        { "version: 1\nrules:\n  - match: a\n    aggregate: {count: 1}\n", "rules[0].aggregate.count: \"1\" must be a whole number of at least 2" },
        { "version: 1\nrules:\n  - match: a\n    aggregate: {count: 2.5}\n", "rules[0].aggregate.count: \"2.5\" must be a whole number" },
        { "version: 1\nrules:\n  - match: a\n    aggregate: {window: 0s}\n", "rules[0].aggregate.window: \"0s\" must be a positive duration" },
        { "version: 1\nrules:\n  - match: a\n    aggregate: {window: -5}\n", "rules[0].aggregate.window: \"-5\" must be a positive duration" },
        { "version: 1\nrules:\n  - match: a\n    aggregate: {window: soon}\n", "rules[0].aggregate.window: \"soon\" must be a positive duration" },
        { "version: 1\nrules:\n  - match: a\n    target: server\n    effect: server_error\n    severity: minor\n    aggregate: {escalate_to: server_error}\n", "rules[0].aggregate: aggregation is supported on host rules only" },
        { "version: 1\nrules:\n  - match: a\n    aggregate: {window: 2d}\n", "rules[0].aggregate.window: \"2d\"" },
        { "version: 1\nrules:\n  - match: a\n    aggregate: {escalate_to: notify_only}\n", "rules[0].aggregate.escalate_to: must not be notify_only" },
        { "version: 1\nrules:\n  - match: a\n    aggregate: {escalate_to: server_error}\n", "rules[0].aggregate.escalate_to: server_error applies to target server" },
        { "version: 1\nrules:\n  - match: a\n    aggregate: {severity: from_event}\n", "rules[0].aggregate.severity: \"from_event\" is not one of critical" },
        { "version: 1\nrules:\n  - match: a\n    aggregate: {fault_type: \"x*\"}\n", "rules[0].aggregate.fault_type: \"x*\" is a fault type, not a pattern" },
        { "version: 1\nrules:\n  - match: a\n    aggregate: {cnt: 3}\n", "rules[0].aggregate: unknown key \"cnt\"" },
        { "version: 1\nrules:\n  - match: a\n    severity: critical\n    aggregate: {}\n", "rules[0].aggregate: aggregation escalates repeated non-critical faults" },
        // Group.
        { "version: 1\nrules: []\ngroup: 3\n", "group: must be a mapping" },
        { "version: 1\nrules: []\ngroup: {more_than: -1}\n", "group.more_than: \"-1\" must be a whole number, 0 or more" },
        { "version: 1\nrules: []\ngroup: {severity: from_event}\n", "group.severity: \"from_event\" is not one of" },
        { "version: 1\nrules: []\ngroup: {morethan: 1}\n", "group: unknown key \"morethan\"" },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void Parse_InvalidFile_ErrorNamesThePlace(string text, string expected)
    {
        var errors = Errors(text);

        Assert.True(errors.Any(e => e.Contains(expected, StringComparison.Ordinal)), $"no error contains '{expected}': {string.Join(" | ", errors)}");
    }

    [Fact]
    public void Parse_SeveralProblems_ListsEveryOneWithItsLine()
    {
        const string text = """
            version: 1
            rules:
              - match: a
                severity: hgih
              - match: b
                effect: reboot
              - severity: critical
            group: {more_than: x}
            """;

        var error = Assert.Throws<PolicyFileException>(() => Parse(text));

        Assert.Equal(4, error.Errors.Count);
        Assert.Contains(error.Errors, e => e.StartsWith("rules[0].severity: \"hgih\"", StringComparison.Ordinal) && e.EndsWith("(line 4, column 15)", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("rules[1].effect: \"reboot\"", StringComparison.Ordinal) && e.Contains("(line 6,", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("rules[2].match: missing", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.StartsWith("group.more_than: \"x\"", StringComparison.Ordinal));
        Assert.Contains("test.yaml", error.Message);
        Assert.Contains("4 problems", error.Message);
    }

    [Fact]
    public void Parse_ManyProblems_ListsAHundredAndCountsTheRest()
    {
        var text = new StringBuilder("version: 1\nrules:\n");
        for (var i = 0; i < 150; i++)
            text.Append("  - match: a\n    severity: bad\n");

        var errors = Errors(text.ToString());

        Assert.Equal(DoctorConstants.MaxPolicyErrorsListed + 1, errors.Count);
        Assert.Equal("… and 50 more", errors[^1]);
    }

    [Fact]
    public void Parse_MoreThanMaxRules_IsRefused()
    {
        var text = new StringBuilder("version: 1\nrules:\n");
        for (var i = 0; i <= DoctorConstants.MaxPolicyRules; i++)
            text.Append("  - {match: a}\n");

        var errors = Errors(text.ToString());

        Assert.Equal($"rules: {DoctorConstants.MaxPolicyRules + 1} rules is more than the {DoctorConstants.MaxPolicyRules} allowed (line 3, column 3)", Assert.Single(errors));
    }

    [Fact]
    public void Parse_MaxRules_IsAccepted()
    {
        var text = new StringBuilder("version: 1\nrules:\n");
        for (var i = 0; i < DoctorConstants.MaxPolicyRules; i++)
            text.Append("  - {match: a}\n");

        Assert.Equal(DoctorConstants.MaxPolicyRules, Parse(text.ToString()).Rules.Length);
    }

    [Fact]
    public void Parse_DuplicateKey_IsAnError()
    {
        var errors = Errors("version: 1\nrules:\n  - match: a\n    match: b\n");

        Assert.Contains(errors, e => e.Contains("line 4", StringComparison.Ordinal));
    }

    [Fact]
    public void Load_FileTooLarge_IsRefused()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "big.yaml");
        File.WriteAllText(path, "version: 1\nrules: []\n# " + new string('x', DoctorConstants.MaxPolicyFileBytes));

        var error = Assert.Throws<PolicyFileException>(() => PolicyFile.Load(path));

        Assert.Equal(path, error.File);
        Assert.Contains("larger than 1 MiB", Assert.Single(error.Errors));
    }

    [Fact]
    public void Load_MissingFile_NamesIt()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "absent.yaml");

        var error = Assert.Throws<PolicyFileException>(() => PolicyFile.Load(path));

        Assert.Contains(path, error.Message);
        Assert.StartsWith("cannot be read", Assert.Single(error.Errors));
    }

    [Fact]
    public void Load_InvalidUtf8_IsRefused()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "latin1.yaml");
        File.WriteAllBytes(path, [.. "version: 1\nrules: []\n# "u8, 0xE9, (byte)'\n']);

        var error = Assert.Throws<PolicyFileException>(() => PolicyFile.Load(path));

        Assert.Equal("the file is not valid UTF-8", Assert.Single(error.Errors));
    }

    [Fact]
    public void Load_GoodFileWithBom_Loads()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "policy.yaml");
        File.WriteAllText(path, Full, new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));

        Assert.Equal(5, PolicyFile.Load(path).Rules.Length);
    }

    [Fact]
    public void Document_OfAParsedFile_ParsesToTheSamePolicy()
    {
        var policy = Parse(Full);

        var text = PolicyDocument.File(policy).ToJsonString();
        var again = Parse(text);

        Assert.Equal(text, PolicyDocument.File(again).ToJsonString());
        Assert.Contains("\"window\":\"120s\"", text);
        Assert.Contains("\"severity\":\"from_event\"", text);
    }
}
