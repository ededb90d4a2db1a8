using Doctor.Control;
using Doctor.Core.Tests.Support;
using Doctor.Faults;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.Subscriptions;

namespace Doctor.Core.Tests.Control;

public class AggregationTests
{
    private static readonly FailurePolicy Policy = new(
    [
        new PolicyRule { Match = "compute.host.cpu.error", Severity = Severity.Minor, ProbableCause = "processor fault", Aggregate = new Aggregation() },
        new PolicyRule { Match = "compute.host.memory.error", Severity = Severity.Minor, ProbableCause = "memory fault", Aggregate = new Aggregation() },
        new PolicyRule { Match = "compute.host.fan.error", Severity = Severity.Warning, ProbableCause = "fan fault" },
        new PolicyRule { Match = "compute.host.up", Clears = ["compute.host.down", PolicyDefaults.EscalatedFaultType] },
    ]);

    private readonly ProcessorHarness _doctor = new() { Policy = Policy };

    private ResourceMap Map => _doctor.State.Map;
    private IEnumerable<Fault> ActiveFaults => _doctor.State.Faults.All.After(null).Where(f => f.IsActive);

    private ProcessResult At(int second, string type, string id)
    {
        _doctor.Now = TestMap.Start.AddSeconds(second);
        return _doctor.Apply(TestMap.HostEvent(type, "compute-1", id));
    }

    [Fact]
    public void Process_TwoNonCriticalFaults_NoEscalation()
    {
        At(0, "compute.host.cpu.error", "e-1");
        At(10, "compute.host.memory.error", "e-2");

        Assert.True(Map.Hosts.Get("compute-1")!.Up);
        Assert.DoesNotContain(ActiveFaults, f => f.FaultType == PolicyDefaults.EscalatedFaultType);
    }

    [Fact]
    public void Process_ThirdReportWithinTheWindow_HostBecomesUnavailable()
    {
        var first = At(0, "compute.host.cpu.error", "e-1");
        var second = At(20, "compute.host.memory.error", "e-2");

        var third = At(40, "compute.host.cpu.error", "e-3"); // a repeat counts: the processor keeps failing

        Assert.False(Map.Hosts.Get("compute-1")!.Up);
        Assert.Equal(ServerState.Error, Map.Servers.Get("vm-a1")!.State);
        var escalated = Assert.Single(ActiveFaults, f => f.FaultType == PolicyDefaults.EscalatedFaultType && f.IsRootCause);
        Assert.Equal(Severity.Critical, escalated.Severity);
        Assert.Equal(Effect.HostDown, escalated.Effect);
        Assert.Contains(first.Outcome.FaultIds[0], escalated.CorrelatedFaultIds);
        Assert.Contains(second.Outcome.FaultIds[0], escalated.CorrelatedFaultIds);
        Assert.Equal([first.Outcome.FaultIds[0], escalated.FaultId], third.Outcome.FaultIds.ToArray());
        Assert.Equal(NotificationType.Fault, third.Notice!.Type);
        var vm = Assert.Single(third.Notice.Resources, r => r.Id == "vm-b1");
        Assert.Equal("error", vm.State);
        Assert.Contains(vm.Faults, f => !f.IsRootCause && f.CorrelatedFaultIds[0] == escalated.FaultId);
    }

    [Fact]
    public void Process_ReportsSpreadBeyondTheWindow_NoEscalation()
    {
        At(0, "compute.host.cpu.error", "e-1");
        At(61, "compute.host.memory.error", "e-2");

        At(122, "compute.host.cpu.error", "e-3");

        Assert.True(Map.Hosts.Get("compute-1")!.Up);
        Assert.DoesNotContain(ActiveFaults, f => f.FaultType == PolicyDefaults.EscalatedFaultType);
    }

    [Fact]
    public void Process_RuleWithoutAggregation_RepeatsNeverEscalate()
    {
        At(0, "compute.host.fan.error", "e-1");
        At(1, "compute.host.fan.error", "e-2");
        At(2, "compute.host.fan.error", "e-3");
        At(3, "compute.host.fan.error", "e-4");

        Assert.True(Map.Hosts.Get("compute-1")!.Up);
        Assert.Single(ActiveFaults, f => f.IsRootCause);
    }

    [Fact]
    public void Process_ReportAfterEscalation_CorrelatedToIt()
    {
        At(0, "compute.host.cpu.error", "e-1");
        At(1, "compute.host.cpu.error", "e-2");
        var escalation = At(2, "compute.host.cpu.error", "e-3");

        var later = At(3, "compute.host.memory.error", "e-4");

        Assert.Null(later.Notice);
        Assert.Equal([escalation.Outcome.FaultIds[1]], later.Outcome.FaultIds.ToArray());
    }

    [Fact]
    public void Process_HostUpAfterEscalation_RestoresTheHost()
    {
        At(0, "compute.host.cpu.error", "e-1");
        At(1, "compute.host.cpu.error", "e-2");
        At(2, "compute.host.cpu.error", "e-3");

        At(10, "compute.host.up", "e-4");

        Assert.True(Map.Hosts.Get("compute-1")!.Up);
        Assert.Equal(ServerState.Normal, Map.Servers.Get("vm-a1")!.State);
        Assert.DoesNotContain(ActiveFaults, f => f.FaultType == PolicyDefaults.EscalatedFaultType);
    }

    [Fact]
    public void Process_EscalationReplayedAtTheSameRecordedTimes_SameFaults()
    {
        At(0, "compute.host.cpu.error", "e-1");
        At(5, "compute.host.memory.error", "e-2");
        At(9, "compute.host.cpu.error", "e-3");
        var first = _doctor.State.Faults.All.After(null).ToList();

        var replay = new ProcessorHarness { Policy = Policy };
        foreach (var (second, type, id) in new[] { (0, "compute.host.cpu.error", "e-1"), (5, "compute.host.memory.error", "e-2"), (9, "compute.host.cpu.error", "e-3") })
        {
            replay.Now = TestMap.Start.AddSeconds(second);
            replay.Apply(TestMap.HostEvent(type, "compute-1", id));
        }

        Assert.Equal(first.Select(f => (f.FaultId, f.FaultType, f.IsActive)), replay.State.Faults.All.After(null).Select(f => (f.FaultId, f.FaultType, f.IsActive)));
    }
}
