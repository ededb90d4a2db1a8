using Doctor.Core.Tests.Support;
using Doctor.Inventory;
using Doctor.Maintenance;
using Doctor.Testing;

namespace Doctor.Core.Tests.Maintenance;

public sealed class MaintenanceWorkflowTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private MaintenanceScenario _s = null!;

    public async Task InitializeAsync() => _s = await MaintenanceScenario.StartAsync(_dir.Path);

    public async Task DisposeAsync()
    {
        await _s.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Advance_EveryStepAcknowledged_WalksEveryStateToDone()
    {
        var session = await _s.CreateAsync(startIn: TimeSpan.FromSeconds(30));
        Assert.Equal(SessionState.Maintenance, session.State);
        Assert.Equal(SessionPhase.Replies, session.Phase);
        Assert.Equal<string>(["vm-act", "vm-stby"], session.Projects[MaintenanceScenario.App].InstanceIds);
        Assert.False(session.Projects[MaintenanceScenario.Other].Listening); // no subscription: not asked, not waited for

        session = await _s.ReplyAsync("ACK_MAINTENANCE");
        Assert.Equal(SessionPhase.WaitStart, session.Phase); // maintenance_at is 30 s away
        session = await _s.AdvanceAsync(29);
        Assert.Equal(SessionPhase.WaitStart, session.Phase);

        // No host is empty: the one easiest to empty (compute-2, vm-stby only) is prepared.
        session = await _s.AdvanceAsync(1);
        Assert.Equal(SessionState.PrepareMaintenance, session.State);
        Assert.Equal("compute-2", session.CurrentHost);
        Assert.Equal(MaintenanceState.GoingToMaintenance, _s.Host("compute-2").Maintenance!.State);
        Assert.False(_s.Host("compute-2").Enabled);
        Assert.Equal(HostStatus.Maintenance, _s.Host("compute-2").Status);
        Assert.Equal<string>(["vm-stby"], session.Projects[MaintenanceScenario.App].InstanceIds);

        session = await _s.ReplyAsync("ACK_PREPARE_MAINTENANCE", ("vm-stby", "MIGRATE"));
        Assert.Equal(SessionPhase.Actions, session.Phase);
        Assert.Equal(ServerState.Maintenance, _s.Server("vm-stby").State);
        Assert.Equal("compute-2", _s.Server("vm-stby").Host);

        session = await _s.AdvanceAsync(1);
        Assert.Equal("compute-3", _s.Server("vm-stby").Host); // never compute-1, where vm-act of its group runs
        Assert.Equal(ServerState.Normal, _s.Server("vm-stby").State);
        Assert.Equal(SessionState.StartMaintenance, session.State);
        Assert.Equal(MaintenanceState.InMaintenance, _s.Host("compute-2").Maintenance!.State);

        session = await _s.AdvanceAsync(2);
        Assert.True(_s.Host("compute-2").Enabled);
        Assert.Null(_s.Host("compute-2").Maintenance);
        Assert.Equal(HostProgress.Maintained, session.HostRecords["compute-2"].Progress);
        Assert.Equal(SessionState.PlannedMaintenance, session.State);
        Assert.Equal("compute-1", session.CurrentHost);

        session = await _s.ReplyAsync("ACK_PLANNED_MAINTENANCE", ("vm-act", "LIVE_MIGRATE"));
        await _s.AdvanceAsync(1);
        Assert.Equal("compute-2", _s.Server("vm-act").Host); // to the maintained host
        await _s.AdvanceAsync(1);
        Assert.Equal("compute-2", _s.Server("vm-n1").Host); // the project without a subscription: migrated by default
        await _s.AdvanceAsync(2);
        session = _s.Session;
        Assert.Equal("compute-3", session.CurrentHost);

        await _s.ReplyAsync("ACK_PLANNED_MAINTENANCE");
        await _s.AdvanceAsync(1);
        Assert.Equal("compute-1", _s.Server("vm-stby").Host); // compute-2 holds vm-act: anti-affinity
        await _s.AdvanceAsync(1);
        session = await _s.AdvanceAsync(2);
        Assert.Equal(SessionState.MaintenanceComplete, session.State);

        session = await _s.ReplyAsync("ACK_MAINTENANCE_COMPLETE");
        Assert.Equal(SessionState.MaintenanceDone, session.State);
        Assert.All(session.HostRecords.Values, r => Assert.Equal(HostProgress.Maintained, r.Progress));
        Assert.All(["compute-1", "compute-2", "compute-3"], h => Assert.True(_s.Host(h).Enabled && _s.Host(h).Maintenance is null));
        Assert.Equal(
            [
                ("app", "MAINTENANCE"), ("app", "PREPARE_MAINTENANCE"), ("app", "INSTANCE_ACTION_DONE"), ("host:compute-2", "IN_MAINTENANCE"),
                ("host:compute-2", "MAINTENANCE_COMPLETE"), ("app", "PLANNED_MAINTENANCE"), ("app", "INSTANCE_ACTION_DONE"),
                ("host:compute-1", "IN_MAINTENANCE"), ("host:compute-1", "MAINTENANCE_COMPLETE"), ("app", "PLANNED_MAINTENANCE"),
                ("app", "INSTANCE_ACTION_DONE"), ("host:compute-3", "IN_MAINTENANCE"), ("host:compute-3", "MAINTENANCE_COMPLETE"),
                ("app", "MAINTENANCE_COMPLETE"),
            ],
            _s.Messages());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Reply_NackAtStep_FailsAndReturnsHostsEnabled(int step)
    {
        var asked = await CreateAndAnswerAsync(step);

        var session = await _s.ReplyAsync("NACK_" + asked.Name());

        Assert.Equal(SessionState.MaintenanceFailed, session.State);
        Assert.Contains("NACK_" + asked.Name(), session.Reason);
        AssertHostsReleased();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Advance_ReplyWindowMissedAtStep_Fails(int step)
    {
        var asked = await CreateAndAnswerAsync(step);

        var session = await _s.AdvanceAsync(9.9);
        Assert.Equal(asked, session.State);
        session = await _s.AdvanceAsync(0.2);

        Assert.Equal(SessionState.MaintenanceFailed, session.State);
        Assert.Contains($"no reply to {asked.Name()}", session.Reason);
        Assert.Contains("project app", session.Reason);
        AssertHostsReleased();
    }

    [Fact]
    public async Task Advance_RestartInTheMiddleOfAMigration_ResumesAndEndsDone()
    {
        await _s.CreateAsync();
        await _s.ReplyAsync("ACK_MAINTENANCE");
        await _s.ReplyAsync("ACK_PREPARE_MAINTENANCE", ("vm-stby", "MIGRATE"));
        Assert.Equal(SessionPhase.Actions, _s.Session.Phase);

        await _s.RestartAsync();

        Assert.Equal(SessionPhase.Actions, _s.Session.Phase);
        Assert.Equal(MaintenanceState.GoingToMaintenance, _s.Host("compute-2").Maintenance!.State);
        var session = await _s.AdvanceAsync(1);
        Assert.Equal("compute-3", _s.Server("vm-stby").Host);
        Assert.Equal(SessionState.StartMaintenance, session.State);

        await _s.RestartAsync();
        await _s.RunToDoneAsync();

        Assert.Equal(SessionState.MaintenanceDone, _s.Session.State);
        Assert.Contains(_s.Session.History, h => h.Detail.Contains("project app answered ACK_PREPARE_MAINTENANCE", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Advance_RestartWhileAwaitingReplies_KeepsWindowAndReplies()
    {
        await _s.CreateAsync();
        await _s.AdvanceAsync(5);
        await _s.RestartAsync();

        var session = await _s.AdvanceAsync(4);
        Assert.Equal(SessionState.Maintenance, session.State);
        session = await _s.AdvanceAsync(2);
        Assert.Equal(SessionState.MaintenanceFailed, session.State); // the window ran on across the restart
    }

    [Fact]
    public async Task Reply_InstanceNotOffered_IsRefusedAndChangesNothing()
    {
        await _s.CreateAsync();
        await _s.ReplyAsync("ACK_MAINTENANCE");
        var before = _s.Session;

        var error = await Assert.ThrowsAsync<MaintenanceRequestException>(() => _s.ReplyAsync("ACK_PREPARE_MAINTENANCE", ("vm-act", "MIGRATE")));

        Assert.Equal(400, error.Status);
        Assert.Equal("instance_actions.vm-act", error.Field);
        Assert.Same(before, _s.Session);
    }

    [Theory]
    [InlineData("ACK_PREPARE_MAINTENANCE", "REBOOT", 400)]
    [InlineData("ACK_PLANNED_MAINTENANCE", null, 409)]
    [InlineData("ACK_NOTHING", null, 400)]
    [InlineData("MAYBE_PREPARE_MAINTENANCE", null, 400)]
    public async Task Reply_Invalid_IsRefused(string state, string? action, int status)
    {
        await _s.CreateAsync();
        await _s.ReplyAsync("ACK_MAINTENANCE");

        var error = await Assert.ThrowsAsync<MaintenanceRequestException>(() =>
            action is null ? _s.ReplyAsync(state) : _s.ReplyAsync(state, ("vm-stby", action)));

        Assert.Equal(status, error.Status);
        Assert.Equal(SessionState.PrepareMaintenance, _s.Session.State);
    }

    [Fact]
    public async Task Reply_Twice_IsConflict()
    {
        await _s.CreateAsync(startIn: TimeSpan.FromMinutes(1));
        await _s.ReplyAsync("ACK_MAINTENANCE");

        var error = await Assert.ThrowsAsync<MaintenanceRequestException>(() => _s.ReplyAsync("ACK_MAINTENANCE"));

        Assert.Equal(409, error.Status);
    }

    [Fact]
    public async Task Advance_OwnActionDoneByTheProject_CompletesTheHost()
    {
        await _s.CreateAsync();
        await _s.ReplyAsync("ACK_MAINTENANCE");
        await _s.ReplyAsync("ACK_PREPARE_MAINTENANCE", ("vm-stby", "OWN_ACTION"));
        await _s.AdvanceAsync(3);
        Assert.Equal(SessionPhase.Actions, _s.Session.Phase); // waits for the app manager

        await _s.Harness.ExecuteAsync(editor => editor.Map.RemoveServer("vm-stby"));
        var session = await _s.AdvanceAsync(0.1);

        Assert.Equal(SessionState.StartMaintenance, session.State);
        Assert.Contains(("app", "INSTANCE_ACTION_DONE"), _s.Messages());
    }

    [Fact]
    public async Task Advance_OwnActionNotDoneInTime_Fails()
    {
        await _s.CreateAsync();
        await _s.ReplyAsync("ACK_MAINTENANCE");
        await _s.ReplyAsync("ACK_PREPARE_MAINTENANCE", ("vm-stby", "OWN_ACTION"));

        var session = await _s.AdvanceAsync(10);

        Assert.Equal(SessionState.MaintenanceFailed, session.State);
        Assert.Contains("OWN_ACTION on server vm-stby was not done", session.Reason);
        AssertHostsReleased();
    }

    [Fact]
    public async Task Advance_MigrationTargetGoneDown_FailsAndLeavesServerInService()
    {
        await _s.CreateAsync();
        await _s.ReplyAsync("ACK_MAINTENANCE");
        await _s.ReplyAsync("ACK_PREPARE_MAINTENANCE", ("vm-stby", "MIGRATE"));
        await _s.Harness.ExecuteAsync(editor =>
        {
            editor.Map.PutHost(editor.Map.Host("compute-3")! with { Up = false });
            return true;
        });

        var session = await _s.AdvanceAsync(1);

        Assert.Equal(SessionState.MaintenanceFailed, session.State);
        Assert.Contains("host compute-3 is no longer available", session.Reason);
        Assert.Equal("compute-2", _s.Server("vm-stby").Host);
        Assert.Equal(ServerState.Normal, _s.Server("vm-stby").State);
        AssertHostsReleased();
    }

    [Fact]
    public async Task Advance_NoHostCanBeEmptied_AsksScaleInAndContinuesAfterIt()
    {
        // Only compute-1 and compute-2, each holding one member of the pair: neither can be emptied.
        await _s.Harness.ExecuteAsync(editor => editor.Map.RemoveServer("vm-n2") && editor.Map.RemoveHost("compute-3"));
        await _s.CreateAsync();

        var session = await _s.ReplyAsync("ACK_MAINTENANCE");
        Assert.Equal(SessionState.ScaleIn, session.State);
        Assert.Equal<string>(["vm-act", "vm-stby"], session.Projects[MaintenanceScenario.App].InstanceIds);
        Assert.Contains(("app", "SCALE_IN"), _s.Messages());

        await _s.Harness.ExecuteAsync(editor => editor.Map.RemoveServer("vm-stby")); // the app manager scales in
        session = await _s.ReplyAsync("ACK_SCALE_IN");
        Assert.Equal(SessionState.StartMaintenance, session.State);
        Assert.Equal("compute-2", session.CurrentHost);

        await _s.RunToDoneAsync();
        Assert.Equal(SessionState.MaintenanceDone, _s.Session.State);
    }

    [Fact]
    public async Task Advance_ScaleInAckedButNoRoom_FailsNamingTheHost()
    {
        await _s.Harness.ExecuteAsync(editor => editor.Map.RemoveServer("vm-n2") && editor.Map.RemoveHost("compute-3"));
        await _s.CreateAsync();
        await _s.ReplyAsync("ACK_MAINTENANCE");

        var session = await _s.ReplyAsync("ACK_SCALE_IN");

        Assert.Equal(SessionState.MaintenanceFailed, session.State);
        Assert.Contains("anti-affinity group pair", session.Reason);
        Assert.Contains("even after SCALE_IN", session.Reason);
        AssertHostsReleased();
    }

    [Fact]
    public async Task Reply_NackScaleIn_Fails()
    {
        await _s.Harness.ExecuteAsync(editor => editor.Map.RemoveServer("vm-n2") && editor.Map.RemoveHost("compute-3"));
        await _s.CreateAsync();
        await _s.ReplyAsync("ACK_MAINTENANCE");

        var session = await _s.ReplyAsync("NACK_SCALE_IN");

        Assert.Equal(SessionState.MaintenanceFailed, session.State);
        Assert.Contains("NACK_SCALE_IN", session.Reason);
    }

    [Fact]
    public async Task Delete_WhileHostInMaintenance_ReleasesHostsAndRemovesSession()
    {
        await _s.CreateAsync();
        await _s.ReplyAsync("ACK_MAINTENANCE");
        await _s.ReplyAsync("ACK_PREPARE_MAINTENANCE");
        await _s.AdvanceAsync(1);
        Assert.Equal(MaintenanceState.InMaintenance, _s.Host("compute-2").Maintenance!.State);

        Assert.True(await _s.Harness.ExecuteAsync(editor => MaintenanceCommands.Delete(editor, _s.SessionId)));

        Assert.Null(_s.Harness.State.Maintenance.All.Get(_s.SessionId));
        AssertHostsReleased();
    }

    [Fact]
    public async Task Delete_MidMigration_LeavesServerWhereItWasInService()
    {
        await _s.CreateAsync();
        await _s.ReplyAsync("ACK_MAINTENANCE");
        await _s.ReplyAsync("ACK_PREPARE_MAINTENANCE");
        Assert.Equal(ServerState.Maintenance, _s.Server("vm-stby").State);

        await _s.Harness.ExecuteAsync(editor => MaintenanceCommands.Delete(editor, _s.SessionId));

        Assert.Equal(ServerState.Normal, _s.Server("vm-stby").State);
        Assert.Equal("compute-2", _s.Server("vm-stby").Host);
        AssertHostsReleased();
    }

    [Fact]
    public async Task Continue_AfterFailure_KeepsMaintainedHostsAndEndsDone()
    {
        await _s.CreateAsync();
        await _s.ReplyAsync("ACK_MAINTENANCE");
        await _s.ReplyAsync("ACK_PREPARE_MAINTENANCE");
        await _s.AdvanceAsync(1);
        await _s.AdvanceAsync(2);
        await _s.ReplyAsync("NACK_PLANNED_MAINTENANCE");
        Assert.Equal(SessionState.MaintenanceFailed, _s.Session.State);

        var session = await _s.Harness.ExecuteAsync(editor => MaintenanceCommands.Continue(editor, _s.SessionId));
        Assert.Equal(SessionState.Maintenance, session.State);
        Assert.Null(session.Reason);
        await _s.RunToDoneAsync();

        Assert.Equal(SessionState.MaintenanceDone, _s.Session.State);
        Assert.All(_s.Session.HostRecords.Values, r => Assert.Equal(HostProgress.Maintained, r.Progress));
    }

    [Fact]
    public async Task Continue_RunningSession_IsConflict()
    {
        await _s.CreateAsync();

        var error = await Assert.ThrowsAsync<MaintenanceRequestException>(() => _s.Harness.ExecuteAsync(editor => MaintenanceCommands.Continue(editor, _s.SessionId)));

        Assert.Equal(409, error.Status);
    }

    [Fact]
    public async Task Create_WhileAnotherRuns_IsConflict()
    {
        await _s.CreateAsync();

        var error = await Assert.ThrowsAsync<MaintenanceRequestException>(() => _s.CreateAsync());

        Assert.Equal(409, error.Status);
    }

    [Fact]
    public async Task Create_UnknownHost_IsRefused()
    {
        var error = await Assert.ThrowsAsync<MaintenanceRequestException>(() => _s.CreateAsync(hosts: ["compute-9"]));

        Assert.Equal(400, error.Status);
        Assert.Equal("hosts", error.Field);
        Assert.Empty(_s.Harness.State.Maintenance.All.After(null));
    }

    [Fact]
    public async Task Create_EmptyHostInSession_IsMaintainedWithoutPrepare()
    {
        await _s.Harness.ExecuteAsync(editor =>
        {
            editor.Map.PutHost(TestMap.Host("compute-4"));
            return true;
        });

        await _s.CreateAsync();
        var session = await _s.ReplyAsync("ACK_MAINTENANCE");

        Assert.Equal(SessionState.StartMaintenance, session.State);
        Assert.Equal("compute-4", session.CurrentHost);
        Assert.DoesNotContain(_s.Messages(), m => m.State == "PREPARE_MAINTENANCE");
    }

    [Fact]
    public void Timers_MetadataLongerThanDefault_IsRefused()
    {
        var error = Assert.Throws<MaintenanceRequestException>(() =>
            MaintenanceCommands.Timers(new Dictionary<string, string> { ["migration_seconds"] = "5" }, MaintenanceScenario.Timers));

        Assert.Equal("metadata.migration_seconds", error.Field);
        Assert.Equal(0.25, MaintenanceCommands.Timers(new Dictionary<string, string> { ["migration_seconds"] = "0.25" }, MaintenanceScenario.Timers).MigrationSeconds);
    }

    /// <summary>ACKs the current question (MIGRATE for everything) and runs until the next one is asked.</summary>
    /// <summary>Creates the session, ACKs the first <paramref name="steps"/> questions, and returns the one now asked.</summary>
    private async Task<SessionState> CreateAndAnswerAsync(int steps)
    {
        await _s.CreateAsync();
        for (var i = 0; i < steps; i++)
            await AckAndRunToNextQuestionAsync();
        return _s.Session.State;
    }

    private async Task AckAndRunToNextQuestionAsync()
    {
        var asked = _s.Session.State;
        await _s.ReplyAsync("ACK_" + asked.Name());
        for (var i = 0; i < 50; i++)
        {
            var s = _s.Session;
            if (s.Phase == SessionPhase.Replies && s.Projects.TryGetValue(MaintenanceScenario.App, out var r) && r.Reply is null)
                return;
            await _s.AdvanceAsync(0.5);
        }

        Assert.Fail("no next question");
    }

    private void AssertHostsReleased()
    {
        foreach (var name in new[] { "compute-1", "compute-2", "compute-3" })
        {
            if (_s.Harness.State.Map.Hosts.Get(name) is { } host)
            {
                Assert.True(host.Enabled, $"{name} is disabled");
                Assert.Null(host.Maintenance);
            }
        }
    }
}
