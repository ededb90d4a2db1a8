using Doctor.Core.Tests.Support;
using Doctor.Inventory;
using Doctor.State;

namespace Doctor.Core.Tests.Inventory;

public class ResourceMapEditorTests
{
    private static StateEditor Edit(ResourceMap? map = null) =>
        new(DoctorState.Empty with { Map = map ?? TestMap.Map() }, TestMap.Start);

    [Fact]
    public void PutServer_NewServer_IsIndexedByHostAndProject()
    {
        var editor = Edit();

        editor.Map.PutServer(TestMap.Server("vm-new", "project-z", "compute-2"));
        var map = editor.Map.Build();

        Assert.Contains("vm-new", map.ServersByHost.Get("compute-2"));
        Assert.Equal(["vm-new"], map.ServersByProject.Get("project-z"));
    }

    [Fact]
    public void PutServer_MovedToAnotherHost_MovesItAndItsPortsInEveryIndex()
    {
        var editor = Edit();
        var moved = TestMap.Server("vm-a1", TestMap.ProjectA, "compute-2");

        editor.Map.PutServer(moved);
        var map = editor.Map.Build();

        Assert.DoesNotContain("vm-a1", map.ServersByHost.Get("compute-1"));
        Assert.Contains("vm-a1", map.ServersByHost.Get("compute-2"));
        Assert.Equal("compute-2", map.Ports.Get("port-a1")!.Host);
        Assert.DoesNotContain("port-a1", map.PortsByHost.Get("compute-1"));
        Assert.Contains("port-a1", map.PortsByHost.Get("compute-2"));
        Assert.Equal(HostIdentity.For(TestMap.ProjectA, "compute-2"), map.Ports.Get("port-a1")!.HostId);
    }

    [Fact]
    public void PutServer_Moved_LeavesAPortBoundElsewhereWhereItIs()
    {
        // A port whose binding host differs from its server's (e.g. an SR-IOV port reported separately) is not dragged along.
        var map = ResourceMap.From(
            [TestMap.Host("compute-1"), TestMap.Host("compute-2"), TestMap.Host("compute-3")],
            [TestMap.Server("vm-1", "p", "compute-1")],
            [TestMap.Port("port-1", "vm-1", "p", "compute-3")]);
        var editor = Edit(map);

        editor.Map.PutServer(TestMap.Server("vm-1", "p", "compute-2"));

        Assert.Equal("compute-3", editor.Map.Port("port-1")!.Host);
    }

    [Fact]
    public void PutServer_StateChangeOnly_KeepsIndexesAndShowsNewState()
    {
        var editor = Edit();

        editor.Map.PutServer(TestMap.Server("vm-a1", TestMap.ProjectA, "compute-1", ServerState.Error));
        var map = editor.Map.Build();

        Assert.Equal(ServerState.Error, map.Servers.Get("vm-a1")!.State);
        Assert.Contains("vm-a1", map.ServersByHost.Get("compute-1"));
        Assert.Contains("vm-a1", map.ServersByProject.Get(TestMap.ProjectA));
        Assert.Equal("compute-1", map.Ports.Get("port-a1")!.Host);
    }

    [Fact]
    public void PutServer_ProjectChanged_MovesItBetweenProjects()
    {
        var editor = Edit();

        editor.Map.PutServer(TestMap.Server("vm-b1", TestMap.ProjectA, "compute-1"));
        var map = editor.Map.Build();

        Assert.DoesNotContain("vm-b1", map.ServersByProject.Get(TestMap.ProjectB));
        Assert.Contains("vm-b1", map.ServersByProject.Get(TestMap.ProjectA));
    }

    [Fact]
    public void PutServer_ProjectChanged_PortsOfTheOldProjectFollowIt()
    {
        // Otherwise the old owner keeps getting notifications about ports of a server that is no longer theirs.
        var editor = Edit();

        editor.Map.PutServer(TestMap.Server("vm-b1", TestMap.ProjectA, "compute-1"));
        var map = editor.Map.Build();

        var port = map.Ports.Get("port-b1")!;
        Assert.Equal(TestMap.ProjectA, port.ProjectId);
        Assert.Equal(HostIdentity.For(TestMap.ProjectA, "compute-1"), port.HostId);
        Assert.Empty(map.PortsByProject.Get(TestMap.ProjectB));
        Assert.Contains("port-b1", map.PortsByProject.Get(TestMap.ProjectA));
    }

    [Fact]
    public void PutServer_ProjectChanged_PortOwnedByAThirdProjectStays()
    {
        var map = ResourceMap.From(
            [TestMap.Host("compute-1")],
            [TestMap.Server("vm-1", "p-old", "compute-1")],
            [TestMap.Port("port-1", "vm-1", "p-infra", "compute-1")]);
        var editor = Edit(map);

        editor.Map.PutServer(TestMap.Server("vm-1", "p-new", "compute-1"));

        Assert.Equal("p-infra", editor.Map.Port("port-1")!.ProjectId);
    }

    [Fact]
    public void RemoveServer_Existing_LeavesEveryServerIndex()
    {
        var editor = Edit();

        Assert.True(editor.Map.RemoveServer("vm-b1"));
        var map = editor.Map.Build();

        Assert.Null(map.Servers.Get("vm-b1"));
        Assert.DoesNotContain("vm-b1", map.ServersByHost.Get("compute-1"));
        Assert.Empty(map.ServersByProject.Get(TestMap.ProjectB));
    }

    [Fact]
    public void RemoveServer_Unknown_ReturnsFalseAndLogsNothing()
    {
        var editor = Edit();

        Assert.False(editor.Map.RemoveServer("vm-nope"));
        Assert.Empty(editor.Changes);
    }

    [Fact]
    public void PutPort_WithoutHostOrProject_InheritsThemFromItsServer()
    {
        var editor = Edit();

        editor.Map.PutPort(new Port { Id = "port-new", ServerId = "vm-b1" });
        var map = editor.Map.Build();

        var port = map.Ports.Get("port-new")!;
        Assert.Equal("compute-1", port.Host);
        Assert.Equal(TestMap.ProjectB, port.ProjectId);
        Assert.Contains("port-new", map.PortsByHost.Get("compute-1"));
        Assert.Contains("port-new", map.PortsByServer.Get("vm-b1"));
        Assert.Contains("port-new", map.PortsByProject.Get(TestMap.ProjectB));
    }

    [Fact]
    public void PutPort_WithExplicitHost_KeepsItsOwnHost()
    {
        var editor = Edit();

        editor.Map.PutPort(new Port { Id = "port-new", ServerId = "vm-b1", Host = "compute-2" });

        var port = editor.Map.Port("port-new")!;
        Assert.Equal("compute-2", port.Host);
        Assert.Equal(TestMap.ProjectB, port.ProjectId);
    }

    [Fact]
    public void PutPort_Rebound_ReindexesItUnderTheNewServerAndHost()
    {
        var editor = Edit();

        editor.Map.PutPort(TestMap.Port("port-a1", "vm-a4", TestMap.ProjectA, "compute-2"));
        var map = editor.Map.Build();

        Assert.DoesNotContain("port-a1", map.PortsByServer.Get("vm-a1"));
        Assert.Contains("port-a1", map.PortsByServer.Get("vm-a4"));
        Assert.DoesNotContain("port-a1", map.PortsByHost.Get("compute-1"));
        Assert.Contains("port-a1", map.PortsByHost.Get("compute-2"));
    }

    [Fact]
    public void RemovePort_Existing_LeavesEveryPortIndex()
    {
        var editor = Edit();

        Assert.True(editor.Map.RemovePort("port-a1"));
        var map = editor.Map.Build();

        Assert.Null(map.Ports.Get("port-a1"));
        Assert.Empty(map.PortsByServer.Get("vm-a1"));
        Assert.DoesNotContain("port-a1", map.PortsByHost.Get("compute-1"));
        Assert.DoesNotContain("port-a1", map.PortsByProject.Get(TestMap.ProjectA));
    }

    [Fact]
    public void Edits_AfterBuild_LeaveTheBaseMapUnchanged()
    {
        var original = TestMap.Map();
        var editor = Edit(original);

        editor.Map.PutServer(TestMap.Server("vm-a1", TestMap.ProjectA, "compute-2", ServerState.Error));
        editor.Map.RemoveServer("vm-b1");
        editor.Map.PutHost(TestMap.Host("compute-1") with { Up = false });
        editor.Map.RemovePort("port-a2");
        _ = editor.Map.Build();

        Assert.Equal(ServerState.Normal, original.Servers.Get("vm-a1")!.State);
        Assert.Contains("vm-a1", original.ServersByHost.Get("compute-1"));
        Assert.NotNull(original.Servers.Get("vm-b1"));
        Assert.True(original.Hosts.Get("compute-1")!.Up);
        Assert.NotNull(original.Ports.Get("port-a2"));
        Assert.Equal("compute-1", original.Ports.Get("port-a1")!.Host);
    }

    [Fact]
    public void Edits_LogEveryRowChangeInOrder()
    {
        var editor = Edit();

        editor.Map.PutHost(TestMap.Host("compute-3"));
        editor.Map.PutServer(TestMap.Server("vm-a1", TestMap.ProjectA, "compute-3"));
        editor.Map.RemovePort("port-b1");

        Assert.Equal(
            [(RowKind.Host, "compute-3", false), (RowKind.Server, "vm-a1", false), (RowKind.Port, "port-a1", false), (RowKind.Port, "port-b1", true)],
            editor.Changes.Select(c => (c.Kind, c.Id, c.Value is null)));
    }

    [Fact]
    public void HostStatusOf_FollowsEditsInTheSameUnitOfWork()
    {
        var editor = Edit();

        editor.Map.PutHost(TestMap.Host("compute-1") with { Up = false });

        Assert.Equal(HostStatus.Down, editor.Map.HostStatusOf("compute-1"));
        Assert.Equal(HostStatus.Unknown, editor.Map.HostStatusOf(null));
        Assert.Equal(HostStatus.Unknown, editor.Map.HostStatusOf("compute-404"));
    }
}
