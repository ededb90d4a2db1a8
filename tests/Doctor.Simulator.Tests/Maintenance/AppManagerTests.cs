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
}
