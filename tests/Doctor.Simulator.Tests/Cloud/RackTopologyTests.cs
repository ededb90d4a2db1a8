using Doctor.Simulator.Cloud;

namespace Doctor.Simulator.Tests.Cloud;

public sealed class RackTopologyTests
{
    private static readonly string[] Hosts = ["h1", "h2", "h3", "h4", "h5"];

    [Fact]
    public void Build_OneSwitch_EveryHostInOneRackOfItsZone()
    {
        var racks = RackTopology.Build(Hosts, i => $"az{i % 2 + 1}", hostsPerRack: 2, switchesPerRack: 1, pdus: false);

        // az1 holds h1, h3, h5; az2 holds h2, h4: racks never span a zone, the last of a zone may be short.
        Assert.Equal(["rack-001", "rack-002", "rack-003"], racks.Select(r => r.Name));
        Assert.Equal([["h1", "h3"], ["h5"], ["h2", "h4"]], racks.Select(r => r.Hosts.ToArray()));
        Assert.Equal(["az1", "az1", "az2"], racks.Select(r => r.Zone));
        var switches = racks.SelectMany(r => r.Devices).ToList();
        Assert.Equal(["tor-001-1", "tor-002-1", "tor-003-1"], switches.Select(d => d.Id));
        Assert.All(switches, d => Assert.Equal("switch", d.Kind));
        Assert.Equal(Hosts.Order(), switches.SelectMany(d => d.Feeds).Order());
    }

    [Fact]
    public void Build_TwoSwitchesAndPdu_PduFeedsSwitchesAndHosts()
    {
        var rack = Assert.Single(RackTopology.Build(["h1", "h2"], _ => "az1", hostsPerRack: 4, switchesPerRack: 2, pdus: true));

        Assert.Equal(["tor-001-1", "tor-001-2", "pdu-001"], rack.Devices.Select(d => d.Id));
        Assert.Equal(["h1", "h2"], rack.Devices[0].Feeds);
        Assert.Equal(["h1", "h2"], rack.Devices[1].Feeds);
        Assert.Equal("pdu", rack.Devices[2].Kind);
        Assert.Equal(["tor-001-1", "tor-001-2", "h1", "h2"], rack.Devices[2].Feeds);
        Assert.All(rack.Devices, d => Assert.Equal("rack-001", d.Rack));
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(2, 0)]
    [InlineData(2, 3)]
    public void Build_ImpossibleLayout_Throws(int hostsPerRack, int switchesPerRack) =>
        Assert.Throws<ArgumentException>(() => RackTopology.Build(Hosts, _ => "az1", hostsPerRack, switchesPerRack, pdus: false));
}
