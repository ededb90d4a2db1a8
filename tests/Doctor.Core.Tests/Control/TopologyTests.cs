using Doctor.Control;
using Doctor.Core.Tests.Support;
using Doctor.Faults;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.Subscriptions;

namespace Doctor.Core.Tests.Control;

public class TopologyTests
{
    private readonly ProcessorHarness _doctor = new(TopologyMap.State());

    private ResourceMap Map => _doctor.State.Map;
    private IEnumerable<Fault> ActiveFaults => _doctor.State.Faults.All.After(null).Where(f => f.IsActive);

    private ProcessResult Device(string type, string device, string id) => _doctor.Apply(TopologyMap.DeviceEvent(type, device, id));

    private static string[] Keys(ProcessResult result) => [.. result.Notice!.Resources.Select(r => $"{r.Type.Name()}:{r.Id}")];

    [Fact]
    public void Process_SwitchDown_CutsOffEveryHostItAloneFeedsWithTheirServersAndPorts()
    {
        var result = Device("network.switch.down", "tor-a", "e-1");

        Assert.False(Map.Devices.Get("tor-a")!.Up);
        Assert.All(new[] { "host-a1", "host-a2" }, h => Assert.False(Map.Hosts.Get(h)!.Up));
        Assert.All(new[] { "host-a1", "host-a2" }, h => Assert.True(Map.Hosts.Get(h)!.ForcedDown));
        Assert.All(new[] { "vm-1", "vm-2", "vm-3" }, s => Assert.Equal(ServerState.Error, Map.Servers.Get(s)!.State));
        Assert.False(Map.Ports.Get("port-1")!.DataPlaneUp);
        Assert.True(Map.Hosts.Get("host-b1")!.Up);
        Assert.Equal(
            ["device:tor-a", "host:host-a1", "server:vm-1", "server:vm-2", "port:port-1", "host:host-a2", "server:vm-3"],
            Keys(result));
    }

    [Fact]
    public void Process_SwitchDown_OneRootAndDerivedFaultsThatNameIt()
    {
        var result = Device("network.switch.down", "tor-a", "e-1");

        var root = Assert.Single(ActiveFaults, f => f.IsRootCause);
        Assert.Equal((ResourceType.Device, "tor-a"), (root.ResourceType, root.ResourceId));
        Assert.Equal([root.FaultId], result.Outcome.FaultIds.ToArray());
        var derived = ActiveFaults.Where(f => !f.IsRootCause).ToList();
        Assert.Equal(6, derived.Count);
        Assert.All(derived, f => Assert.Equal([root.FaultId], f.CorrelatedFaultIds.ToArray()));
        Assert.Equal(derived.Select(f => f.FaultId).Order(), root.CorrelatedFaultIds.Order());
        Assert.All(ActiveFaults, f => Assert.Equal("network.switch.down", f.FaultType));
        Assert.All(result.Notice!.Resources, r => Assert.Single(r.Faults));
    }

    [Fact]
    public void Process_PduDown_TakesItsSwitchAndTheSwitchesHostsDown()
    {
        var result = Device("power.pdu.down", "pdu-a", "e-1");

        Assert.False(Map.Devices.Get("tor-a")!.Up);
        Assert.False(Map.Hosts.Get("host-a2")!.Up);
        Assert.Equal(ServerState.Error, Map.Servers.Get("vm-2")!.State);
        Assert.Equal(["device:pdu-a", "device:tor-a", "host:host-a1", "server:vm-1", "server:vm-2", "port:port-1", "host:host-a2", "server:vm-3"], Keys(result));
        var root = Assert.Single(ActiveFaults, f => f.IsRootCause);
        Assert.Equal("pdu-a", root.ResourceId);
        Assert.Equal(Effect.DeviceDown, ActiveFaults.Single(f => f.ResourceId == "tor-a").Effect);
    }

    [Fact]
    public void Process_PduDownFeedingOneOfTwoSwitches_HostOnlyLosesRedundancy()
    {
        var result = Device("power.pdu.down", "pdu-b", "e-1");

        Assert.False(Map.Devices.Get("tor-b1")!.Up);
        Assert.True(Map.Hosts.Get("host-b1")!.Up);
        Assert.Equal(ServerState.Normal, Map.Servers.Get("vm-4")!.State);
        Assert.Contains("server:vm-4", Keys(result));
    }

    [Fact]
    public void Process_OneOfTwoRedundantSwitchesDown_WarnsTheOwnersWithoutChangingState()
    {
        var result = Device("network.switch.down", "tor-b1", "e-1");

        Assert.True(Map.Hosts.Get("host-b1")!.Up);
        Assert.Equal(ServerState.Normal, Map.Servers.Get("vm-4")!.State);
        Assert.True(Map.Ports.Get("port-4")!.DataPlaneUp);
        Assert.Equal(["device:tor-b1", "host:host-b1", "server:vm-4", "server:vm-5"], Keys(result));
        var warnings = result.Notice!.Resources.Skip(1).Select(r => Assert.Single(r.Faults)).ToList();
        Assert.All(warnings, f => Assert.Equal(PolicyDefaults.RedundancyLostFaultType, f.FaultType));
        Assert.All(warnings, f => Assert.Equal(Severity.Warning, f.Severity));
        Assert.All(warnings, f => Assert.Equal(Effect.NotifyOnly, f.Effect));
    }

    [Fact]
    public void Process_BothRedundantSwitchesDown_SecondCutsTheHostOff()
    {
        Device("network.switch.down", "tor-b1", "e-1");

        var result = Device("network.switch.down", "tor-b2", "e-2");

        Assert.False(Map.Hosts.Get("host-b1")!.Up);
        Assert.Equal(ServerState.Error, Map.Servers.Get("vm-4")!.State);
        Assert.False(Map.Ports.Get("port-4")!.DataPlaneUp);
        var hostFault = result.Notice!.Resources.Single(r => r.Id == "host-b1").Faults.Single();
        Assert.Equal(Effect.HostDown, hostFault.Effect);
        Assert.Equal("network.switch.down", hostFault.FaultType);
    }

    [Fact]
    public void Process_FirstOfTwoDownSwitchesComesBack_HostIsConnectedAgain()
    {
        Device("network.switch.down", "tor-b1", "e-1");
        var second = Device("network.switch.down", "tor-b2", "e-2");

        var result = Device("network.switch.up", "tor-b1", "e-3");

        Assert.True(Map.Devices.Get("tor-b1")!.Up);
        Assert.False(Map.Devices.Get("tor-b2")!.Up);
        Assert.True(Map.Hosts.Get("host-b1")!.Up);
        Assert.False(Map.Hosts.Get("host-b1")!.ForcedDown);
        Assert.Equal(ServerState.Normal, Map.Servers.Get("vm-4")!.State);
        Assert.True(Map.Ports.Get("port-4")!.DataPlaneUp);
        Assert.Equal(NotificationType.FaultCleared, result.Notice!.Type);
        Assert.Contains("server:vm-4", Keys(result));
        var stillActive = Assert.Single(ActiveFaults);
        Assert.Equal(second.Outcome.FaultIds[0], stillActive.FaultId); // tor-b2 itself is still down
    }

    [Fact]
    public void Process_SwitchUp_RestoresEverythingItCutOffAndClearsEveryFault()
    {
        Device("network.switch.down", "tor-a", "e-1");

        var result = Device("network.switch.up", "tor-a", "e-2");

        Assert.True(Map.Devices.Get("tor-a")!.Up);
        Assert.All(new[] { "host-a1", "host-a2" }, h => Assert.True(Map.Hosts.Get(h)!.Up));
        Assert.All(new[] { "host-a1", "host-a2" }, h => Assert.False(Map.Hosts.Get(h)!.ForcedDown));
        Assert.All(new[] { "vm-1", "vm-2", "vm-3" }, s => Assert.Equal(ServerState.Normal, Map.Servers.Get(s)!.State));
        Assert.True(Map.Ports.Get("port-1")!.DataPlaneUp);
        Assert.Empty(ActiveFaults);
        Assert.Equal(7, result.Notice!.Resources.Length);
    }

    [Fact]
    public void Process_PduUp_BringsBackTheSwitchItTookDown()
    {
        Device("power.pdu.down", "pdu-a", "e-1");

        Device("power.pdu.up", "pdu-a", "e-2");

        Assert.True(Map.Devices.Get("tor-a")!.Up);
        Assert.True(Map.Hosts.Get("host-a1")!.Up);
        Assert.Empty(ActiveFaults);
    }

    [Fact]
    public void Process_SwitchUpWhileItsPduIsStillDown_SwitchStaysDown()
    {
        Device("power.pdu.down", "pdu-a", "e-1");
        Device("network.switch.down", "tor-a", "e-2"); // explained by the PDU: correlated

        Device("network.switch.up", "tor-a", "e-3");

        Assert.False(Map.Devices.Get("tor-a")!.Up);
        Assert.False(Map.Hosts.Get("host-a1")!.Up);
    }

    [Fact]
    public void Process_HostDownReportForAHostCutOffBySwitch_CorrelatedToTheSwitchFault()
    {
        var sw = Device("network.switch.down", "tor-a", "e-1");

        var result = _doctor.Apply(TestMap.HostEvent("compute.host.down", "host-a1", "e-2"));

        Assert.Null(result.Notice); // every owner behind the switch already knows
        var own = ActiveFaults.Single(f => f.IsRootCause && f.ResourceId == "host-a1");
        Assert.Equal([own.FaultId], result.Outcome.FaultIds.ToArray());
        Assert.Contains(sw.Outcome.FaultIds[0], own.CorrelatedFaultIds);
    }

    [Fact]
    public void Process_SwitchReturnsWhileAHostBehindItReportedItselfDown_ThatHostStaysDown()
    {
        Device("network.switch.down", "tor-a", "e-1");
        _doctor.Apply(TestMap.HostEvent("compute.host.down", "host-a1", "e-2"));

        Device("network.switch.up", "tor-a", "e-3");

        Assert.False(Map.Hosts.Get("host-a1")!.Up);
        Assert.Equal(ServerState.Error, Map.Servers.Get("vm-1")!.State);
        Assert.True(Map.Hosts.Get("host-a2")!.Up);
        Assert.Equal(ServerState.Normal, Map.Servers.Get("vm-3")!.State);

        _doctor.Apply(TestMap.HostEvent("compute.host.up", "host-a1", "e-4"));

        Assert.True(Map.Hosts.Get("host-a1")!.Up);
        Assert.Equal(ServerState.Normal, Map.Servers.Get("vm-1")!.State);
        Assert.Empty(ActiveFaults);
    }

    [Fact]
    public void Process_SwitchDownReportedTwice_SecondCorrelatesWithoutANotice()
    {
        var first = Device("network.switch.down", "tor-a", "e-1");
        var count = ActiveFaults.Count();

        var second = Device("network.switch.down", "tor-a", "e-2");

        Assert.Null(second.Notice);
        Assert.Equal(first.Outcome.FaultIds.ToArray(), second.Outcome.FaultIds.ToArray());
        Assert.Equal(count, ActiveFaults.Count());
    }

    [Fact]
    public void Process_UnknownDevice_Ignored()
    {
        var result = Device("network.switch.down", "tor-z", "e-1");

        Assert.Equal(Doctor.Events.EventStatus.Ignored, result.Outcome.Status);
        Assert.Null(result.Notice);
    }

    [Fact]
    public void Process_SwitchDownOverAHostAlreadyDown_RecoveringTheSwitchLeavesTheHostDown()
    {
        _doctor.Apply(TestMap.HostEvent("compute.host.down", "host-a1", "e-1"));
        Device("network.switch.down", "tor-a", "e-2");

        Device("network.switch.up", "tor-a", "e-3");

        Assert.False(Map.Hosts.Get("host-a1")!.Up); // its own fault still holds it
        Assert.Equal(ServerState.Error, Map.Servers.Get("vm-1")!.State);
        Assert.True(Map.Hosts.Get("host-a2")!.Up);

        _doctor.Apply(TestMap.HostEvent("compute.host.up", "host-a1", "e-4"));

        Assert.True(Map.Hosts.Get("host-a1")!.Up);
        Assert.Equal(ServerState.Normal, Map.Servers.Get("vm-1")!.State);
    }
}
