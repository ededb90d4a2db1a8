using System.Collections.Immutable;
using Doctor.Inventory;
using Doctor.OpenStack.Neutron;
using Doctor.OpenStack.Nova;
using Doctor.OpenStack.Sync;
using Doctor.State;

namespace Doctor.OpenStack.Tests.Sync;

using Server = Doctor.Inventory.Server;

/// <summary>
/// <see cref="MapSync"/>: the cloud owns existence and placement, Doctor its fault states; only cloud items are removed;
/// applying the same snapshot again changes nothing; an older read never undoes a newer notification.
/// </summary>
public sealed class MapSyncTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private DoctorState _state = DoctorState.Empty;

    private ResourceMap Map => _state.Map;

    private List<string> HostNames => [.. Map.Hosts.After(null).Select(h => h.Name)];

    private List<string> ServerIds => [.. Map.Servers.After(null).Select(s => s.Id)];

    private List<string> PortIds => [.. Map.Ports.After(null).Select(p => p.Id)];

    private SyncCounts Snapshot(CloudSnapshot snapshot, DateTimeOffset readAt, SyncTombstones? removed = null) =>
        Edit(editor => MapSync.ApplySnapshot(editor.Map, snapshot, readAt, removed), readAt.AddSeconds(1));

    private SyncCounts Notify(CloudChange change, DateTimeOffset at, SyncTombstones? removed = null) =>
        Edit(editor => MapSync.Apply(editor.Map, change, editor.Now, removed: removed), at);

    private T Edit<T>(Func<StateEditor, T> edit, DateTimeOffset now)
    {
        var editor = new StateEditor(_state, now);
        var result = edit(editor);
        _state = editor.Build();
        LastChanges = editor.Changes.Count;
        return result;
    }

    private int LastChanges { get; set; }

    private static NovaService Compute(string host, bool enabled = true, bool forcedDown = false, string? zone = "nova") =>
        new("svc-" + host, host, zone, enabled, forcedDown, !forcedDown);

    private static NovaServer Vm(string id, string project, string? host, string? name = null) =>
        new(id, name ?? id + "-name", project, host, "ACTIVE", null, "UP");

    private static NeutronPort Nic(string id, string server, string project, string? host, string? dataPlane = null, string status = "ACTIVE") =>
        new(id, server, "compute:nova", project, host, "net-1", status, dataPlane);

    private static CloudSnapshot Cloud(IEnumerable<NovaService> computes, IEnumerable<NovaServer>? servers = null, IEnumerable<NeutronPort>? ports = null,
        IReadOnlyDictionary<string, string>? groups = null) =>
        new([.. computes], [.. servers ?? []], groups ?? new Dictionary<string, string>(), [.. ports ?? []]);

    /// <summary>Two hosts, three servers of two tenants, a port each; vm-1 and vm-3 in one group.</summary>
    private static CloudSnapshot Standard() => Cloud(
        [Compute("compute-1"), Compute("compute-2", zone: "az-2")],
        [Vm("vm-1", "tenant-a", "compute-1"), Vm("vm-2", "tenant-b", "compute-1"), Vm("vm-3", "tenant-a", "compute-2")],
        [Nic("port-1", "vm-1", "tenant-a", "compute-1", "ACTIVE"), Nic("port-2", "vm-2", "tenant-b", "compute-1"), Nic("port-3", "vm-3", "tenant-a", "compute-2", "DOWN")],
        new Dictionary<string, string> { ["vm-1"] = "grp-1", ["vm-3"] = "grp-1" });

    private void AdminPut(Action<ResourceMapEditor> put) => Edit(editor => { put(editor.Map); return 0; }, T0);

    // ---- add, update, remove ------------------------------------------------------------------------------------

    [Fact]
    public void ApplySnapshot_EmptyMap_AddsEverythingMarkedAsTheCloud()
    {
        var counts = Snapshot(Standard(), T0);

        Assert.Equal(new SyncCounts(8, 0, 0, 0), counts);
        var host = Map.Hosts.Get("compute-2")!;
        Assert.Equal("az-2", host.Zone);
        Assert.Equal(MapSync.Source, host.Metadata[MapSync.SourceKey]);
        Assert.Equal("svc-compute-2", host.Metadata[MapSync.ServiceIdKey]);
        Assert.True(host.Up && host.Enabled && !host.ForcedDown);
        var vm = Map.Servers.Get("vm-1")!;
        Assert.Equal(("vm-1-name", "tenant-a", "compute-1", "grp-1"), (vm.Name, vm.ProjectId, vm.Host, vm.GroupId));
        Assert.Equal(MapSync.Source, vm.Metadata[MapSync.SourceKey]);
        Assert.Null(Map.Servers.Get("vm-2")!.GroupId);
        Assert.Equal(["vm-1", "vm-2"], Map.ServersByHost.Get("compute-1").Order(StringComparer.Ordinal));
        Assert.True(Map.Ports.Get("port-1")!.DataPlaneUp);
        Assert.Null(Map.Ports.Get("port-2")!.DataPlaneUp);
        Assert.False(Map.Ports.Get("port-3")!.DataPlaneUp);
        Assert.Equal(("vm-3", "tenant-a", "compute-2", "net-1"), (Map.Ports.Get("port-3")!.ServerId, Map.Ports.Get("port-3")!.ProjectId, Map.Ports.Get("port-3")!.Host, Map.Ports.Get("port-3")!.NetworkId));
    }

    [Fact]
    public void ApplySnapshot_SameSnapshotTwice_SecondChangesNothing()
    {
        Snapshot(Standard(), T0);

        var counts = Snapshot(Standard(), T0.AddMinutes(1));

        Assert.Equal(SyncCounts.None, counts);
        Assert.Equal(0, LastChanges);
    }

    [Fact]
    public void ApplySnapshot_SameSnapshotTwiceAfterDoctorActed_SecondChangesNothing()
    {
        Snapshot(Standard(), T0);
        DoctorMarksHostDown("compute-1", T0.AddSeconds(10));

        Snapshot(Standard(), T0.AddMinutes(1));
        var counts = Snapshot(Standard(), T0.AddMinutes(2));

        Assert.Equal(SyncCounts.None, counts);
        Assert.Equal(0, LastChanges);
    }

    [Fact]
    public void ApplySnapshot_ServerRenamedRegroupedAndMoved_UpdatedAndItsPortFollows()
    {
        Snapshot(Standard(), T0);
        var next = Cloud(
            [Compute("compute-1"), Compute("compute-2", zone: "az-2")],
            [Vm("vm-1", "tenant-a", "compute-2", "web-renamed"), Vm("vm-2", "tenant-b", "compute-1"), Vm("vm-3", "tenant-a", "compute-2")],
            [Nic("port-1", "vm-1", "tenant-a", "compute-2", "ACTIVE"), Nic("port-2", "vm-2", "tenant-b", "compute-1"), Nic("port-3", "vm-3", "tenant-a", "compute-2", "DOWN")],
            new Dictionary<string, string> { ["vm-3"] = "grp-1" });

        var counts = Snapshot(next, T0.AddMinutes(1));

        Assert.Equal(new SyncCounts(0, 1, 0, 0), counts); // vm-1 (name, host, group); port-1 had already followed its server
        var vm = Map.Servers.Get("vm-1")!;
        Assert.Equal(("web-renamed", "compute-2", (string?)null), (vm.Name, vm.Host, vm.GroupId));
        Assert.Equal("compute-2", Map.Ports.Get("port-1")!.Host);
        Assert.Equal(["vm-1", "vm-3"], Map.ServersByHost.Get("compute-2").Order(StringComparer.Ordinal));
        Assert.Equal(["port-1", "port-3"], Map.PortsByHost.Get("compute-2").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ApplySnapshot_CloudItemsGone_RemovedAndEmptyCloudHostToo()
    {
        Snapshot(Standard(), T0);
        var next = Cloud([Compute("compute-1")], [Vm("vm-1", "tenant-a", "compute-1")], [Nic("port-1", "vm-1", "tenant-a", "compute-1", "ACTIVE")]);

        var counts = Snapshot(next, T0.AddMinutes(1));

        Assert.Equal(new SyncCounts(0, 1, 5, 0), counts); // vm-1 lost its group; port-2, port-3, vm-2, vm-3, compute-2 removed
        Assert.Equal(["compute-1"], HostNames);
        Assert.Equal(["vm-1"], ServerIds);
        Assert.Equal(["port-1"], PortIds);
    }

    [Fact]
    public void ApplySnapshot_AdminItemsMissingFromTheCloud_Stay()
    {
        Snapshot(Standard(), T0);
        AdminPut(map =>
        {
            map.PutHost(new Host { Name = "bare-metal-9", UpdatedAt = T0 });
            map.PutServer(new Server { Id = "appliance-1", ProjectId = "tenant-a", Host = "bare-metal-9", UpdatedAt = T0 });
            map.PutServer(new Server { Id = "appliance-2", ProjectId = "tenant-a", Host = "compute-2", UpdatedAt = T0 });
            map.PutPort(new Port { Id = "appliance-port", ServerId = "appliance-1", UpdatedAt = T0 });
        });
        var next = Cloud([Compute("compute-1")], [Vm("vm-1", "tenant-a", "compute-1")], [Nic("port-1", "vm-1", "tenant-a", "compute-1", "ACTIVE")]);

        Snapshot(next, T0.AddMinutes(1));

        Assert.NotNull(Map.Hosts.Get("bare-metal-9"));
        Assert.NotNull(Map.Servers.Get("appliance-1"));
        Assert.NotNull(Map.Ports.Get("appliance-port"));
        // compute-2 came from the cloud, but an admin's server still runs there: it stays while it has servers.
        Assert.NotNull(Map.Hosts.Get("compute-2"));
        Assert.NotNull(Map.Servers.Get("appliance-2"));
    }

    [Fact]
    public void ApplySnapshot_AdminServerTheCloudAlsoShows_BecomesTheCloudsAndKeepsItsState()
    {
        AdminPut(map =>
        {
            map.PutHost(new Host { Name = "compute-1", UpdatedAt = T0 });
            map.PutServer(new Server { Id = "vm-1", ProjectId = "tenant-a", Host = "compute-1", State = ServerState.Error, UpdatedAt = T0 });
        });

        Snapshot(Cloud([Compute("compute-1")], [Vm("vm-1", "tenant-a", "compute-1")]), T0.AddMinutes(1));

        var vm = Map.Servers.Get("vm-1")!;
        Assert.Equal(MapSync.Source, vm.Metadata[MapSync.SourceKey]);
        Assert.Equal(ServerState.Error, vm.State);
        Assert.Equal("svc-compute-1", Map.Hosts.Get("compute-1")!.Metadata[MapSync.ServiceIdKey]);
    }

    [Fact]
    public void ApplySnapshot_NewHostNovaShowsForcedDown_MirroredAsDown()
    {
        Snapshot(Cloud([Compute("compute-1", forcedDown: true, enabled: false)]), T0);

        var host = Map.Hosts.Get("compute-1")!;
        Assert.True(host.ForcedDown);
        Assert.False(host.Up);
        Assert.False(host.Enabled);
    }

    [Fact]
    public void ApplySnapshot_HostDisabledInNova_FollowsTheCloud()
    {
        Snapshot(Standard(), T0);
        var next = Standard() with { Computes = [Compute("compute-1", enabled: false), Compute("compute-2", zone: "az-3")] };

        var counts = Snapshot(next, T0.AddMinutes(1));

        Assert.Equal(new SyncCounts(0, 2, 0, 0), counts);
        Assert.False(Map.Hosts.Get("compute-1")!.Enabled);
        Assert.Equal("az-3", Map.Hosts.Get("compute-2")!.Zone);
    }

    // ---- Doctor's states ------------------------------------------------------------------------------------------

    private void DoctorMarksHostDown(string hostName, DateTimeOffset at) => Edit(editor =>
    {
        var map = editor.Map;
        map.PutHost(map.Host(hostName)! with { Up = false, ForcedDown = true, UpdatedAt = at });
        foreach (var id in map.ServersOn(hostName).ToList())
            map.PutServer(map.Server(id)! with { State = ServerState.Error, UpdatedAt = at });
        foreach (var id in map.PortsOn(hostName).ToList())
            map.PutPort(map.Port(id)! with { DataPlaneUp = false, UpdatedAt = at });
        return 0;
    }, at);

    [Fact]
    public void ApplySnapshot_AfterDoctorMarkedAHostDown_NeverUndoesHostServerOrPortStates()
    {
        Snapshot(Standard(), T0);
        DoctorMarksHostDown("compute-1", T0.AddSeconds(5));

        // Nova has not been told yet (or refused): it still shows the host up and not forced down, the port ACTIVE.
        var counts = Snapshot(Standard(), T0.AddMinutes(1));

        Assert.Equal(SyncCounts.None, counts);
        var host = Map.Hosts.Get("compute-1")!;
        Assert.True(host.ForcedDown);
        Assert.False(host.Up);
        Assert.Equal(ServerState.Error, Map.Servers.Get("vm-1")!.State);
        Assert.Equal(ServerState.Error, Map.Servers.Get("vm-2")!.State);
        Assert.False(Map.Ports.Get("port-1")!.DataPlaneUp);
    }

    [Fact]
    public void Apply_NotificationsAboutAHostDoctorHoldsDown_KeepItDown()
    {
        Snapshot(Standard(), T0);
        DoctorMarksHostDown("compute-1", T0.AddSeconds(5));

        Notify(new CloudChange.ComputeSeen("compute-1", "svc-compute-1", "nova", Enabled: true, ForcedDown: false), T0.AddSeconds(6));
        Notify(new CloudChange.ServerSeen("vm-1", "vm-1-name", "tenant-a", "compute-1"), T0.AddSeconds(6));
        Notify(new CloudChange.PortSeen("port-1", "vm-1", "tenant-a", "compute-1", "net-1", "ACTIVE"), T0.AddSeconds(6));

        Assert.True(Map.Hosts.Get("compute-1")!.ForcedDown);
        Assert.Equal(ServerState.Error, Map.Servers.Get("vm-1")!.State);
        Assert.False(Map.Ports.Get("port-1")!.DataPlaneUp);
    }

    [Fact]
    public void ApplySnapshot_HostInMaintenance_KeepsTheEnabledStatusTheSessionSet()
    {
        Snapshot(Standard(), T0);
        Edit(editor =>
        {
            editor.Map.PutHost(editor.Map.Host("compute-2")! with
            {
                Enabled = false, Maintenance = new HostMaintenance(MaintenanceState.InMaintenance, "session-1", T0), UpdatedAt = T0,
            });
            return 0;
        }, T0);

        Snapshot(Standard(), T0.AddMinutes(1)); // Nova still shows it enabled
        Notify(new CloudChange.ComputeSeen("compute-2", null, null, Enabled: true, ForcedDown: null), T0.AddMinutes(2));

        Assert.False(Map.Hosts.Get("compute-2")!.Enabled);
        Assert.NotNull(Map.Hosts.Get("compute-2")!.Maintenance);
    }

    [Fact]
    public void ApplySnapshot_PortDataPlane_TakenOnlyWhenThePortIsNew()
    {
        Snapshot(Standard(), T0);
        var next = Standard() with { Ports = [Nic("port-1", "vm-1", "tenant-a", "compute-1", "DOWN"), Nic("port-2", "vm-2", "tenant-b", "compute-1", "ACTIVE"), Nic("port-3", "vm-3", "tenant-a", "compute-2", "DOWN")] };

        Snapshot(next, T0.AddMinutes(1));

        Assert.True(Map.Ports.Get("port-1")!.DataPlaneUp);
        Assert.Null(Map.Ports.Get("port-2")!.DataPlaneUp);
    }

    [Fact]
    public void ApplySnapshot_PortStatusDown_FollowsNeutron()
    {
        Snapshot(Standard(), T0);
        var next = Standard() with { Ports = [Nic("port-1", "vm-1", "tenant-a", "compute-1", "ACTIVE", status: "DOWN"), Nic("port-2", "vm-2", "tenant-b", "compute-1"), Nic("port-3", "vm-3", "tenant-a", "compute-2", "DOWN")] };

        Assert.Equal(new SyncCounts(0, 1, 0, 0), Snapshot(next, T0.AddMinutes(1)));
        Assert.False(Map.Ports.Get("port-1")!.Active);
    }

    [Fact]
    public void ApplySnapshot_OperatorForcesAHostDownInNova_MirroredAndLiftedWithNova()
    {
        Snapshot(Standard(), T0);
        var forced = Standard() with { Computes = [Compute("compute-1", forcedDown: true), Compute("compute-2", zone: "az-2")] };

        Edit(editor => MapSync.ApplySnapshot(editor.Map, forced, T0.AddMinutes(1), doctorHoldsDown: _ => false), T0.AddMinutes(1));
        Assert.True(Map.Hosts.Get("compute-1")!.ForcedDown);
        Assert.False(Map.Hosts.Get("compute-1")!.Up);

        Edit(editor => MapSync.ApplySnapshot(editor.Map, Standard(), T0.AddMinutes(2), doctorHoldsDown: _ => false), T0.AddMinutes(2));
        Assert.False(Map.Hosts.Get("compute-1")!.ForcedDown);
        Assert.True(Map.Hosts.Get("compute-1")!.Up);

        Assert.Equal(new SyncCounts(0, 1, 0, 0), Edit(editor => MapSync.Apply(editor.Map, new CloudChange.ComputeSeen("compute-2", null, null, null, ForcedDown: true), T0.AddMinutes(3), doctorHoldsDown: _ => false), T0.AddMinutes(3)));
        Assert.True(Map.Hosts.Get("compute-2")!.ForcedDown);
    }

    [Fact]
    public void ApplySnapshot_HostDoctorHoldsDown_NovaNotForcedDoesNotLiftIt()
    {
        Snapshot(Standard(), T0);
        DoctorMarksHostDown("compute-1", T0.AddSeconds(5));

        Edit(editor => MapSync.ApplySnapshot(editor.Map, Standard(), T0.AddMinutes(1), doctorHoldsDown: host => host == "compute-1"), T0.AddMinutes(1));

        Assert.True(Map.Hosts.Get("compute-1")!.ForcedDown);
        Assert.False(Map.Hosts.Get("compute-1")!.Up);
    }

    // ---- notifications ---------------------------------------------------------------------------------------------

    [Fact]
    public void Apply_ServerMovesHosts_MovedWithItsPorts()
    {
        Snapshot(Standard(), T0);

        var counts = Notify(new CloudChange.ServerSeen("vm-1", null, null, "compute-2"), T0.AddSeconds(30));

        Assert.Equal(new SyncCounts(0, 1, 0, 0), counts);
        Assert.Equal("compute-2", Map.Servers.Get("vm-1")!.Host);
        Assert.Equal("vm-1-name", Map.Servers.Get("vm-1")!.Name);
        Assert.Equal("grp-1", Map.Servers.Get("vm-1")!.GroupId); // a notification says nothing of groups: kept
        Assert.Equal("compute-2", Map.Ports.Get("port-1")!.Host);
        Assert.DoesNotContain("vm-1", Map.ServersByHost.Get("compute-1"));
    }

    [Fact]
    public void Apply_ServerOnAHostNotYetInTheMap_CreatesTheHostMarked()
    {
        var counts = Notify(new CloudChange.ServerSeen("vm-9", "new", "tenant-c", "compute-new"), T0);

        Assert.Equal(new SyncCounts(1, 0, 0, 0), counts);
        var host = Map.Hosts.Get("compute-new")!;
        Assert.Equal(MapSync.Source, host.Metadata[MapSync.SourceKey]);
        Assert.False(host.Metadata.ContainsKey(MapSync.ServiceIdKey));
        Assert.Equal(["vm-9"], Map.ServersByHost.Get("compute-new"));

        // The service shows up later (its service.update, or the next snapshot): its id is filled in.
        Assert.Equal(new SyncCounts(0, 1, 0, 0), Notify(new CloudChange.ComputeSeen("compute-new", "uuid-new", "az-9", true, false), T0.AddSeconds(1)));
        Assert.Equal("uuid-new", Map.Hosts.Get("compute-new")!.Metadata[MapSync.ServiceIdKey]);
        Assert.Equal("az-9", Map.Hosts.Get("compute-new")!.Zone);
    }

    [Fact]
    public void Apply_ComputeSeenForAnUnknownHost_AddsIt()
    {
        var counts = Notify(new CloudChange.ComputeSeen("compute-7", "uuid-7", null, Enabled: false, ForcedDown: null), T0);

        Assert.Equal(new SyncCounts(1, 0, 0, 0), counts);
        Assert.False(Map.Hosts.Get("compute-7")!.Enabled);
        Assert.True(Map.Hosts.Get("compute-7")!.Up);
    }

    [Fact]
    public void Apply_ServerGoneAndPortGone_Removed()
    {
        Snapshot(Standard(), T0);

        Assert.Equal(new SyncCounts(0, 0, 1, 0), Notify(new CloudChange.ServerGone("vm-2"), T0.AddSeconds(1)));
        Assert.Equal(new SyncCounts(0, 0, 1, 0), Notify(new CloudChange.PortGone("port-2"), T0.AddSeconds(1)));
        Assert.Equal(SyncCounts.None, Notify(new CloudChange.PortGone("port-2"), T0.AddSeconds(2)));

        Assert.Null(Map.Servers.Get("vm-2"));
        Assert.Null(Map.Ports.Get("port-2"));
    }

    [Fact]
    public void Apply_SameNotificationTwice_SecondChangesNothing()
    {
        Snapshot(Standard(), T0);
        var change = new CloudChange.ServerSeen("vm-1", "renamed", "tenant-a", "compute-2");

        Notify(change, T0.AddSeconds(1));
        var again = Notify(change, T0.AddSeconds(2));

        Assert.Equal(SyncCounts.None, again);
        Assert.Equal(0, LastChanges);
    }

    [Theory]
    [InlineData("rack/1")]
    [InlineData("..")]
    [InlineData("a\u0001b")]
    public void Apply_ChangeNamingAnImpossibleHost_SkippedWhole(string host)
    {
        Snapshot(Standard(), T0);

        Assert.Equal(new SyncCounts(0, 0, 0, 1), Notify(new CloudChange.ServerSeen("vm-1", "x", "tenant-a", host), T0.AddSeconds(1)));
        Assert.Equal(new SyncCounts(0, 0, 0, 1), Notify(new CloudChange.ServerSeen("vm-new", "x", "tenant-a", host), T0.AddSeconds(1)));
        Assert.Equal(new SyncCounts(0, 0, 0, 1), Notify(new CloudChange.PortSeen("port-new", "vm-1", "tenant-a", host, null, null), T0.AddSeconds(1)));
        Assert.Equal(new SyncCounts(0, 0, 0, 1), Notify(new CloudChange.ComputeSeen(host, "svc", null, true, false), T0.AddSeconds(1)));

        Assert.Equal("compute-1", Map.Servers.Get("vm-1")!.Host);
        Assert.Null(Map.Servers.Get("vm-new"));
        Assert.Null(Map.Ports.Get("port-new"));
        Assert.DoesNotContain(host, HostNames);
    }

    [Fact]
    public void ApplySnapshot_ItemsWithImpossibleKeys_SkippedOthersApplied()
    {
        var snapshot = Cloud(
            [Compute("compute-1"), Compute("bad/host"), Compute(new string('h', 256))],
            [Vm("vm-1", "tenant-a", "compute-1"), Vm("vm/2", "tenant-a", "compute-1"), Vm("vm-3", "tenant-a", "bad/host"), Vm("vm-4", "tenant\u0000a", "compute-1")],
            [Nic("port-1", "vm-1", "tenant-a", "compute-1"), Nic("port/2", "vm-1", "tenant-a", "compute-1")]);

        var counts = Snapshot(snapshot, T0);

        Assert.Equal(new SyncCounts(3, 0, 0, 6), counts);
        Assert.Equal(["compute-1"], HostNames);
        Assert.Equal(["vm-1"], ServerIds);
        Assert.Equal(["port-1"], PortIds);
    }

    // ---- the race between a snapshot's read and notifications ---------------------------------------------------

    [Fact]
    public void ApplySnapshot_ServerANotificationCreatedAfterTheReadStarted_NotRemoved()
    {
        Snapshot(Standard(), T0);
        var readAt = T0.AddMinutes(1);
        Notify(new CloudChange.ServerSeen("vm-new", "new", "tenant-a", "compute-2"), readAt.AddSeconds(2));
        Notify(new CloudChange.PortSeen("port-new", "vm-new", "tenant-a", "compute-2", "net-1", "ACTIVE"), readAt.AddSeconds(2));

        var counts = Snapshot(Standard(), readAt); // read before vm-new existed

        Assert.NotNull(Map.Servers.Get("vm-new"));
        Assert.NotNull(Map.Ports.Get("port-new"));
        Assert.Equal(0, counts.Removed);
        Assert.Equal(2, counts.Skipped);

        // A read that started after the notification does remove it if the cloud no longer has it.
        Assert.Equal(2, Snapshot(Standard(), readAt.AddMinutes(1)).Removed);
        Assert.Null(Map.Servers.Get("vm-new"));
    }

    [Fact]
    public void ApplySnapshot_HostANotificationCreatedAfterTheReadStarted_NotRemoved()
    {
        Snapshot(Standard(), T0);
        var readAt = T0.AddMinutes(1);
        Notify(new CloudChange.ComputeSeen("compute-3", "svc-compute-3", "nova", true, false), readAt.AddSeconds(1));

        Snapshot(Standard(), readAt);

        Assert.NotNull(Map.Hosts.Get("compute-3"));
    }

    [Fact]
    public void ApplySnapshot_ServerANotificationMovedAfterTheReadStarted_NotMovedBack()
    {
        Snapshot(Standard(), T0);
        var readAt = T0.AddMinutes(1);
        Notify(new CloudChange.ServerSeen("vm-1", null, null, "compute-2"), readAt.AddSeconds(3));

        Snapshot(Standard(), readAt); // still shows vm-1 on compute-1

        Assert.Equal("compute-2", Map.Servers.Get("vm-1")!.Host);
        Assert.Equal("compute-2", Map.Ports.Get("port-1")!.Host);
    }

    [Fact]
    public void ApplySnapshot_HostANotificationDisabledAfterTheReadStarted_NotEnabledAgain()
    {
        Snapshot(Standard(), T0);
        var readAt = T0.AddMinutes(1);
        Notify(new CloudChange.ComputeSeen("compute-1", "svc-compute-1", null, Enabled: false, ForcedDown: null), readAt.AddSeconds(1));

        Snapshot(Standard(), readAt);

        Assert.False(Map.Hosts.Get("compute-1")!.Enabled);
    }

    [Fact]
    public void ApplySnapshot_ServerANotificationDeletedAfterTheReadStarted_NotBroughtBack()
    {
        var removed = new SyncTombstones();
        Snapshot(Standard(), T0, removed);
        var readAt = T0.AddMinutes(1);
        Notify(new CloudChange.ServerGone("vm-2"), readAt.AddSeconds(1), removed);
        Notify(new CloudChange.PortGone("port-2"), readAt.AddSeconds(1), removed);

        var counts = Snapshot(Standard(), readAt, removed); // read while vm-2 still existed

        Assert.Null(Map.Servers.Get("vm-2"));
        Assert.Null(Map.Ports.Get("port-2"));
        Assert.Equal(0, counts.Added);
        Assert.Equal(2, removed.Count); // still needed by any read that started before the deletion
    }

    [Fact]
    public void ApplySnapshot_DeletionBeforeTheReadStarted_ForgottenAndTheCloudWins()
    {
        var removed = new SyncTombstones();
        Snapshot(Standard(), T0, removed);
        Notify(new CloudChange.ServerGone("vm-2"), T0.AddSeconds(10), removed);

        // The cloud shows vm-2 in a read that started after the deletion message (e.g. the message was stale): it is back.
        var counts = Snapshot(Standard(), T0.AddMinutes(1), removed);

        Assert.Equal(1, counts.Added);
        Assert.NotNull(Map.Servers.Get("vm-2"));
        Assert.Equal(0, removed.Count);
    }

    [Fact]
    public void ApplySnapshot_ServerAFaultChangedAfterTheReadStarted_NeitherRemovedNorUpdated()
    {
        Snapshot(Standard(), T0);
        var readAt = T0.AddMinutes(1);
        DoctorMarksHostDown("compute-2", readAt.AddSeconds(1));
        var next = Cloud([Compute("compute-1"), Compute("compute-2", zone: "az-2")], [Vm("vm-1", "tenant-a", "compute-1"), Vm("vm-2", "tenant-b", "compute-1")]);

        Snapshot(next, readAt);

        Assert.NotNull(Map.Servers.Get("vm-3"));
        Snapshot(next, readAt.AddMinutes(1));
        Assert.Null(Map.Servers.Get("vm-3"));
    }
}
