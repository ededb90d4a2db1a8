using Doctor.Core.Tests.Support;
using Doctor.Faults;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.Subscriptions;

namespace Doctor.Core.Tests.Control;

public class GroupWatchTests
{
    private readonly ProcessorHarness _doctor = new(TopologyMap.State());

    private IEnumerable<Fault> ActiveGroupFaults =>
        _doctor.State.Faults.All.After(null).Where(f => f.IsActive && f.ResourceType == ResourceType.ServerGroup);

    [Fact]
    public void Process_OneMemberOfAPairDown_NoGroupFault()
    {
        var result = _doctor.Apply(TestMap.HostEvent("compute.host.down", "host-a1", "e-1"));

        Assert.DoesNotContain(result.Notice!.Resources, r => r.Type == ResourceType.ServerGroup);
        Assert.Empty(ActiveGroupFaults);
    }

    [Fact]
    public void Process_BothMembersOfAPairDown_OwnerGetsAGroupFaultWithTheMemberFaults()
    {
        var first = _doctor.Apply(TestMap.HostEvent("compute.host.down", "host-a1", "e-1"));

        var second = _doctor.Apply(TestMap.HostEvent("compute.host.down", "host-b1", "e-2"));

        var group = Assert.Single(second.Notice!.Resources, r => r.Type == ResourceType.ServerGroup);
        Assert.Equal(("g1", TopologyMap.ProjectX, "degraded"), (group.Id, group.ProjectId, group.State));
        var fault = Assert.Single(group.Faults);
        Assert.Equal("server_group.degraded", fault.FaultType);
        Assert.Equal(Severity.Critical, fault.Severity);
        Assert.False(fault.IsRootCause);
        Assert.Equal([first.Outcome.FaultIds[0], second.Outcome.FaultIds[0]], fault.CorrelatedFaultIds.Order().ToArray());
        Assert.Contains(second.Notice.Resources, r => r.Id == "vm-4"); // in addition to the per-VM fault
    }

    [Fact]
    public void Process_MemberRecovers_GroupFaultClears()
    {
        _doctor.Apply(TestMap.HostEvent("compute.host.down", "host-a1", "e-1"));
        _doctor.Apply(TestMap.HostEvent("compute.host.down", "host-b1", "e-2"));

        var result = _doctor.Apply(TestMap.HostEvent("compute.host.up", "host-b1", "e-3"));

        Assert.Equal(NotificationType.FaultCleared, result.Notice!.Type);
        var group = Assert.Single(result.Notice.Resources, r => r.Type == ResourceType.ServerGroup);
        Assert.NotNull(Assert.Single(group.Faults).ClearedAt);
        Assert.Empty(ActiveGroupFaults);
    }

    [Fact]
    public void Process_GroupRuleToleratingTwo_PairLossRaisesNothing()
    {
        _doctor.Policy = new FailurePolicy(FailurePolicy.Default.Rules, new GroupRule { MoreThan = 2 });
        _doctor.Apply(TestMap.HostEvent("compute.host.down", "host-a1", "e-1"));

        _doctor.Apply(TestMap.HostEvent("compute.host.down", "host-b1", "e-2"));

        Assert.Empty(ActiveGroupFaults);
    }

    [Fact]
    public void Process_PolicyWithoutGroupRule_NoGroupFaults()
    {
        _doctor.Policy = new FailurePolicy(FailurePolicy.Default.Rules);
        _doctor.Apply(TestMap.HostEvent("compute.host.down", "host-a1", "e-1"));

        _doctor.Apply(TestMap.HostEvent("compute.host.down", "host-b1", "e-2"));

        Assert.Empty(ActiveGroupFaults);
    }
}
