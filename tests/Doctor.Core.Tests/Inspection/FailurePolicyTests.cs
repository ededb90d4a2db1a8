using Doctor.Faults;
using Doctor.Inspection;
using Doctor.Inventory;

namespace Doctor.Core.Tests.Inspection;

public class FailurePolicyTests
{
    private static readonly Dictionary<string, string> Empty = [];

    [Theory]
    [InlineData("compute.host.down", Effect.HostDown, Severity.Critical)]
    [InlineData("compute.host.nic.down", Effect.PortsDown, Severity.Major)]
    [InlineData("compute.instance.down", Effect.ServerError, Severity.Critical)]
    public void Default_FaultTypes_HaveTheirEffectAndSeverity(string type, Effect effect, Severity severity)
    {
        var rule = FailurePolicy.Default.Find(type, Empty);

        Assert.NotNull(rule);
        Assert.Equal(effect, rule.Effect);
        Assert.Equal(severity, rule.Severity);
        Assert.False(rule.IsRecovery);
    }

    [Theory]
    [InlineData("compute.host.up", "compute.host.down")]
    [InlineData("compute.host.nic.up", "compute.host.nic.down")]
    [InlineData("compute.instance.up", "compute.instance.down")]
    public void Default_RecoveryTypes_ClearTheirFault(string type, string cleared)
    {
        var rule = FailurePolicy.Default.Find(type, Empty);

        Assert.NotNull(rule);
        Assert.True(rule.IsRecovery);
        Assert.Contains(cleared, rule.Clears);
    }

    [Fact]
    public void Default_InstanceRules_TargetServers()
    {
        Assert.Equal(ResourceType.Server, FailurePolicy.Default.Find("compute.instance.down", Empty)!.Target);
        Assert.Equal(ResourceType.Host, FailurePolicy.Default.Find("compute.host.down", Empty)!.Target);
    }

    [Fact]
    public void Find_UnknownType_ReturnsNull()
    {
        Assert.Null(FailurePolicy.Default.Find("compute.host.downward", Empty));
    }

    [Fact]
    public void Find_SeveralMatches_FirstRuleWins()
    {
        var policy = new FailurePolicy(
        [
            new PolicyRule { Match = "compute.host.disk.*", Severity = Severity.Minor },
            new PolicyRule { Match = "compute.host.*", Severity = Severity.Major },
        ]);

        Assert.Equal(Severity.Minor, policy.Find("compute.host.disk.error", Empty)!.Severity);
        Assert.Equal(Severity.Major, policy.Find("compute.host.cpu.error", Empty)!.Severity);
    }

    [Theory]
    [InlineData("host_down", Effect.HostDown)]
    [InlineData("device_down", Effect.DeviceDown)]
    [InlineData("ports_down", Effect.PortsDown)]
    [InlineData("server_error", Effect.ServerError)]
    [InlineData("notify_only", Effect.NotifyOnly)]
    public void Effects_WireNames_RoundTrip(string name, Effect effect)
    {
        Assert.True(Effects.TryParse(name, out var parsed));
        Assert.Equal(effect, parsed);
        Assert.Equal(name, effect.Name());
    }

    [Fact]
    public void Effects_UnknownName_NotParsed()
    {
        Assert.False(Effects.TryParse("HostDown", out _));
    }
}
