using Doctor.Control;
using Doctor.Core.Tests.Support;
using Doctor.Events;
using Doctor.Faults;
using Doctor.Inventory;
using Doctor.Notification;
using Doctor.State;
using Doctor.Subscriptions;

namespace Doctor.Core.Tests.Control;

/// <summary>A server moved off a failed host (evacuated) stops carrying that host's failure, without waiting for the host.</summary>
public class RelocationTests
{
    private readonly ProcessorHarness _doctor = new();

    private ResourceMap Map => _doctor.State.Map;

    private IEnumerable<Fault> ActiveOn(ResourceType type, string id) =>
        _doctor.State.Faults.All.After(null).Where(f => f.IsActive && f.ResourceType == type && f.ResourceId == id);

    private void Move(string serverId, string host)
    {
        var editor = new StateEditor(_doctor.State, _doctor.Now);
        editor.Map.PutServer(editor.Map.Server(serverId)! with { Host = host, UpdatedAt = _doctor.Now });
        _doctor.State = editor.Build();
    }

    private ProcessResult Moved(string serverId, string id = "e-moved") =>
        _doctor.Apply(Relocation.MovedEvent(serverId, Map.Servers.Get(serverId)!.Host!, _doctor.Now) with { Id = id });

    [Fact]
    public void MovedToAnUpHost_ServerAndPortsClearAndComeBack_OwnerToldCleared_HostStaysDown()
    {
        _doctor.Apply(TestMap.HostEvent("compute.host.down", "compute-1", "e-down"));
        Move("vm-a1", "compute-2");

        Assert.Equal(["vm-a1"], Relocation.LeftBehind(_doctor.State));
        var result = Moved("vm-a1");

        Assert.Equal(EventStatus.Processed, result.Outcome.Status);
        var notice = Assert.IsType<Notice>(result.Notice);
        Assert.Equal(NotificationType.FaultCleared, notice.Type);
        Assert.Equal(["port:port-a1", "server:vm-a1"], notice.Resources.Select(r => $"{r.Type.Name()}:{r.Id}").Order());
        var server = notice.Resources.Single(r => r.Type == ResourceType.Server);
        Assert.Equal(("normal", HostStatus.Up, "compute-2"), (server.State, server.HostStatus, server.Host));
        Assert.Equal(HostIdentity.For(TestMap.ProjectA, "compute-2"), server.HostId);
        Assert.All(notice.Resources, r => Assert.All(r.Faults, f => Assert.NotNull(f.ClearedAt)));

        Assert.Equal(ServerState.Normal, Map.Servers.Get("vm-a1")!.State);
        Assert.True(Map.Ports.Get("port-a1")!.DataPlaneUp);
        Assert.Empty(ActiveOn(ResourceType.Server, "vm-a1"));
        Assert.Empty(ActiveOn(ResourceType.Port, "port-a1"));
        // The failure itself and everything still on the host are untouched.
        Assert.False(Map.Hosts.Get("compute-1")!.Up);
        Assert.Single(ActiveOn(ResourceType.Host, "compute-1"));
        Assert.Equal(ServerState.Error, Map.Servers.Get("vm-a2")!.State);
        Assert.Empty(Relocation.LeftBehind(_doctor.State));
    }

    [Fact]
    public void HostRecoversAfterTheMove_ItsRecoveryNamesOnlyWhatWasStillOnIt()
    {
        _doctor.Apply(TestMap.HostEvent("compute.host.down", "compute-1", "e-down"));
        Move("vm-a1", "compute-2");
        Moved("vm-a1");

        var recovery = _doctor.Apply(TestMap.HostEvent("compute.host.up", "compute-1", "e-up")).Notice!;

        Assert.DoesNotContain(recovery.Resources, r => r.Id is "vm-a1" or "port-a1");
        Assert.Contains(recovery.Resources, r => r.Id == "vm-a2");
        Assert.Equal(ServerState.Normal, Map.Servers.Get("vm-a1")!.State);
        Assert.Empty(_doctor.State.Faults.Active.After(null));
    }

    [Fact]
    public void MovedToAHostThatIsDownToo_NothingLeftBehind_EventIgnored()
    {
        _doctor.Apply(TestMap.HostEvent("compute.host.down", "compute-1", "e-down-1"));
        _doctor.Apply(TestMap.HostEvent("compute.host.down", "compute-2", "e-down-2"));
        Move("vm-a1", "compute-2");

        Assert.Empty(Relocation.LeftBehind(_doctor.State));
        var result = Moved("vm-a1");

        Assert.Equal(EventStatus.Ignored, result.Outcome.Status);
        Assert.Null(result.Notice);
        Assert.Equal(ServerState.Error, Map.Servers.Get("vm-a1")!.State);
    }

    [Fact]
    public void MovedBackBeforeTheEventWasApplied_EventIgnored()
    {
        _doctor.Apply(TestMap.HostEvent("compute.host.down", "compute-1", "e-down"));
        Move("vm-a1", "compute-2");
        var moved = Relocation.MovedEvent("vm-a1", "compute-2", _doctor.Now);
        Move("vm-a1", "compute-1"); // e.g. a replay after a restart: the map has moved on

        var result = _doctor.Apply(moved);

        Assert.Equal(EventStatus.Ignored, result.Outcome.Status);
        Assert.Equal(ServerState.Error, Map.Servers.Get("vm-a1")!.State);
        Assert.NotEmpty(ActiveOn(ResourceType.Server, "vm-a1"));
    }

    [Fact]
    public void ServerWithAFaultOfItsOwn_DerivedFaultClears_ButTheServerStaysInError()
    {
        _doctor.Apply(TestMap.Event("compute.instance.down", "e-vm", ("server_id", "vm-a1")));
        _doctor.Apply(TestMap.HostEvent("compute.host.down", "compute-1", "e-down"));
        Move("vm-a1", "compute-2");

        var notice = Moved("vm-a1").Notice!;

        Assert.Equal("error", notice.Resources.Single(r => r.Type == ResourceType.Server).State);
        Assert.Equal(ServerState.Error, Map.Servers.Get("vm-a1")!.State);
        Assert.Equal("compute.instance.down", Assert.Single(ActiveOn(ResourceType.Server, "vm-a1")).FaultType);
    }

    [Fact]
    public void ServerAlreadyInErrorBeforeTheFailure_StaysInError()
    {
        _doctor.Apply(TestMap.HostEvent("compute.host.down", "compute-1", "e-down"));
        Move("vm-a3", "compute-2");

        Moved("vm-a3");

        Assert.Equal(ServerState.Error, Map.Servers.Get("vm-a3")!.State);
        Assert.Empty(ActiveOn(ResourceType.Server, "vm-a3"));
    }

    [Fact]
    public void TheSameEventFromAMonitor_IsNotHonoured()
    {
        _doctor.Apply(TestMap.HostEvent("compute.host.down", "compute-1", "e-down"));
        Move("vm-a1", "compute-2");

        var forged = Relocation.MovedEvent("vm-a1", "compute-2", _doctor.Now) with { Origin = EventOrigin.Monitor };
        var result = _doctor.Apply(forged);

        Assert.Equal(EventStatus.Ignored, result.Outcome.Status);
        Assert.Equal(ServerState.Error, Map.Servers.Get("vm-a1")!.State);
    }

    [Fact]
    public void LeftBehind_OfGivenCandidates_OnlyThoseThatMoved()
    {
        _doctor.Apply(TestMap.HostEvent("compute.host.down", "compute-1", "e-down"));
        Move("vm-a1", "compute-2");

        Assert.Equal(["vm-a1"], Relocation.LeftBehind(_doctor.State, ["vm-a2", "vm-a1", "vm-a4", "no-such-server"]));
        Assert.Empty(Relocation.LeftBehind(_doctor.State, ["vm-a2"]));
    }
}
