using System.Text.Json.Nodes;
using Doctor.Simulator.Cloud;
using Doctor.Simulator.Vnf;

namespace Doctor.Simulator.Tests.Vnf;

public sealed class VnfManagerTests
{
    private static readonly SimVm[] Vms =
    [
        new("a-act", "t1", "h1", "g1", "ACT"),
        new("a-stby", "t1", "h2", "g1", "STBY"),
        new("other", "t2", "h1", "g2", "ACT"),
        new("other-stby", "t2", "h2", "g2", "STBY"),
    ];

    private static JsonNode Notification(string type, params (string Id, string State)[] servers) => new JsonObject
    {
        ["notification_type"] = type,
        ["resources"] = new JsonArray([.. servers.Select(s => (JsonNode)new JsonObject { ["resource_id"] = s.Id, ["resource_type"] = "server", ["state"] = s.State })]),
    };

    [Fact]
    public void Handle_ActiveInError_StandbyTakesOver()
    {
        var manager = new VnfManager("t1", Vms);
        var switched = Assert.Single(manager.Handle(Notification("fault", ("a-act", "error"))));
        Assert.Equal(new Switchover("t1", "g1", "a-act", "a-stby"), switched);
        Assert.Equal("a-stby", manager.ActiveOf("g1"));
    }

    [Fact]
    public void Handle_StandbyFails_NoSwitch()
    {
        var manager = new VnfManager("t1", Vms);
        Assert.Empty(manager.Handle(Notification("fault", ("a-stby", "error"))));
        Assert.Equal("a-act", manager.ActiveOf("g1"));
    }

    [Fact]
    public void Handle_BothDown_NoSwitchUntilOneRecovers()
    {
        var manager = new VnfManager("t1", Vms);
        Assert.Empty(manager.Handle(Notification("fault", ("a-act", "error"), ("a-stby", "error"))));
        var switched = Assert.Single(manager.Handle(Notification("fault_cleared", ("a-stby", "normal"))));
        Assert.Equal("a-stby", switched.NewActive);
    }
}
