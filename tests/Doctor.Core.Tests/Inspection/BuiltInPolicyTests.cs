using Doctor.Faults;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.Subscriptions;

namespace Doctor.Core.Tests.Inspection;

/// <summary>The built-in policy (default-policy.yaml) does what docs/operations.md's rule table says, row by row.</summary>
public sealed class BuiltInPolicyTests
{
    private static Dictionary<string, string> Details(string? details) =>
        details is null ? [] : details.Split(',').Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);

    /// <summary>Event type, details (k=v,…) → fault type, severity, effect, target, aggregated.</summary>
    public static TheoryData<string, string?, string, Severity, Effect, ResourceType, bool> Faults => new()
    {
        { "compute.host.down", null, "compute.host.down", Severity.Critical, Effect.HostDown, ResourceType.Host, false },
        { "compute.host.nic.down", "nic=eth0", "compute.host.nic.down", Severity.Major, Effect.PortsDown, ResourceType.Host, false },
        { "compute.host.nic.error", null, "compute.host.nic.error", Severity.Minor, Effect.NotifyOnly, ResourceType.Host, true },
        { "compute.host.cpu.error", null, "compute.host.cpu.error", Severity.Critical, Effect.HostDown, ResourceType.Host, false },
        { "compute.host.memory.error", null, "compute.host.memory.error", Severity.Critical, Effect.HostDown, ResourceType.Host, false },
        { "compute.host.memory.error", "correctable=false", "compute.host.memory.error", Severity.Critical, Effect.HostDown, ResourceType.Host, false },
        { "compute.host.memory.error", "correctable=true", "compute.host.memory.degraded", Severity.Minor, Effect.NotifyOnly, ResourceType.Host, true },
        { "compute.host.memory.degraded", null, "compute.host.memory.degraded", Severity.Minor, Effect.NotifyOnly, ResourceType.Host, true },
        { "compute.host.mainboard.error", null, "compute.host.mainboard.error", Severity.Critical, Effect.HostDown, ResourceType.Host, false },
        { "compute.host.disk.error", null, "compute.host.disk.error", Severity.Major, Effect.NotifyOnly, ResourceType.Host, true },
        { "compute.host.storage_controller.error", null, "compute.host.storage_controller.error", Severity.Critical, Effect.HostDown, ResourceType.Host, false },
        { "compute.host.power.error", null, "compute.host.power.error", Severity.Critical, Effect.HostDown, ResourceType.Host, false },
        { "compute.host.power.degraded", null, "compute.host.power.degraded", Severity.Warning, Effect.NotifyOnly, ResourceType.Host, true },
        { "compute.host.fan.error", null, "compute.host.fan.error", Severity.Minor, Effect.NotifyOnly, ResourceType.Host, true },
        { "compute.host.temperature.high", "severity=critical", "compute.host.temperature.high", Severity.Warning, Effect.NotifyOnly, ResourceType.Host, true },
        { "compute.host.temperature.critical", null, "compute.host.temperature.critical", Severity.Critical, Effect.HostDown, ResourceType.Host, false },
        { "compute.host.os.error", null, "compute.host.os.error", Severity.Critical, Effect.HostDown, ResourceType.Host, false },
        { "compute.host.hypervisor.error", null, "compute.host.hypervisor.error", Severity.Critical, Effect.HostDown, ResourceType.Host, false },
        { "compute.host.hypervisor.down", null, "compute.host.hypervisor.down", Severity.Critical, Effect.HostDown, ResourceType.Host, false },
        { "compute.instance.down", null, "compute.instance.down", Severity.Critical, Effect.ServerError, ResourceType.Server, false },
        { "network.switch.down", null, "network.switch.down", Severity.Critical, Effect.DeviceDown, ResourceType.Device, false },
        { "power.pdu.down", null, "power.pdu.down", Severity.Critical, Effect.DeviceDown, ResourceType.Device, false },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public void Default_AnnexFault_RaisesItsFault(string type, string? details, string faultType, Severity severity, Effect effect, ResourceType target, bool aggregated)
    {
        var rule = FailurePolicy.Default.Find(type, Details(details));

        Assert.NotNull(rule);
        Assert.False(rule.IsRecovery);
        Assert.Equal(faultType, rule.FaultType ?? type);
        Assert.Equal(severity, rule.Severity);
        Assert.Equal(effect, rule.Effect);
        Assert.Equal(target, rule.Target);
        if (aggregated)
        {
            // Requirement 3.3.2 as built in: more than two within 60 s make the host unavailable.
            Assert.Equal(new Aggregation(), rule.Aggregate);
            Assert.Equal(3, rule.Aggregate!.Count);
            Assert.Equal(TimeSpan.FromSeconds(60), rule.Aggregate.Window);
            Assert.Equal(Effect.HostDown, rule.Aggregate.EscalateTo);
            Assert.Equal("compute.host.unavailable", rule.Aggregate.FaultType);
            Assert.NotEqual(Severity.Critical, rule.Severity);
        }
        else
        {
            Assert.Null(rule.Aggregate);
        }
    }

    /// <summary>Recovery event → fault type it clears (on the same resource).</summary>
    public static TheoryData<string, string> Recoveries => new()
    {
        { "compute.host.up", "compute.host.down" },
        { "compute.host.up", "compute.host.unavailable" },
        { "compute.host.up", "compute.host.os.error" },
        { "compute.host.up", "compute.host.hypervisor.error" },
        { "compute.host.up", "compute.host.hypervisor.down" },
        { "compute.host.up", "compute.host.mainboard.error" },
        { "compute.host.up", "compute.host.power.error" },
        { "compute.host.nic.up", "compute.host.nic.down" },
        { "compute.host.nic.ok", "compute.host.nic.error" },
        { "compute.host.cpu.ok", "compute.host.cpu.error" },
        { "compute.host.memory.ok", "compute.host.memory.error" },
        { "compute.host.memory.ok", "compute.host.memory.degraded" },
        { "compute.host.mainboard.ok", "compute.host.mainboard.error" },
        { "compute.host.disk.ok", "compute.host.disk.error" },
        { "compute.host.storage_controller.ok", "compute.host.storage_controller.error" },
        { "compute.host.power.ok", "compute.host.power.error" },
        { "compute.host.power.ok", "compute.host.power.degraded" },
        { "compute.host.fan.ok", "compute.host.fan.error" },
        { "compute.host.temperature.normal", "compute.host.temperature.high" },
        { "compute.host.temperature.normal", "compute.host.temperature.critical" },
        { "compute.host.os.ok", "compute.host.os.error" },
        { "compute.host.hypervisor.ok", "compute.host.hypervisor.error" },
        { "compute.host.hypervisor.up", "compute.host.hypervisor.down" },
        { "compute.instance.up", "compute.instance.down" },
        { "network.switch.up", "network.switch.down" },
        { "power.pdu.up", "power.pdu.down" },
    };

    [Theory]
    [MemberData(nameof(Recoveries))]
    public void Default_RecoveryEvent_ClearsTheFailuresFaultType(string type, string faultType)
    {
        var rule = FailurePolicy.Default.Find(type, Details(null));

        Assert.NotNull(rule);
        Assert.True(rule.IsRecovery);
        Assert.Contains(rule.Clears, pattern => Glob.IsMatch(pattern, faultType));
    }

    [Fact]
    public void Default_EveryFaultType_IsClearedByARecoveryOnTheSameTarget()
    {
        var policy = FailurePolicy.Default;
        var raised = policy.Rules.Where(r => !r.IsRecovery)
            .SelectMany(r => new[] { (Type: r.FaultType ?? r.Match, r.Target) }.Concat(r.Aggregate is { } a ? [(a.FaultType, r.Target)] : []))
            .Distinct();

        foreach (var (type, target) in raised)
        {
            Assert.True(
                policy.Rules.Any(r => r.IsRecovery && r.Target == target && r.Clears.Any(p => Glob.IsMatch(p, type))),
                $"nothing clears {type} on a {target.Name()}");
        }
    }

    [Fact]
    public void Default_TablesAbove_CoverEveryRule()
    {
        var failures = Faults.Select(row => (string)row[0]).ToHashSet();
        var recoveries = Recoveries.Select(row => (string)row[0]).ToHashSet();

        foreach (var rule in FailurePolicy.Default.Rules)
            Assert.Contains(rule.Match, rule.IsRecovery ? recoveries : failures);
    }

    [Fact]
    public void Default_GroupRule_IsTheDocumentedDefault()
    {
        Assert.Equal(new GroupRule(), FailurePolicy.Default.Group);
    }

    [Fact]
    public void Default_IsReadOnce()
    {
        Assert.Same(FailurePolicy.Default, FailurePolicy.Default);
    }

    [Fact]
    public void ExampleFile_InDocs_IsTheBuiltInPolicy()
    {
        var path = Path.Combine(RepositoryRoot(), "docs", "policy.example.yaml");

        var example = PolicyFile.Load(path);

        Assert.Equal(PolicyDocument.File(FailurePolicy.Default).ToJsonString(), PolicyDocument.File(example).ToJsonString());
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Doctor.slnx")))
                return dir.FullName;
        }

        throw new InvalidOperationException("the repository root (Doctor.slnx) was not found above " + AppContext.BaseDirectory);
    }
}
