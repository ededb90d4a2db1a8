using Doctor.Control;
using Doctor.Core.Tests.Support;
using Doctor.Events;
using Doctor.Faults;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.Profiling;
using Doctor.State;
using Doctor.Subscriptions;

namespace Doctor.Core.Tests.Control;

public class FaultProcessorTests
{
    private readonly ProcessorHarness _doctor = new();

    private ResourceMap Map => _doctor.State.Map;

    private IEnumerable<Fault> AllFaults => _doctor.State.Faults.All.After(null);

    private IEnumerable<Fault> ActiveFaults => AllFaults.Where(f => f.IsActive);

    private ProcessResult HostDown(string host = "compute-1", string id = "e-down") =>
        _doctor.Apply(TestMap.HostEvent("compute.host.down", host, id));

    private ProcessResult HostUp(string host = "compute-1", string id = "e-up") =>
        _doctor.Apply(TestMap.HostEvent("compute.host.up", host, id));

    private void AdminEdit(Action<StateEditor> edit)
    {
        var editor = new StateEditor(_doctor.State, _doctor.Now);
        edit(editor);
        _doctor.State = editor.Build();
    }

    // ---- compute.host.down ----

    [Fact]
    public void Process_HostDown_MarksHostDownAndForcedDown()
    {
        HostDown();

        var host = Map.Hosts.Get("compute-1")!;
        Assert.False(host.Up);
        Assert.True(host.ForcedDown);
        Assert.Equal(HostStatus.Down, host.Status);
        Assert.Equal(_doctor.Now, host.UpdatedAt);
        Assert.True(Map.Hosts.Get("compute-2")!.Up);
    }

    [Fact]
    public void Process_HostDown_PutsEveryServerOnTheHostInError()
    {
        HostDown();

        Assert.All(["vm-a1", "vm-a2", "vm-a3", "vm-b1"], id => Assert.Equal(ServerState.Error, Map.Servers.Get(id)!.State));
        Assert.Equal(ServerState.Normal, Map.Servers.Get("vm-a4")!.State);
        Assert.Equal(HostStatus.Down, Map.HostStatusOf(Map.Servers.Get("vm-a1")!.Host));
    }

    [Fact]
    public void Process_HostDown_SetsEveryPortDataPlaneDown()
    {
        HostDown();

        Assert.All(["port-a1", "port-a2", "port-b1"], id => Assert.False(Map.Ports.Get(id)!.DataPlaneUp));
        Assert.True(Map.Ports.Get("port-a4")!.DataPlaneUp);
    }

    [Fact]
    public void Process_HostDown_FindsAPortWithoutBindingHostThroughItsServer()
    {
        var map = ResourceMap.From(
            [TestMap.Host("compute-1")],
            [TestMap.Server("vm-1", "p", "compute-1")],
            [new Port { Id = "port-unbound", ServerId = "vm-1", ProjectId = "p", DataPlaneUp = true }]);
        var doctor = new ProcessorHarness(DoctorState.Empty with { Map = map });

        doctor.Apply(TestMap.HostEvent("compute.host.down", "compute-1", "e-1"));

        Assert.False(doctor.State.Map.Ports.Get("port-unbound")!.DataPlaneUp);
    }

    [Fact]
    public void Process_HostDown_RaisesARootFaultOnTheHostWithCorrelatedDerivedFaults()
    {
        HostDown();

        var root = Assert.Single(AllFaults, f => f.IsRootCause);
        var derived = AllFaults.Where(f => !f.IsRootCause).ToList();
        Assert.Equal((ResourceType.Host, "compute-1"), (root.ResourceType, root.ResourceId));
        Assert.Equal(
            ["server:vm-a1", "server:vm-a2", "server:vm-a3", "server:vm-b1", "port:port-a1", "port:port-a2", "port:port-b1"],
            derived.Select(f => f.ResourceKey));
        Assert.Equal(derived.Select(f => f.FaultId), root.CorrelatedFaultIds.ToArray());
        Assert.All(derived, f => Assert.Equal([root.FaultId], f.CorrelatedFaultIds.ToArray()));
        Assert.All(AllFaults, f =>
        {
            Assert.Equal("compute.host.down", f.FaultType);
            Assert.Equal(Severity.Critical, f.Severity);
            Assert.Equal("host failure", f.ProbableCause);
            Assert.Equal("e-down", f.EventId);
            Assert.Equal(TestMap.Start.AddMinutes(1), f.EventTime);
            Assert.Equal(_doctor.Now, f.RaisedAt);
            Assert.True(f.IsActive);
            Assert.Equal(Effect.HostDown, f.Effect);
        });
    }

    [Fact]
    public void Process_HostDown_DerivedFaultsCarryTheOwnerProject()
    {
        HostDown();

        var owners = AllFaults.Where(f => !f.IsRootCause).ToDictionary(f => f.ResourceId, f => f.ProjectId);
        Assert.Equal(TestMap.ProjectA, owners["vm-a1"]);
        Assert.Equal(TestMap.ProjectB, owners["vm-b1"]);
        Assert.Equal(TestMap.ProjectB, owners["port-b1"]);
        Assert.Null(Assert.Single(AllFaults, f => f.IsRootCause).ProjectId);
    }

    [Fact]
    public void Process_HostDown_ProcessedWithTheRootFaultId()
    {
        var result = HostDown();

        var root = Assert.Single(AllFaults, f => f.IsRootCause);
        Assert.Equal(EventStatus.Processed, result.Outcome.Status);
        Assert.Equal(_doctor.LastSeq, result.Outcome.Seq);
        Assert.Equal([root.FaultId], result.Outcome.FaultIds.ToArray());
    }

    [Fact]
    public void Process_HostDown_NoticeCarriesEveryAffectedResourceInOneMessage()
    {
        var notice = HostDown().Notice;

        Assert.NotNull(notice);
        Assert.Equal(NotificationType.Fault, notice.Type);
        Assert.Equal("e-down", notice.EventId);
        Assert.Equal(
            ["host:compute-1", "server:vm-a1", "server:vm-a2", "server:vm-a3", "server:vm-b1", "port:port-a1", "port:port-a2", "port:port-b1"],
            notice.Resources.Select(r => $"{r.Type.Name()}:{r.Id}"));
        Assert.All(notice.Resources, r => Assert.Equal(HostStatus.Down, r.HostStatus));
        Assert.All(notice.Resources, r => Assert.Single(r.Faults));

        var vm = notice.Resources.Single(r => r.Id == "vm-b1");
        Assert.Equal("error", vm.State);
        Assert.Equal(TestMap.ProjectB, vm.ProjectId);
        Assert.Equal(HostIdentity.For(TestMap.ProjectB, "compute-1"), vm.HostId);
        Assert.Equal("DOWN", notice.Resources.Single(r => r.Id == "port-a1").State);
        Assert.Equal("down", notice.Resources[0].State);
    }

    [Fact]
    public void Process_HostDownTwice_CorrelatesToTheActiveRootWithoutNewFaultsOrNotice()
    {
        HostDown(id: "e-1");
        var root = Assert.Single(AllFaults, f => f.IsRootCause);
        var before = _doctor.State;

        var second = HostDown(id: "e-2");

        Assert.Equal(EventStatus.Processed, second.Outcome.Status);
        Assert.Equal([root.FaultId], second.Outcome.FaultIds.ToArray());
        Assert.Null(second.Notice);
        Assert.Empty(_doctor.LastChanges);
        Assert.Equal(before.Faults.All.Count, _doctor.State.Faults.All.Count);
    }

    [Fact]
    public void Process_HostDownForUnknownHost_IgnoredAndChangesNothing()
    {
        var result = HostDown("compute-404");

        Assert.Equal(EventStatus.Ignored, result.Outcome.Status);
        Assert.Contains("compute-404", result.Outcome.Reason);
        Assert.Null(result.Notice);
        Assert.Empty(_doctor.LastChanges);
        Assert.Empty(AllFaults);
    }

    [Fact]
    public void Process_HostDownWithoutHostname_IgnoredNamingTheDetail()
    {
        var result = _doctor.Apply(TestMap.Event("compute.host.down", "e-1", ("source", "x")));

        Assert.Equal(EventStatus.Ignored, result.Outcome.Status);
        Assert.Contains("hostname", result.Outcome.Reason);
        Assert.Empty(AllFaults);
    }

    [Fact]
    public void Process_UnknownEventType_IgnoredAndChangesNothing()
    {
        var result = _doctor.Apply(TestMap.HostEvent("compute.host.flux.capacitor", "compute-1", "e-1"));

        Assert.Equal(EventStatus.Ignored, result.Outcome.Status);
        Assert.Null(result.Notice);
        Assert.Empty(_doctor.LastChanges);
        Assert.True(Map.Hosts.Get("compute-1")!.Up);
    }

    // ---- compute.host.up ----

    [Fact]
    public void Process_HostUpAfterHostDown_ClearsRootAndDerivedFaults()
    {
        HostDown();

        var result = HostUp();

        var root = Assert.Single(AllFaults, f => f.IsRootCause);
        Assert.Equal(EventStatus.Processed, result.Outcome.Status);
        Assert.Equal([root.FaultId], result.Outcome.FaultIds.ToArray());
        Assert.Empty(ActiveFaults);
        Assert.All(AllFaults, f => Assert.Equal("e-up", f.ClearedByEventId));
        Assert.All(AllFaults, f => Assert.Equal(_doctor.Now, f.ClearedAt));
        Assert.Equal(0, _doctor.State.Faults.ActiveByResource.KeyCount);
    }

    [Fact]
    public void Process_HostUpAfterHostDown_RestoresThePriorStates()
    {
        HostDown();

        HostUp();

        var host = Map.Hosts.Get("compute-1")!;
        Assert.True(host.Up);
        Assert.False(host.ForcedDown);
        Assert.Equal(HostStatus.Up, host.Status);
        Assert.All(["vm-a1", "vm-a2", "vm-b1"], id => Assert.Equal(ServerState.Normal, Map.Servers.Get(id)!.State));
        Assert.True(Map.Ports.Get("port-a1")!.DataPlaneUp);
        Assert.Null(Map.Ports.Get("port-b1")!.DataPlaneUp); // nobody had reported its data plane before the fault
    }

    [Fact]
    public void Process_HostUpAfterHostDown_ServerAlreadyInErrorStaysInError()
    {
        HostDown();

        HostUp();

        Assert.Equal(ServerState.Error, Map.Servers.Get("vm-a3")!.State);
    }

    [Fact]
    public void Process_HostUpAfterAdminChangedAServer_KeepsTheAdminsState()
    {
        HostDown();
        AdminEdit(e => e.Map.PutServer(e.Map.Server("vm-a1")! with { State = ServerState.Maintenance }));

        HostUp();

        Assert.Equal(ServerState.Maintenance, Map.Servers.Get("vm-a1")!.State);
        Assert.Equal(ServerState.Normal, Map.Servers.Get("vm-a2")!.State);
    }

    [Fact]
    public void Process_HostUp_NoticeIsFaultClearedWithEveryResource()
    {
        HostDown();

        var notice = HostUp().Notice;

        Assert.NotNull(notice);
        Assert.Equal(NotificationType.FaultCleared, notice.Type);
        Assert.Equal("e-up", notice.EventId);
        Assert.Equal(8, notice.Resources.Length);
        Assert.All(notice.Resources, r => Assert.All(r.Faults, f => Assert.False(f.IsActive)));
        Assert.Equal("normal", notice.Resources.Single(r => r.Id == "vm-a1").State);
        Assert.Equal(HostStatus.Up, notice.Resources.Single(r => r.Id == "vm-a1").HostStatus);
        Assert.Equal("up", notice.Resources.Single(r => r.Id == "compute-1").State);
    }

    [Fact]
    public void Process_HostUpWithNothingActive_IgnoredAndChangesNothing()
    {
        var result = HostUp();

        Assert.Equal(EventStatus.Ignored, result.Outcome.Status);
        Assert.Null(result.Notice);
        Assert.Empty(_doctor.LastChanges);
    }

    [Fact]
    public void Process_HostUpForAnotherHost_LeavesTheFaultActive()
    {
        HostDown("compute-1");

        var result = HostUp("compute-2");

        Assert.Equal(EventStatus.Ignored, result.Outcome.Status);
        Assert.Equal(8, ActiveFaults.Count());
        Assert.False(Map.Hosts.Get("compute-1")!.Up);
    }

    [Fact]
    public void Process_HostDownAgainAfterRecovery_RaisesANewFault()
    {
        HostDown(id: "e-1");
        HostUp(id: "e-2");

        var third = HostDown(id: "e-3");

        Assert.NotNull(third.Notice);
        Assert.Equal(2, AllFaults.Count(f => f.IsRootCause));
        Assert.False(Map.Hosts.Get("compute-1")!.Up);
        Assert.Equal(ServerState.Error, Map.Servers.Get("vm-a1")!.State);
    }

    [Fact]
    public void Process_HostWasAlreadyForcedDown_RecoveryKeepsItForcedDown()
    {
        AdminEdit(e => e.Map.PutHost(e.Map.Host("compute-1")! with { ForcedDown = true }));
        HostDown();

        HostUp();

        var host = Map.Hosts.Get("compute-1")!;
        Assert.True(host.ForcedDown);
        Assert.Equal(HostStatus.Down, host.Status);
    }

    [Fact]
    public void Process_ServerDeletedWhileFaulty_RecoveryStillClearsItsFault()
    {
        HostDown();
        AdminEdit(e => e.Map.RemoveServer("vm-a2"));

        var notice = HostUp().Notice!;

        Assert.Empty(ActiveFaults);
        Assert.Equal("deleted", notice.Resources.Single(r => r.Id == "vm-a2").State);
        Assert.Equal(ServerState.Normal, Map.Servers.Get("vm-a1")!.State);
    }

    // ---- compute.host.nic.down / up ----

    [Fact]
    public void Process_NicDown_ChangesOnlyTheHostsPorts()
    {
        var result = _doctor.Apply(TestMap.HostEvent("compute.host.nic.down", "compute-1", "e-nic"));

        Assert.True(Map.Hosts.Get("compute-1")!.Up);
        Assert.False(Map.Hosts.Get("compute-1")!.ForcedDown);
        Assert.All(["vm-a1", "vm-a2", "vm-b1"], id => Assert.Equal(ServerState.Normal, Map.Servers.Get(id)!.State));
        Assert.All(["port-a1", "port-a2", "port-b1"], id => Assert.False(Map.Ports.Get(id)!.DataPlaneUp));
        Assert.True(Map.Ports.Get("port-a4")!.DataPlaneUp);
        Assert.Equal(
            ["host:compute-1", "port:port-a1", "port:port-a2", "port:port-b1"],
            result.Notice!.Resources.Select(r => $"{r.Type.Name()}:{r.Id}"));
        Assert.All(AllFaults, f => Assert.Equal(Severity.Major, f.Severity));
        Assert.Equal(HostStatus.Up, result.Notice.Resources[1].HostStatus);
    }

    [Fact]
    public void Process_NicUpAfterNicDown_RestoresThePorts()
    {
        _doctor.Apply(TestMap.HostEvent("compute.host.nic.down", "compute-1", "e-1"));

        var result = _doctor.Apply(TestMap.HostEvent("compute.host.nic.up", "compute-1", "e-2"));

        Assert.Equal(NotificationType.FaultCleared, result.Notice!.Type);
        Assert.Empty(ActiveFaults);
        Assert.True(Map.Ports.Get("port-a1")!.DataPlaneUp);
        Assert.Null(Map.Ports.Get("port-b1")!.DataPlaneUp);
    }

    [Fact]
    public void Process_HostUpWhileNicStillDown_PortsStayDown()
    {
        _doctor.Apply(TestMap.HostEvent("compute.host.nic.down", "compute-1", "e-1"));
        HostDown(id: "e-2");

        HostUp(id: "e-3");

        Assert.True(Map.Hosts.Get("compute-1")!.Up);
        Assert.Equal(ServerState.Normal, Map.Servers.Get("vm-a1")!.State);
        Assert.False(Map.Ports.Get("port-a1")!.DataPlaneUp);
    }

    [Fact]
    public void Process_NicAndHostFaultsOverlapping_PortsComeBackWhenBothRecover()
    {
        HostDown(id: "e-1");
        _doctor.Apply(TestMap.HostEvent("compute.host.nic.down", "compute-1", "e-2"));
        HostUp(id: "e-3");

        _doctor.Apply(TestMap.HostEvent("compute.host.nic.up", "compute-1", "e-4"));

        Assert.Empty(ActiveFaults);
        Assert.True(Map.Ports.Get("port-a1")!.DataPlaneUp);
        Assert.Null(Map.Ports.Get("port-b1")!.DataPlaneUp);
    }

    // ---- compute.instance.down / up ----

    [Fact]
    public void Process_InstanceDown_PutsOnlyThatServerInError()
    {
        var result = _doctor.Apply(TestMap.Event("compute.instance.down", "e-vm", ("server_id", "vm-a1")));

        Assert.Equal(ServerState.Error, Map.Servers.Get("vm-a1")!.State);
        Assert.Equal(ServerState.Normal, Map.Servers.Get("vm-a2")!.State);
        Assert.True(Map.Hosts.Get("compute-1")!.Up);
        Assert.True(Map.Ports.Get("port-a1")!.DataPlaneUp);
        var fault = Assert.Single(AllFaults);
        Assert.True(fault.IsRootCause);
        Assert.Equal(("server:vm-a1", TestMap.ProjectA, Severity.Critical), (fault.ResourceKey, fault.ProjectId, fault.Severity));
        var resource = Assert.Single(result.Notice!.Resources);
        Assert.Equal(("vm-a1", "error", HostStatus.Up), (resource.Id, resource.State, resource.HostStatus));
    }

    [Fact]
    public void Process_InstanceUpAfterInstanceDown_RestoresTheServer()
    {
        _doctor.Apply(TestMap.Event("compute.instance.down", "e-1", ("server_id", "vm-a1")));

        var result = _doctor.Apply(TestMap.Event("compute.instance.up", "e-2", ("server_id", "vm-a1")));

        Assert.Equal(EventStatus.Processed, result.Outcome.Status);
        Assert.Equal(ServerState.Normal, Map.Servers.Get("vm-a1")!.State);
        Assert.Empty(ActiveFaults);
    }

    [Fact]
    public void Process_InstanceDownForUnknownServer_Ignored()
    {
        var result = _doctor.Apply(TestMap.Event("compute.instance.down", "e-1", ("server_id", "vm-404")));

        Assert.Equal(EventStatus.Ignored, result.Outcome.Status);
        Assert.Empty(AllFaults);
    }

    [Fact]
    public void Process_InstanceAndHostFaultsOverlapping_ServerComesBackWhenBothRecover()
    {
        _doctor.Apply(TestMap.Event("compute.instance.down", "e-1", ("server_id", "vm-a1")));
        HostDown(id: "e-2");
        HostUp(id: "e-3");
        Assert.Equal(ServerState.Error, Map.Servers.Get("vm-a1")!.State); // the instance fault still holds it

        _doctor.Apply(TestMap.Event("compute.instance.up", "e-4", ("server_id", "vm-a1")));

        Assert.Equal(ServerState.Normal, Map.Servers.Get("vm-a1")!.State);
    }

    // ---- admin state changes (POST /v1/hosts/{name}/state) ----

    [Fact]
    public void Process_InstanceDownOnAHostAlreadyDown_RecordedAndCorrelatedWithoutANotice()
    {
        var down = HostDown(id: "e-1");

        var result = _doctor.Apply(TestMap.Event("compute.instance.down", "e-2", ("server_id", "vm-a1")));

        Assert.Null(result.Notice); // the owner already knows: vm-a1 is in error with its host
        var instance = Assert.Single(ActiveFaults, f => f.FaultType == "compute.instance.down");
        Assert.Equal([instance.FaultId], result.Outcome.FaultIds.ToArray());
        Assert.Contains(down.Outcome.FaultIds[0], instance.CorrelatedFaultIds);
    }

    [Fact]
    public void Process_InstanceDownWhileItsHostIsDown_ServerStaysInErrorWhenTheHostRecovers()
    {
        HostDown(id: "e-1");
        _doctor.Apply(TestMap.Event("compute.instance.down", "e-2", ("server_id", "vm-a1")));

        HostUp(id: "e-3");

        Assert.Equal(ServerState.Error, Map.Servers.Get("vm-a1")!.State); // its own fault still holds it
        Assert.Equal(ServerState.Normal, Map.Servers.Get("vm-a2")!.State);
        _doctor.Apply(TestMap.Event("compute.instance.up", "e-4", ("server_id", "vm-a1")));
        Assert.Equal(ServerState.Normal, Map.Servers.Get("vm-a1")!.State);
    }

    [Fact]
    public void Process_AdminForcedDown_HasTheEffectsOfAHostDown()
    {
        var result = _doctor.Apply(TestMap.AdminHostState("compute-1", "e-admin", forcedDown: "true"));

        var host = Map.Hosts.Get("compute-1")!;
        Assert.False(host.Up);
        Assert.True(host.ForcedDown);
        Assert.Equal(ServerState.Error, Map.Servers.Get("vm-b1")!.State);
        Assert.False(Map.Ports.Get("port-a1")!.DataPlaneUp);
        Assert.Equal(NotificationType.Fault, result.Notice!.Type);
        Assert.All(AllFaults, f => Assert.True(f.ByAdmin));
        Assert.Equal(8, AllFaults.Count());
    }

    [Fact]
    public void Process_AdminForcedDown_FaultDetailsNameTheAdminNotAMonitor()
    {
        _doctor.Apply(TestMap.AdminHostState("compute-1", "e-admin", forcedDown: "true"));

        var root = Assert.Single(AllFaults, f => f.IsRootCause);
        Assert.Equal("admin", root.Details["source"]);
        Assert.Equal("replacing a DIMM", root.Details["reason"]);
        Assert.False(root.Details.ContainsKey("forced_down"));
    }

    [Fact]
    public void Process_MonitorHostUpAfterAdminForcedDown_DoesNotLiftIt()
    {
        _doctor.Apply(TestMap.AdminHostState("compute-1", "e-admin", forcedDown: "true"));

        var result = HostUp();

        Assert.Equal(EventStatus.Ignored, result.Outcome.Status);
        Assert.Null(result.Notice);
        Assert.False(Map.Hosts.Get("compute-1")!.Up);
        Assert.True(Map.Hosts.Get("compute-1")!.ForcedDown);
        Assert.Equal(ServerState.Error, Map.Servers.Get("vm-a1")!.State);
        Assert.Equal(8, ActiveFaults.Count());
    }

    [Fact]
    public void Process_AdminForcedDownFalse_ClearsAndRestores()
    {
        _doctor.Apply(TestMap.AdminHostState("compute-1", "e-1", forcedDown: "true"));

        var result = _doctor.Apply(TestMap.AdminHostState("compute-1", "e-2", forcedDown: "false"));

        Assert.Equal(NotificationType.FaultCleared, result.Notice!.Type);
        Assert.Empty(ActiveFaults);
        var host = Map.Hosts.Get("compute-1")!;
        Assert.True(host.Up);
        Assert.False(host.ForcedDown);
        Assert.Equal(ServerState.Normal, Map.Servers.Get("vm-a1")!.State);
        Assert.Equal(ServerState.Error, Map.Servers.Get("vm-a3")!.State);
        Assert.True(Map.Ports.Get("port-a1")!.DataPlaneUp);
    }

    [Fact]
    public void Process_AdminForcedDownFalse_AlsoLiftsAMonitorsHostDown()
    {
        HostDown();

        _doctor.Apply(TestMap.AdminHostState("compute-1", "e-admin", forcedDown: "false"));

        Assert.Empty(ActiveFaults);
        Assert.True(Map.Hosts.Get("compute-1")!.Up);
        Assert.Equal(ServerState.Normal, Map.Servers.Get("vm-a1")!.State);
    }

    [Fact]
    public void Process_AdminForceDownOverAMonitorsHostDown_HostComesBackWhenBothAreLifted()
    {
        HostDown(id: "e-1");
        _doctor.Apply(TestMap.AdminHostState("compute-1", "e-2", forcedDown: "true"));
        HostUp(id: "e-3");
        Assert.False(Map.Hosts.Get("compute-1")!.Up); // the admin still holds it down

        _doctor.Apply(TestMap.AdminHostState("compute-1", "e-4", forcedDown: "false"));

        Assert.Empty(ActiveFaults);
        var host = Map.Hosts.Get("compute-1")!;
        Assert.True(host.Up);
        Assert.False(host.ForcedDown);
        Assert.Equal(ServerState.Normal, Map.Servers.Get("vm-a1")!.State);
        Assert.True(Map.Ports.Get("port-a1")!.DataPlaneUp);
    }

    [Fact]
    public void Process_AdminForcedDownFalseWithoutFault_ClearsAForcedDownFlag()
    {
        AdminEdit(e => e.Map.PutHost(e.Map.Host("compute-1")! with { ForcedDown = true, Up = false }));

        var result = _doctor.Apply(TestMap.AdminHostState("compute-1", "e-admin", forcedDown: "false"));

        Assert.Equal(EventStatus.Processed, result.Outcome.Status);
        Assert.Null(result.Notice);
        Assert.False(Map.Hosts.Get("compute-1")!.ForcedDown);
        Assert.True(Map.Hosts.Get("compute-1")!.Up);
    }

    [Fact]
    public void Process_AdminDisablesHost_HostShowsMaintenanceWithoutFaults()
    {
        var result = _doctor.Apply(TestMap.AdminHostState("compute-1", "e-admin", forcedDown: null, status: "disabled"));

        Assert.Equal(EventStatus.Processed, result.Outcome.Status);
        Assert.Null(result.Notice);
        Assert.Empty(AllFaults);
        Assert.False(Map.Hosts.Get("compute-1")!.Enabled);
        Assert.Equal(HostStatus.Maintenance, Map.HostStatusOf("compute-1"));
    }

    [Fact]
    public void Process_AdminEnablesHost_HostIsEnabledAgain()
    {
        _doctor.Apply(TestMap.AdminHostState("compute-1", "e-1", forcedDown: null, status: "disabled"));

        _doctor.Apply(TestMap.AdminHostState("compute-1", "e-2", forcedDown: null, status: "enabled"));

        Assert.True(Map.Hosts.Get("compute-1")!.Enabled);
        Assert.Equal(HostStatus.Up, Map.HostStatusOf("compute-1"));
    }

    [Fact]
    public void Process_AdminStateForUnknownHost_Ignored()
    {
        var result = _doctor.Apply(TestMap.AdminHostState("compute-404", "e-admin", forcedDown: "true"));

        Assert.Equal(EventStatus.Ignored, result.Outcome.Status);
        Assert.Empty(_doctor.LastChanges);
    }

    [Fact]
    public void Process_HostStateEventFromAMonitor_IsNotAnAdminCommand()
    {
        var forged = TestMap.AdminHostState("compute-1", "e-forged", forcedDown: "true") with { Origin = EventOrigin.Monitor };

        var result = _doctor.Apply(forged);

        Assert.Equal(EventStatus.Ignored, result.Outcome.Status);
        Assert.True(Map.Hosts.Get("compute-1")!.Up);
    }

    // ---- determinism and profiling ----

    [Fact]
    public void Process_SameEventAtSameSeq_RaisesIdenticalFaults()
    {
        var first = new ProcessorHarness();
        var second = new ProcessorHarness();
        var e = TestMap.HostEvent("compute.host.down", "compute-1", "e-1");

        first.ApplyAt(42, e);
        second.ApplyAt(42, e);

        var a = first.State.Faults.All.After(null).ToList();
        var b = second.State.Faults.All.After(null).ToList();
        Assert.Equal(a.Select(f => f.FaultId), b.Select(f => f.FaultId));
        Assert.Equal(a.Select(f => f.ResourceKey), b.Select(f => f.ResourceKey));
        Assert.Equal(a.Select(f => f.CorrelatedFaultIds.ToArray()), b.Select(f => f.CorrelatedFaultIds.ToArray()));
        Assert.Equal("flt-00000000002a-000000", Assert.Single(a, f => f.IsRootCause).FaultId);
    }

    [Fact]
    public void Process_LaterEvent_FaultIdsSortAfterEarlierOnes()
    {
        _doctor.ApplyAt(9, TestMap.HostEvent("compute.host.down", "compute-2", "e-1"));
        _doctor.ApplyAt(10, TestMap.HostEvent("compute.host.down", "compute-1", "e-2"));

        var ids = AllFaults.Select(f => f.FaultId).ToList();
        Assert.True(ids.Take(3).All(id => id.StartsWith("flt-000000000009-", StringComparison.Ordinal)));
        Assert.True(ids.Skip(3).All(id => id.StartsWith("flt-00000000000a-", StringComparison.Ordinal)));
    }

    [Fact]
    public void Process_LiveEvent_RecordsATimelineUnderTheRootFault()
    {
        var result = _doctor.Apply(TestMap.HostEvent("compute.host.down", "compute-1", "e-1"), receivedTicks: 1000);

        var timeline = _doctor.Timelines.Get(result.Outcome.FaultIds[0]);
        Assert.NotNull(timeline);
        Assert.Same(timeline, result.Notice!.Timeline);
        Assert.Equal(1000, timeline[Checkpoint.Received]);
        Assert.NotEqual(0, timeline[Checkpoint.FoundAffected]);
        Assert.NotEqual(0, timeline[Checkpoint.MarkedHostDown]);
        Assert.NotEqual(0, timeline[Checkpoint.SetVmError]);
    }

    [Fact]
    public void Process_ReplayedEvent_HasNoTimeline()
    {
        var result = _doctor.Apply(TestMap.HostEvent("compute.host.down", "compute-1", "e-1"), receivedTicks: 0);

        Assert.Null(_doctor.Timelines.Get(result.Outcome.FaultIds[0]));
        Assert.Null(result.Notice!.Timeline);
    }

    [Fact]
    public void Process_DoesNotAlterTheStateItStartedFrom()
    {
        var before = _doctor.State;

        HostDown();

        Assert.True(before.Map.Hosts.Get("compute-1")!.Up);
        Assert.Equal(ServerState.Normal, before.Map.Servers.Get("vm-a1")!.State);
        Assert.Empty(before.Faults.All.After(null));
    }

    [Fact]
    public void Process_PolicyWithSeverityFromEvent_UsesTheEventsSeverity()
    {
        var policy = new FailurePolicy([new PolicyRule { Match = "compute.host.*.error", Effect = Effect.NotifyOnly }]);
        var editor = new StateEditor(TestMap.State(), TestMap.Start);
        var e = TestMap.Event("compute.host.memory.error", "e-1", ("hostname", "compute-1"), ("severity", "minor"));

        var result = new FaultProcessor(new PolicySource(policy), new TimelineBook()).Process(editor, new EventRecord(1, e, TestMap.Start, 0, 0));

        // A warning changes nothing but reaches the owner of every server on the host.
        var faults = editor.Build().Faults.All.After(null).ToList();
        Assert.All(faults, f => Assert.Equal(Severity.Minor, f.Severity));
        Assert.All(faults, f => Assert.Equal("compute.host.memory.error", f.FaultType));
        Assert.True(editor.Build().Map.Hosts.Get("compute-1")!.Up);
        Assert.Equal(ServerState.Normal, editor.Build().Map.Servers.Get("vm-a1")!.State);
        Assert.Equal(
            ["host:compute-1", "server:vm-a1", "server:vm-a2", "server:vm-a3", "server:vm-b1"],
            result.Notice!.Resources.Select(r => $"{r.Type.Name()}:{r.Id}"));
    }
}
