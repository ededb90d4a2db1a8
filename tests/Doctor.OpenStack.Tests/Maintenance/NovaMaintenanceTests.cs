using System.Collections.Immutable;
using Doctor.Inventory;
using Doctor.Maintenance;
using Doctor.OpenStack.Maintenance;
using Doctor.OpenStack.Sync;
using Doctor.State;

namespace Doctor.OpenStack.Tests.Maintenance;

/// <summary>The controller the engine hands maintenance calls to in OpenStack mode, against a fake Nova over loopback.</summary>
public sealed class NovaMaintenanceTests : IAsyncLifetime
{
    private NovaMaintenanceRig _rig = null!;

    public async Task InitializeAsync()
    {
        _rig = await NovaMaintenanceRig.StartAsync();
        _rig.Nova.AddService("fake-a", "svc-a");
        _rig.Nova.AddService("fake-b", "svc-b");
    }

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    [Fact]
    public void Reason_NamesTheSessionAndIsRecognised()
    {
        Assert.Equal("Doctor maintenance session s-1", NovaMaintenance.Reason("s-1"));
        Assert.True(NovaMaintenance.IsDoctors(NovaMaintenance.Reason("s-1")));
        Assert.False(NovaMaintenance.IsDoctors("disk replacement (ops ticket 42)"));
        Assert.False(NovaMaintenance.IsDoctors(null));
    }

    [Fact]
    public async Task Submit_DisableThenEnable_DisablesInNovaNamingTheSessionThenEnables()
    {
        var state = StateWith(Host("fake-a"));

        _rig.Controller.Submit([new MaintenanceCall.DisableHost("s-1", "fake-a")], state);
        await _rig.Actions.WhenIdleAsync();
        Assert.Equal((false, "Doctor maintenance session s-1"), _rig.Nova.ServiceOf("fake-a"));

        _rig.Controller.Submit([new MaintenanceCall.EnableHost("s-1", "fake-a")], state);
        await _rig.Actions.WhenIdleAsync();

        Assert.Equal((true, null), _rig.Nova.ServiceOf("fake-a"));
        Assert.Equal(["PUT service fake-a disabled Doctor maintenance session s-1", "PUT service fake-a enabled"], _rig.Nova.Calls);
    }

    [Fact]
    public async Task Submit_HostAnOperatorDisabled_IsNeitherTouchedNorEnabledAfterwards()
    {
        _rig.Nova.AddService("fake-a", "svc-a", enabled: false, reason: "disk replacement");
        var state = StateWith(Host("fake-a"));

        _rig.Controller.Submit([new MaintenanceCall.DisableHost("s-1", "fake-a")], state);
        await _rig.Actions.WhenIdleAsync();
        _rig.Controller.Submit([new MaintenanceCall.EnableHost("s-1", "fake-a")], state);
        await _rig.Actions.WhenIdleAsync();

        Assert.Equal((false, "disk replacement"), _rig.Nova.ServiceOf("fake-a"));
        Assert.Empty(_rig.Nova.Calls);
    }

    [Fact]
    public async Task Submit_HostWithoutNovaService_IsLeftToTheMap()
    {
        var state = StateWith(new Host { Name = "manual-host" });

        _rig.Controller.Submit([new MaintenanceCall.DisableHost("s-1", "manual-host")], state);
        await _rig.Actions.WhenIdleAsync();

        Assert.Empty(_rig.Nova.Calls);
    }

    [Fact]
    public async Task Submit_Migrate_CarriesItOutAndReportsTheEnd()
    {
        _rig.Nova.AddServer("vm-1", "fake-a");
        var call = _rig.Call("vm-1", "LIVE_MIGRATE", "fake-a", "fake-b");

        _rig.Controller.Submit([call], StateWith(Host("fake-a"), Host("fake-b")));
        await _rig.DriveAsync(WhenReportedAsync(1));

        var report = Assert.Single(_rig.Reports);
        Assert.True(report.Succeeded, report.Detail);
        Assert.Equal((call.SessionId, call.InstanceId, call.StartedAt, "fake-b"), (report.SessionId, report.InstanceId, report.StartedAt, report.Host));
        await _rig.Controller.WhenIdleAsync();
        Assert.Equal(0, _rig.Controller.InFlight);
    }

    [Fact]
    public async Task Submit_MigrationToAHostBeingEnabled_WaitsUntilNovaEnabledIt()
    {
        // The session maintained fake-b and enabled it, then moves a server there: Nova's scheduler must see it enabled.
        _rig.Nova.AddService("fake-b", "svc-b", enabled: false, reason: NovaMaintenance.Reason("s-1"));
        _rig.Nova.AddServer("vm-1", "fake-a");
        _rig.Nova.ServiceUpdates = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var state = StateWith(Host("fake-a"), Host("fake-b"));

        _rig.Controller.Submit([new MaintenanceCall.EnableHost("s-1", "fake-b"), _rig.Call("vm-1", "LIVE_MIGRATE", "fake-a", "fake-b")], state);
        for (var i = 0; i < 5_000 && !_rig.Nova.Calls.Contains("(service update held)"); i++)
            await Task.Delay(1);
        Assert.Equal(["(service update held)"], _rig.Nova.Calls); // the migration has not been asked for
        _rig.Nova.ServiceUpdates.SetResult();
        await _rig.DriveAsync(WhenReportedAsync(1));

        Assert.True(Assert.Single(_rig.Reports).Succeeded);
        Assert.Equal(["(service update held)", "PUT service fake-b enabled", "POST os-migrateLive fake-b vm-1 (compute 2.56)"], _rig.Nova.Calls);
    }

    [Fact]
    public async Task Resume_SessionWaitingForAMigration_FollowsItAgainAndReports()
    {
        _rig.Nova.AddServer("vm-1", "fake-b", status: "VERIFY_RESIZE");
        var started = _rig.Clock.GetUtcNow();
        var session = Session("s-1") with
        {
            Phase = SessionPhase.Actions, CurrentHost = "fake-a",
            Actions = [new InstanceAction("vm-1", "p", "MIGRATE") { StartedAt = started, DueAt = started.AddSeconds(30), FromHost = "fake-a", ToHost = "fake-b" }],
        };

        Assert.Equal(1, _rig.Controller.Resume(StateWith([Host("fake-a", "s-1"), Host("fake-b")], session)));
        await _rig.DriveAsync(WhenReportedAsync(1));

        var report = Assert.Single(_rig.Reports);
        Assert.True(report.Succeeded, report.Detail);
        Assert.Equal(started, report.StartedAt);
        Assert.Equal(["POST confirmResize vm-1 (compute 2.56)"], _rig.Nova.Calls); // no second migration
    }

    [Fact]
    public async Task Resume_TimedSessionOrFinishedAction_FollowsNothing()
    {
        var started = _rig.Clock.GetUtcNow();
        var action = new InstanceAction("vm-1", "p", "MIGRATE") { StartedAt = started, FromHost = "fake-a", ToHost = "fake-b" };
        var timed = Session("s-1") with { Phase = SessionPhase.Actions, Migrations = MigrationControl.Timed, Actions = [action] };
        var done = Session("s-2") with { Phase = SessionPhase.Actions, Actions = [action with { DoneAt = started }] };

        Assert.Equal(0, _rig.Controller.Resume(StateWith([Host("fake-a")], timed, done)));
        await _rig.Controller.WhenIdleAsync();
        Assert.Empty(_rig.Nova.Calls);
    }

    [Fact]
    public async Task RepairHosts_DoctorDisabledHostNoSessionHolds_IsEnabled_AndAHeldHostIsDisabledAtStart()
    {
        _rig.Nova.AddService("fake-a", "svc-a", enabled: false, reason: NovaMaintenance.Reason("s-old"));
        _rig.Nova.AddService("fake-c", "svc-c", enabled: false, reason: "operator's");
        _rig.State = StateWith([Host("fake-a"), Host("fake-b", "s-1"), Host("fake-c")], Session("s-1"));

        Assert.Equal(2, await _rig.Controller.RepairHostsAsync(holdToo: true, CancellationToken.None));
        await _rig.Actions.WhenIdleAsync();

        Assert.Equal((true, null), _rig.Nova.ServiceOf("fake-a"));
        Assert.Equal((false, "Doctor maintenance session s-1"), _rig.Nova.ServiceOf("fake-b"));
        Assert.Equal((false, "operator's"), _rig.Nova.ServiceOf("fake-c"));
    }

    [Fact]
    public async Task RepairHosts_WhileRunning_LeavesAHeldHostAnOperatorEnabled()
    {
        _rig.State = StateWith([Host("fake-b", "s-1")], Session("s-1"));

        Assert.Equal(0, await _rig.Controller.RepairHostsAsync(holdToo: false, CancellationToken.None));
        Assert.Empty(_rig.Nova.Calls);
    }

    [Fact]
    public async Task RepairHosts_HostOfAnEndedSession_IsEnabled()
    {
        _rig.Nova.AddService("fake-b", "svc-b", enabled: false, reason: NovaMaintenance.Reason("s-1"));
        _rig.State = StateWith([Host("fake-b", "s-1")], Session("s-1") with { State = SessionState.MaintenanceFailed });

        Assert.Equal(1, await _rig.Controller.RepairHostsAsync(holdToo: false, CancellationToken.None));
        await _rig.Actions.WhenIdleAsync();

        Assert.Equal((true, null), _rig.Nova.ServiceOf("fake-b"));
    }

    [Fact]
    public void MapSync_SnapshotOfAHostDoctorsMaintenanceDisabled_KeepsTheMapsEnabledStatus()
    {
        // A reconciliation read just before Doctor's enable of a maintained host reached Nova.
        var editor = new StateEditor(StateWith(Host("fake-a")), _rig.Clock.GetUtcNow());
        MapSync.Apply(editor.Map, new CloudChange.ComputeSeen("fake-a", "svc-a", "nova", false, false) { DisabledReason = NovaMaintenance.Reason("s-1") }, editor.Now);
        Assert.True(editor.Map.Host("fake-a")!.Enabled);

        MapSync.Apply(editor.Map, new CloudChange.ComputeSeen("fake-a", "svc-a", "nova", false, false) { DisabledReason = "operator's" }, editor.Now);
        Assert.False(editor.Map.Host("fake-a")!.Enabled);
    }

    private async Task WhenReportedAsync(int count)
    {
        for (var i = 0; i < 10_000 && _rig.Reports.Count < count; i++)
            await Task.Delay(1);
    }

    private static Host Host(string name, string? heldBy = null) => new()
    {
        Name = name,
        Enabled = heldBy is null,
        Maintenance = heldBy is null ? null : new HostMaintenance(MaintenanceState.GoingToMaintenance, heldBy, DateTimeOffset.UnixEpoch),
        Metadata = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
            [KeyValuePair.Create(MapSync.SourceKey, MapSync.Source), KeyValuePair.Create(MapSync.ServiceIdKey, "svc-" + name[^1])]),
    };

    private static MaintenanceSession Session(string id) => new()
    {
        SessionId = id, Timers = MaintenanceTimers.Defaults, Migrations = MigrationControl.Reported, State = SessionState.PrepareMaintenance,
    };

    private static DoctorState StateWith(params Host[] hosts) => StateWith(hosts, []);

    private static DoctorState StateWith(Host[] hosts, params MaintenanceSession[] sessions)
    {
        var editor = new StateEditor(DoctorState.Empty, DateTimeOffset.UnixEpoch);
        foreach (var host in hosts)
            editor.Map.PutHost(host);
        foreach (var session in sessions)
            editor.Maintenance.Put(session);
        return editor.Build();
    }
}
