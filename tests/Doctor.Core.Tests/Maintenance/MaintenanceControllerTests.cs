using Doctor.Core.Tests.Support;
using Doctor.Inventory;
using Doctor.Maintenance;
using Doctor.State;
using Doctor.Testing;

namespace Doctor.Core.Tests.Maintenance;

/// <summary>Takes what the engine hands to a maintenance controller; the test plays the cloud behind it.</summary>
public sealed class RecordingController(MigrationControl migrations) : IMaintenanceController
{
    private readonly List<MaintenanceCall> _calls = [];

    public MigrationControl Migrations => migrations;

    public IReadOnlyList<MaintenanceCall> Calls
    {
        get
        {
            lock (_calls)
                return [.. _calls];
        }
    }

    public IReadOnlyList<MaintenanceCall.Migrate> Migrates => [.. Calls.OfType<MaintenanceCall.Migrate>()];

    /// <summary>The host calls in order, as <c>disable:host</c> / <c>enable:host</c>.</summary>
    public IReadOnlyList<string> HostCalls => [.. Calls.Select(c => c switch
    {
        MaintenanceCall.DisableHost d => "disable:" + d.Host,
        MaintenanceCall.EnableHost e => "enable:" + e.Host,
        _ => null,
    }).OfType<string>()];

    public void Submit(IReadOnlyList<MaintenanceCall> calls, DoctorState state)
    {
        lock (_calls)
            _calls.AddRange(calls);
    }
}

/// <summary>
/// The seam between the workflow and the controller that acts in the cloud: the embedded controller (the workflow's own
/// timer) and a cloud that reports migrations back as commands, both on a manual clock.
/// </summary>
public sealed class MaintenanceControllerTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private MaintenanceScenario _s = null!;
    private RecordingController _cloud = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    private async Task StartAsync(MigrationControl migrations)
    {
        _cloud = new RecordingController(migrations);
        _s = await MaintenanceScenario.StartAsync(_dir.Path, _cloud);
    }

    public async Task DisposeAsync()
    {
        if (_s is not null)
            await _s.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task Embedded_RunToDone_DisablesAndEnablesEachHostInTurnAndAsksForNoMigration()
    {
        await StartAsync(MigrationControl.Timed);
        await _s.CreateAsync();
        Assert.Equal(MigrationControl.Timed, _s.Session.Migrations);

        await _s.RunToDoneAsync();

        Assert.Equal(SessionState.MaintenanceDone, _s.Session.State);
        Assert.Empty(_cloud.Migrates); // the workflow's own timer moves the servers in the map
        Assert.Equal(["disable:compute-2", "enable:compute-2", "disable:compute-1", "enable:compute-1", "disable:compute-3", "enable:compute-3"], _cloud.HostCalls);
    }

    [Fact]
    public async Task Embedded_MigrationCompletesOnTheSessionTimer()
    {
        await StartAsync(MigrationControl.Timed);
        await _s.CreateAsync();
        await _s.ReplyAsync("ACK_MAINTENANCE");
        await _s.ReplyAsync("ACK_PREPARE_MAINTENANCE", ("vm-stby", "MIGRATE"));

        await _s.AdvanceAsync(0.9);
        Assert.Equal("compute-2", _s.Server("vm-stby").Host);
        await _s.AdvanceAsync(0.1);

        Assert.Equal("compute-3", _s.Server("vm-stby").Host);
        Assert.Equal(SessionState.StartMaintenance, _s.Session.State);
    }

    [Fact]
    public async Task Cloud_MigrationStarts_AsksTheCloudAndDoesNotCompleteOnTheTimer()
    {
        await StartAsync(MigrationControl.Reported);
        await _s.CreateAsync();
        await _s.ReplyAsync("ACK_MAINTENANCE");
        await _s.ReplyAsync("ACK_PREPARE_MAINTENANCE", ("vm-stby", "MIGRATE"));

        var call = Assert.Single(_cloud.Migrates);
        Assert.Equal(("vm-stby", "MIGRATE", "compute-2", "compute-3"), (call.InstanceId, call.Action, call.FromHost, call.ToHost));
        Assert.Equal(_s.SessionId, call.SessionId);
        Assert.Equal(["disable:compute-2"], _cloud.HostCalls);

        var session = await _s.AdvanceAsync(5); // well past migration_seconds
        Assert.Equal(SessionPhase.Actions, session.Phase);
        Assert.Equal("compute-2", _s.Server("vm-stby").Host);
        Assert.Equal(ServerState.Maintenance, _s.Server("vm-stby").State);
        Assert.DoesNotContain(("app", "INSTANCE_ACTION_DONE"), _s.Messages());
    }

    [Fact]
    public async Task Cloud_ReportDone_MovesTheServerTellsTheOwnerAndGoesOn()
    {
        var call = await StartMigrationAsync();

        var applied = await ReportAsync(call, true, "compute-3", "Nova completed the cold migration: ACTIVE on compute-3");

        Assert.True(applied);
        Assert.Equal("compute-3", _s.Server("vm-stby").Host);
        Assert.Equal(ServerState.Normal, _s.Server("vm-stby").State);
        Assert.Contains(("app", "INSTANCE_ACTION_DONE"), _s.Messages());
        Assert.Equal(SessionState.StartMaintenance, _s.Session.State);
        Assert.Contains(_s.Session.History, h => h.Detail.Contains("ACTIVE on compute-3", StringComparison.Ordinal));
        Assert.False(await ReportAsync(call, true, "compute-3", "again")); // a repeat answers nothing awaited
    }

    [Fact]
    public async Task Cloud_ReportFailed_FailsTheSessionWithTheCloudsReasonAndReleasesTheHost()
    {
        var call = await StartMigrationAsync();

        await ReportAsync(call, false, null, "Nova left the server on compute-2 (the cold migration to compute-3 failed): No valid host was found.");

        var session = _s.Session;
        Assert.Equal(SessionState.MaintenanceFailed, session.State);
        Assert.Contains("MIGRATE of server vm-stby failed", session.Reason);
        Assert.Contains("No valid host was found", session.Reason);
        Assert.Equal("compute-2", _s.Server("vm-stby").Host);
        Assert.Equal(ServerState.Normal, _s.Server("vm-stby").State);
        Assert.True(_s.Host("compute-2").Enabled);
        Assert.Null(_s.Host("compute-2").Maintenance);
        Assert.Equal(["disable:compute-2", "enable:compute-2"], _cloud.HostCalls);
    }

    [Fact]
    public async Task Cloud_NoReportWithinTheTimeout_FailsTheSession()
    {
        await StartMigrationAsync();

        var session = await _s.AdvanceAsync(29.9);
        Assert.Equal(SessionPhase.Actions, session.Phase);
        session = await _s.AdvanceAsync(0.2);

        Assert.Equal(SessionState.MaintenanceFailed, session.State);
        Assert.Contains("did not complete it within 30 s", session.Reason);
        Assert.Equal(["disable:compute-2", "enable:compute-2"], _cloud.HostCalls);
    }

    [Fact]
    public async Task Cloud_ReportAfterTheTimeout_IsIgnored()
    {
        var call = await StartMigrationAsync();
        await _s.AdvanceAsync(31);
        var failed = _s.Session;

        Assert.False(await ReportAsync(call, true, "compute-3", "late"));

        Assert.Same(failed, _s.Session);
    }

    [Fact]
    public async Task Cloud_ReportOfAnotherStart_IsIgnored()
    {
        var call = await StartMigrationAsync();
        var before = _s.Session;

        Assert.False(await ReportAsync(call with { StartedAt = call.StartedAt.AddSeconds(-1) }, true, "compute-3", "stale"));
        Assert.False(await ReportAsync(call with { InstanceId = "vm-n2" }, true, "compute-3", "not this one"));

        Assert.Same(before, _s.Session);
    }

    [Fact]
    public async Task Cloud_MapMovedByTheSyncBeforeTheReport_StillWaitsForTheReport()
    {
        var call = await StartMigrationAsync();
        // What a notification of the target compute does to the map while the move is still under way.
        await _s.Harness.ExecuteAsync(editor =>
        {
            editor.Map.PutServer(editor.Map.Server("vm-stby")! with { Host = "compute-3" });
            return true;
        });

        var session = await _s.AdvanceAsync(1);
        Assert.Equal(SessionPhase.Actions, session.Phase);
        Assert.DoesNotContain(("app", "INSTANCE_ACTION_DONE"), _s.Messages());

        await ReportAsync(call, true, "compute-3", "Nova completed the cold migration: ACTIVE on compute-3");

        Assert.Contains(("app", "INSTANCE_ACTION_DONE"), _s.Messages());
        Assert.Equal(ServerState.Normal, _s.Server("vm-stby").State);
        Assert.Equal(SessionState.StartMaintenance, _s.Session.State);
    }

    [Fact]
    public async Task Cloud_RestartWhileTheCloudMigrates_KeepsWaitingAndTakesTheReport()
    {
        var call = await StartMigrationAsync();

        await _s.RestartAsync();
        Assert.Equal(MigrationControl.Reported, _s.Session.Migrations);
        var session = await _s.AdvanceAsync(2);
        Assert.Equal(SessionPhase.Actions, session.Phase);

        Assert.True(await ReportAsync(call, true, "compute-3", "Nova completed the cold migration: ACTIVE on compute-3"));
        Assert.Equal("compute-3", _s.Server("vm-stby").Host);
    }

    [Fact]
    public async Task Cloud_RunToDone_EveryMigrationGoesThroughTheCloudAndEveryHostComesBack()
    {
        await StartAsync(MigrationControl.Reported);
        await _s.CreateAsync();
        var reported = 0;
        for (var i = 0; i < 400 && _s.Session.IsActive; i++)
        {
            var s = _s.Session;
            var migrates = _cloud.Migrates;
            if (reported < migrates.Count)
            {
                var call = migrates[reported++];
                _s.Clock.Advance(TimeSpan.FromSeconds(3)); // the cloud takes its time; longer than migration_seconds
                Assert.True(await ReportAsync(call, true, call.ToHost, $"ACTIVE on {call.ToHost}"));
            }
            else if (s.Phase == SessionPhase.Replies && s.Projects.TryGetValue(MaintenanceScenario.App, out var reply) && reply.Reply is null)
            {
                var offered = reply.InstanceIds;
                await (s.State is SessionState.PrepareMaintenance or SessionState.PlannedMaintenance
                    ? _s.ReplyAsync("ACK_" + s.State.Name(), [.. offered.Select(id => (id, id == "vm-act" ? "LIVE_MIGRATE" : "MIGRATE"))])
                    : _s.ReplyAsync("ACK_" + s.State.Name()));
            }
            else
            {
                await _s.AdvanceAsync(0.5);
            }
        }

        Assert.Equal(SessionState.MaintenanceDone, _s.Session.State);
        Assert.Equal(reported, _cloud.Migrates.Count);
        Assert.Contains(_cloud.Migrates, m => m.Action == "LIVE_MIGRATE" && m.InstanceId == "vm-act");
        Assert.Equal(5, _cloud.Migrates.Count); // vm-stby; vm-act and vm-n1 (no owner to ask); vm-stby again and vm-n2
        Assert.Equal(["disable:compute-2", "enable:compute-2", "disable:compute-1", "enable:compute-1", "disable:compute-3", "enable:compute-3"], _cloud.HostCalls);
        Assert.All(["compute-1", "compute-2", "compute-3"], h => Assert.True(_s.Host(h).Enabled && _s.Host(h).Maintenance is null));
    }

    [Theory]
    [InlineData(MigrationControl.Timed, true)]
    [InlineData(MigrationControl.Reported, false)]
    public async Task HostSomeoneElseDisabled_IsGivenBackEnabledOnlyByTheEmbeddedController(MigrationControl migrations, bool enabledAfter)
    {
        await StartAsync(migrations);
        await _s.Harness.ExecuteAsync(editor =>
        {
            editor.Map.PutHost(TestMap.Host("compute-4") with { Enabled = false }); // an operator's
            return true;
        });

        await _s.CreateAsync(hosts: ["compute-4"]); // empty, no project to ask
        await _s.AdvanceAsync(0);
        Assert.Equal(MaintenanceState.InMaintenance, _s.Host("compute-4").Maintenance!.State);
        var session = await _s.AdvanceAsync(2);

        Assert.Equal(HostProgress.Maintained, session.HostRecords["compute-4"].Progress);
        Assert.Equal(enabledAfter, _s.Host("compute-4").Enabled);
        Assert.Null(_s.Host("compute-4").Maintenance);
        Assert.Contains("compute-4", session.DisabledBefore);
        // The calls go out either way: the cloud's controller knows whose disable it is (Nova: the disabled_reason).
        Assert.Equal(["disable:compute-4", "enable:compute-4"], _cloud.HostCalls);
    }

    [Fact]
    public async Task Cloud_FailedSession_LeavesAHostSomeoneElseDisabledDisabled()
    {
        await StartAsync(MigrationControl.Reported);
        await _s.Harness.ExecuteAsync(editor =>
        {
            editor.Map.PutHost(editor.Map.Host("compute-2")! with { Enabled = false });
            editor.Map.PutHost(editor.Map.Host("compute-1")! with { Enabled = false });
            return true;
        });
        await _s.CreateAsync(hosts: ["compute-2"]);
        await _s.ReplyAsync("ACK_MAINTENANCE");
        Assert.Equal("compute-2", _s.Session.CurrentHost);

        var session = await _s.ReplyAsync("NACK_PREPARE_MAINTENANCE");

        Assert.Equal(SessionState.MaintenanceFailed, session.State);
        Assert.False(_s.Host("compute-2").Enabled);
        Assert.Null(_s.Host("compute-2").Maintenance);
    }

    /// <summary>A cloud session up to its first migration: vm-stby is cold migrated from compute-2 to compute-3.</summary>
    private async Task<MaintenanceCall.Migrate> StartMigrationAsync()
    {
        await StartAsync(MigrationControl.Reported);
        await _s.CreateAsync();
        Assert.Equal(MigrationControl.Reported, _s.Session.Migrations);
        await _s.ReplyAsync("ACK_MAINTENANCE");
        await _s.ReplyAsync("ACK_PREPARE_MAINTENANCE", ("vm-stby", "MIGRATE"));
        return Assert.Single(_cloud.Migrates);
    }

    private Task<bool> ReportAsync(MaintenanceCall.Migrate call, bool succeeded, string? host, string detail) =>
        _s.Harness.ExecuteAsync(editor => MaintenanceCommands.ReportMigration(editor,
            new MigrationReport(call.SessionId, call.InstanceId, call.StartedAt, succeeded, host, detail)));
}
