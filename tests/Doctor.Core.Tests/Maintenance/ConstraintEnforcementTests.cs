using Doctor.Core.Tests.Support;
using Doctor.Maintenance;
using Doctor.Testing;

namespace Doctor.Core.Tests.Maintenance;

/// <summary>ETSI FEAT03 records applied by the workflow, on <see cref="MaintenanceScenario"/>'s cloud and manual clock.</summary>
public sealed class ConstraintEnforcementTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private MaintenanceScenario _s = null!;

    public async Task InitializeAsync() => _s = await MaintenanceScenario.StartAsync(_dir.Path);

    public async Task DisposeAsync()
    {
        await _s.DisposeAsync();
        _dir.Dispose();
    }

    private Task PutAsync(InstanceGroupConstraint? group = null, InstanceConstraint? instance = null) => _s.Harness.ExecuteAsync(editor =>
    {
        if (group is not null)
            editor.Constraints.PutGroup(group);
        if (instance is not null)
            editor.Constraints.PutInstance(instance);
        return true;
    });

    [Fact]
    public async Task Advance_GroupRecoveryTime_WaitsBetweenImpactedMembers()
    {
        await PutAsync(new InstanceGroupConstraint { GroupId = "pair", RecoveryTime = 5 });
        await _s.CreateAsync();
        await _s.ReplyAsync("ACK_MAINTENANCE");
        await _s.ReplyAsync("ACK_PREPARE_MAINTENANCE"); // vm-stby moves 0 → 1 s
        await _s.AdvanceAsync(1);
        await _s.AdvanceAsync(2); // compute-2 maintained at 3 s; compute-1 (vm-act) planned
        await _s.ReplyAsync("ACK_PLANNED_MAINTENANCE");

        var session = await _s.AdvanceAsync(2.9); // 5.9 s: vm-act may not be impacted before 1 s + 5 s
        Assert.Null(session.Actions.Single(a => a.InstanceId == "vm-act").StartedAt);

        session = await _s.AdvanceAsync(0.1);
        Assert.NotNull(session.Actions.Single(a => a.InstanceId == "vm-act").StartedAt);
        await _s.RunToDoneAsync();
        Assert.Equal(SessionState.MaintenanceDone, _s.Session.State);
    }

    [Fact]
    public async Task Advance_InstanceLeadTime_DelaysItsActionAndSetsActionsAt()
    {
        await PutAsync(instance: new InstanceConstraint { InstanceId = "vm-stby", ProjectId = "app", LeadTime = 4 });
        await _s.CreateAsync();
        await _s.ReplyAsync("ACK_MAINTENANCE");
        var asked = _s.Clock.GetUtcNow();
        Assert.Equal(asked.AddSeconds(4), _s.Harness.Notices.Notices.Last(n => n.Maintenance?.State == "PREPARE_MAINTENANCE").Maintenance!.ActionsAt);

        var session = await _s.ReplyAsync("ACK_PREPARE_MAINTENANCE");
        Assert.Null(session.Actions.Single().StartedAt);
        session = await _s.AdvanceAsync(3.9);
        Assert.Null(session.Actions.Single().StartedAt);
        session = await _s.AdvanceAsync(0.1);
        Assert.Equal(asked.AddSeconds(4), session.Actions.Single().StartedAt);
    }

    [Fact]
    public async Task Replied_NoActionNamed_UsesInstanceMigrationType()
    {
        await PutAsync(instance: new InstanceConstraint { InstanceId = "vm-stby", ProjectId = "app", MigrationType = "LIVE_MIGRATE" });
        await _s.CreateAsync();
        await _s.ReplyAsync("ACK_MAINTENANCE");

        var session = await _s.ReplyAsync("ACK_PREPARE_MAINTENANCE");

        Assert.Equal("LIVE_MIGRATE", session.Actions.Single().Action);
        Assert.Equal(Doctor.Inventory.ServerState.Normal, _s.Server("vm-stby").State); // a live migration keeps it in service
    }

    [Fact]
    public async Task Advance_GroupAllowsNoImpactedMember_FailsNamingIt()
    {
        await PutAsync(new InstanceGroupConstraint { GroupId = "pair", MaxImpactedMembers = 0 });
        await _s.CreateAsync();
        await _s.ReplyAsync("ACK_MAINTENANCE");

        var session = await _s.ReplyAsync("ACK_PREPARE_MAINTENANCE");

        Assert.Equal(SessionState.MaintenanceFailed, session.State);
        Assert.Contains("max_impacted_members 0", session.Reason);
        Assert.True(_s.Host("compute-2").Enabled);
    }

    [Fact]
    public async Task Placement_GroupNotAntiAffine_LetsMembersShareAHost()
    {
        // compute-1 and compute-2 each hold one member: with anti-affinity neither can be emptied (SCALE_IN would be needed).
        await _s.Harness.ExecuteAsync(editor => editor.Map.RemoveServer("vm-n2") && editor.Map.RemoveHost("compute-3"));
        await PutAsync(new InstanceGroupConstraint { GroupId = "pair", AntiAffinityGroup = false, MaxInstancesPerHost = 2 });

        await _s.CreateAsync();
        await _s.RunToDoneAsync();

        Assert.Equal(SessionState.MaintenanceDone, _s.Session.State);
    }

    [Fact]
    public async Task Placement_MaxInstancesPerHostReached_IsAConflict()
    {
        await _s.Harness.ExecuteAsync(editor => editor.Map.RemoveServer("vm-n2") && editor.Map.RemoveHost("compute-3"));
        await PutAsync(new InstanceGroupConstraint { GroupId = "pair", AntiAffinityGroup = false, MaxInstancesPerHost = 1 });

        await _s.CreateAsync();
        var session = await _s.ReplyAsync("ACK_MAINTENANCE");

        Assert.Equal(SessionState.ScaleIn, session.State); // no room: the projects are asked to scale in
    }
}
