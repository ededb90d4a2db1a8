using Doctor.Core.Tests.Support;
using Doctor.Faults;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.Subscriptions;

namespace Doctor.Core.Tests.Control;

/// <summary>
/// Every host rule of the built-in policy (the annex of NFVI faults) through the processor: the event changes the map
/// as its effect says, reaches the owners of the host's VMs, and its documented recovery event puts everything back.
/// </summary>
public class BuiltInPolicyEffectsTests
{
    public static TheoryData<string> HostFaultRules()
    {
        var data = new TheoryData<string>();
        foreach (var rule in FailurePolicy.Default.Rules)
        {
            if (!rule.IsRecovery && rule.Target == ResourceType.Host && IsLiteral(rule.Match))
                data.Add(Describe(rule));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(HostFaultRules))]
    public void Process_AnnexHostFault_AppliesItsEffectAndItsRecoveryRestores(string described)
    {
        var rule = FailurePolicy.Default.Rules.First(r => Describe(r) == described);
        var doctor = new ProcessorHarness();
        var details = new List<(string, string)> { ("hostname", "compute-1") };
        details.AddRange(rule.When.Select(w => (w.Key, w.Value)));

        var raised = doctor.Apply(TestMap.Event(rule.Match, "e-1", [.. details]));

        var map = doctor.State.Map;
        var root = doctor.State.Faults.Active.Get(raised.Outcome.FaultIds[0])!;
        Assert.Equal(rule.FaultType ?? rule.Match, root.FaultType);
        Assert.Equal(rule.Severity ?? Severity.Indeterminate, root.Severity);
        Assert.Equal(rule.Effect, root.Effect);
        Assert.Equal(rule.Effect != Effect.HostDown, map.Hosts.Get("compute-1")!.Up);
        Assert.Equal(rule.Effect == Effect.HostDown ? ServerState.Error : ServerState.Normal, map.Servers.Get("vm-b1")!.State);
        Assert.Equal(rule.Effect is not (Effect.HostDown or Effect.PortsDown), map.Ports.Get("port-a1")!.DataPlaneUp);
        if (rule.Effect != Effect.PortsDown)
            Assert.Contains(raised.Notice!.Resources, r => r.Type == ResourceType.Server && r.Id == "vm-b1"); // the owner hears of it

        var recovery = FailurePolicy.Default.Rules.FirstOrDefault(r =>
            r.IsRecovery && r.Target == ResourceType.Host && IsLiteral(r.Match) && r.Clears.Any(p => Glob.IsMatch(p, root.FaultType)));
        Assert.True(recovery is not null, $"no recovery event clears {root.FaultType}");
        doctor.Apply(TestMap.Event(recovery.Match, "e-2", ("hostname", "compute-1")));

        map = doctor.State.Map;
        Assert.Empty(doctor.State.Faults.Active.After(null));
        Assert.True(map.Hosts.Get("compute-1")!.Up);
        Assert.False(map.Hosts.Get("compute-1")!.ForcedDown);
        Assert.Equal(ServerState.Normal, map.Servers.Get("vm-b1")!.State);
        Assert.Equal(ServerState.Error, map.Servers.Get("vm-a3")!.State); // it was in error before: stays so
        Assert.True(map.Ports.Get("port-a1")!.DataPlaneUp);
    }

    private static bool IsLiteral(string pattern) => pattern.IndexOfAny(['*', '?']) < 0;

    private static string Describe(PolicyRule rule) =>
        rule.When.IsEmpty ? rule.Match : rule.Match + " when " + string.Join(",", rule.When.Select(w => $"{w.Key}={w.Value}"));
}
