using System.Text.Json.Nodes;
using Doctor.Simulator.Cloud;
using Doctor.Simulator.Maintenance;

namespace Doctor.Simulator.Tests.Maintenance;

public sealed class AppManagerTests
{
    private static readonly SimVm[] Vms =
    [
        new("a-act", "t1", "h1", "g1", "ACT"),
        new("a-stby", "t1", "h2", "g1", "STBY"),
        new("solo", "t1", "h1", null, null),
        new("theirs", "t2", "h1", null, null),
    ];

    /// <summary>A cloud where every host holds one member of t1's non-HA anti-affinity group.</summary>
    private static readonly SimVm[] FullVms =
    [
        new("a-act", "t1", "h1", "g1", "ACT"),
        new("a-stby", "t1", "h2", "g1", "STBY"),
        new("n1", "t1", "h1", "nonha", null),
        new("n2", "t1", "h2", "nonha", null),
        new("n3", "t1", "h3", "nonha", null),
        new("solo", "t1", "h3", null, null),
    ];

    /// <summary>The cloud's compute API over a dictionary: id → server.</summary>
    private sealed class FakeCompute(IEnumerable<SimVm> vms, params string[] hosts) : IComputeApi
    {
        public Dictionary<string, SimVm> Servers { get; } = vms.ToDictionary(v => v.Id);
        public List<string> Hosts { get; } = [.. hosts];

        public Task<IReadOnlyList<CloudServer>> ServersAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<CloudServer>>([.. Servers.Values.Select(v => new CloudServer(v.Id, v.Host, v.GroupId))]);

        public Task<IReadOnlyList<string>> PlaceableHostsAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<string>>(Hosts);

        public Task DeleteServerAsync(SimVm vm, CancellationToken cancellationToken)
        {
            Assert.True(Servers.Remove(vm.Id), $"{vm.Id} deleted twice");
            return Task.CompletedTask;
        }

        public Task CreateServerAsync(SimVm vm, CancellationToken cancellationToken)
        {
            Assert.True(Servers.TryAdd(vm.Id, vm), $"{vm.Id} already exists");
            return Task.CompletedTask;
        }
    }

    private static JsonNode Message(string state, string project = "t1", params string[] ids) => new JsonObject
    {
        ["notification_type"] = "maintenance",
        ["maintenance"] = new JsonObject
        {
            ["event_type"] = "maintenance.scheduled", ["session_id"] = "s1", ["project_id"] = project, ["state"] = state,
            ["instance_ids"] = new JsonArray([.. ids.Select(i => (JsonNode)JsonValue.Create(i))]),
        },
    };

    [Fact]
    public void Handle_Maintenance_AcksWithoutActions()
    {
        var answer = new AppManager("t1", Vms).Handle(Message("MAINTENANCE", "t1", "a-act", "a-stby", "solo"));

        Assert.Equal(new MaintenanceAnswer("s1", "t1", "ACK_MAINTENANCE", null), answer);
    }

    [Fact]
    public void Handle_ActiveOffered_SwitchesOverFirstThenMigrates()
    {
        var manager = new AppManager("t1", Vms);

        var answer = manager.Handle(Message("PLANNED_MAINTENANCE", "t1", "a-act", "solo"))!;

        Assert.Equal("ACK_PLANNED_MAINTENANCE", answer.State);
        Assert.Equal("MIGRATE", answer.InstanceActions!["a-act"]);
        Assert.Equal("LIVE_MIGRATE", answer.InstanceActions["solo"]);
        Assert.Equal("a-stby", manager.ActiveOf("g1"));
        Assert.Single(manager.Switchovers);
        Assert.Equal(0, manager.BothOutOfService);
    }

    [Fact]
    public void Handle_StandbyMovingWhenActiveOffered_CountsViolation()
    {
        var manager = new AppManager("t1", Vms);
        manager.Handle(Message("PREPARE_MAINTENANCE", "t1", "a-stby"));

        manager.Handle(Message("PLANNED_MAINTENANCE", "t1", "a-act"));

        Assert.Equal(1, manager.ActiveMoved);
        Assert.Equal(1, manager.BothOutOfService);
    }

    [Fact]
    public void Handle_ActionDoneBetweenHosts_NoViolation()
    {
        var manager = new AppManager("t1", Vms);
        manager.Handle(Message("PREPARE_MAINTENANCE", "t1", "a-stby"));
        Assert.Null(manager.Handle(Message("INSTANCE_ACTION_DONE", "t1", "a-stby")));

        manager.Handle(Message("PLANNED_MAINTENANCE", "t1", "a-act"));

        Assert.Equal(0, manager.ActiveMoved);
        Assert.Equal(0, manager.BothOutOfService);
        Assert.Equal("a-stby", manager.ActiveOf("g1"));
    }

    [Fact]
    public void Handle_OtherProjectsMessage_IsIgnored()
    {
        Assert.Null(new AppManager("t1", Vms).Handle(Message("MAINTENANCE", "t2", "theirs")));
    }

    [Fact]
    public async Task HandleAsync_ScaleIn_RemovesOneNonRedundantGroupMemberAndAcks()
    {
        var cloud = new FakeCompute(FullVms, "h1", "h2", "h3");
        var manager = new AppManager("t1", FullVms);

        var answer = await manager.HandleAsync(Message("SCALE_IN", "t1", "a-act", "a-stby", "n1", "n2", "n3", "solo"), cloud, CancellationToken.None);

        Assert.Equal(new MaintenanceAnswer("s1", "t1", "ACK_SCALE_IN", null), answer);
        Assert.Equal(["n3"], manager.ScaledIn);
        Assert.Equal(["n3"], manager.Missing);
        Assert.DoesNotContain("n3", cloud.Servers.Keys);
        Assert.Contains("a-act", cloud.Servers.Keys);
        Assert.Contains("a-stby", cloud.Servers.Keys);
    }

    [Fact]
    public async Task HandleAsync_ScaleInCount_NeverTakesAnActStbyMember()
    {
        var cloud = new FakeCompute(FullVms, "h1", "h2", "h3");
        var manager = new AppManager("t1", FullVms, scaleInCount: 10);

        await manager.HandleAsync(Message("SCALE_IN", "t1", "a-act", "a-stby", "n1", "n2", "n3", "solo"), cloud, CancellationToken.None);

        Assert.Equal(["n3", "n2", "n1", "solo"], manager.ScaledIn);
        Assert.Equal(["a-act", "a-stby"], cloud.Servers.Keys.Order());
    }

    [Fact]
    public async Task HandleAsync_MaintenanceComplete_RestoresOnHostWithoutGroupMemberThenAcks()
    {
        var cloud = new FakeCompute(FullVms, "h1", "h2", "h3");
        var manager = new AppManager("t1", FullVms);
        await manager.HandleAsync(Message("SCALE_IN", "t1", "n1", "n2", "n3"), cloud, CancellationToken.None);
        // Maintenance moved n1 onto h3, where n3 was: only h1 has no member of the group now.
        cloud.Servers["n1"] = cloud.Servers["n1"] with { Host = "h3" };

        var answer = await manager.HandleAsync(Message("MAINTENANCE_COMPLETE", "t1", "a-act", "a-stby", "n1", "n2", "solo"), cloud, CancellationToken.None);

        Assert.Equal("ACK_MAINTENANCE_COMPLETE", answer!.State);
        Assert.Equal(["n3"], manager.Restored);
        Assert.Empty(manager.Missing);
        Assert.Empty(manager.RestoreFailures);
        Assert.Equal(new SimVm("n3", "t1", "h1", "nonha", null), cloud.Servers["n3"]);
    }

    [Fact]
    public async Task HandleAsync_MaintenanceComplete_NoHostHonoursAntiAffinity_ReportsFailureAndStillAcks()
    {
        var cloud = new FakeCompute(FullVms, "h1", "h2", "h3");
        var manager = new AppManager("t1", FullVms);
        await manager.HandleAsync(Message("SCALE_IN", "t1", "n3"), cloud, CancellationToken.None);
        cloud.Hosts.Remove("h3");

        var answer = await manager.HandleAsync(Message("MAINTENANCE_COMPLETE", "t1"), cloud, CancellationToken.None);

        Assert.Equal("ACK_MAINTENANCE_COMPLETE", answer!.State);
        Assert.Equal(["n3"], manager.Missing);
        Assert.Contains("n3", Assert.Single(manager.RestoreFailures));
    }

    [Fact]
    public void Constructor_NonHaGroupWithoutRoles_IsNotAPair()
    {
        var manager = new AppManager("t1", FullVms);

        Assert.Equal("a-act", manager.ActiveOf("g1"));
        Assert.Throws<KeyNotFoundException>(() => manager.ActiveOf("nonha"));
    }
}
