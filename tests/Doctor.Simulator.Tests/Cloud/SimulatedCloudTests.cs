using Doctor.Simulator.Cloud;

namespace Doctor.Simulator.Tests.Cloud;

public sealed class SimulatedCloudTests
{
    [Fact]
    public void Generate_SameSpecAndSeed_SameCloud()
    {
        var spec = new CloudSpec(Hosts: 6, VmsPerHost: 10, Projects: 4, HaPairs: 3, Zones: 2, Seed: 42);
        var a = SimulatedCloud.Generate(spec).ToInventory().ToJsonString();
        var b = SimulatedCloud.Generate(spec).ToInventory().ToJsonString();
        Assert.Equal(a, b);
    }

    [Fact]
    public void Generate_OtherSeed_OtherPlacementOfOwners()
    {
        var a = SimulatedCloud.Generate(new CloudSpec(Seed: 1)).Vms.Select(v => v.ProjectId);
        var b = SimulatedCloud.Generate(new CloudSpec(Seed: 2)).Vms.Select(v => v.ProjectId);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Generate_FillsEveryHostAndPutsPairMembersOnDifferentHosts()
    {
        var cloud = SimulatedCloud.Generate(new CloudSpec(Hosts: 5, VmsPerHost: 7, Projects: 3, HaPairs: 6));
        Assert.Equal(35, cloud.Vms.Count);
        Assert.All(cloud.Hosts, h => Assert.Equal(7, cloud.On(h).Count()));
        Assert.Equal(35, cloud.Vms.Select(v => v.Id).Distinct().Count());
        var pairs = cloud.Vms.Where(v => v.GroupId is not null).GroupBy(v => v.GroupId).ToList();
        Assert.Equal(6, pairs.Count);
        Assert.All(pairs, p =>
        {
            Assert.Equal(["ACT", "STBY"], p.Select(v => v.Role!).Order());
            Assert.Equal(2, p.Select(v => v.Host).Distinct().Count());
            Assert.Single(p.Select(v => v.ProjectId).Distinct());
        });
    }

    [Fact]
    public void ToInventory_OnePortPerVmAndZonesDealtRoundRobin()
    {
        var cloud = SimulatedCloud.Generate(new CloudSpec(Hosts: 4, VmsPerHost: 2, Projects: 2, HaPairs: 1, Zones: 2));
        var inventory = cloud.ToInventory();
        Assert.Equal(["az1", "az2", "az1", "az2"], inventory["hosts"]!.AsArray().Select(h => h!["zone"]!.GetValue<string>()));
        var ports = inventory["ports"]!.AsArray();
        Assert.Equal(8, ports.Count);
        Assert.Equal(cloud.Vms.Select(v => v.Id).Order(), ports.Select(p => p!["server_id"]!.GetValue<string>()).Order());
    }

    [Fact]
    public void Generate_WithRacks_SameSpecAndSeed_SameCloudWithDevices()
    {
        var spec = new CloudSpec(Hosts: 10, VmsPerHost: 4, Projects: 3, HaPairs: 2, Zones: 2, Seed: 7, HostsPerRack: 3, SwitchesPerRack: 2, PduPerRack: true);
        var a = SimulatedCloud.Generate(spec).ToInventory().ToJsonString();
        var b = SimulatedCloud.Generate(spec).ToInventory().ToJsonString();
        Assert.Equal(a, b);
        Assert.Contains("\"devices\"", a);
    }

    [Fact]
    public void Generate_WithRacks_SameVmsAsWithout()
    {
        var plain = new CloudSpec(Hosts: 6, VmsPerHost: 5, Projects: 3, HaPairs: 2, Seed: 3);
        var racked = plain with { HostsPerRack = 2, SwitchesPerRack = 2, PduPerRack = true };
        Assert.Equal(SimulatedCloud.Generate(plain).Vms, SimulatedCloud.Generate(racked).Vms);
        Assert.Empty(SimulatedCloud.Generate(plain).Racks);
        Assert.Null(SimulatedCloud.Generate(plain).ToInventory()["devices"]);
    }

    [Fact]
    public void ToInventory_WithRacks_SwitchesFeedEveryHostAndHostsNameTheirRack()
    {
        var cloud = SimulatedCloud.Generate(new CloudSpec(Hosts: 5, VmsPerHost: 2, Projects: 2, HaPairs: 1, Zones: 2, HostsPerRack: 2, SwitchesPerRack: 2, PduPerRack: true));
        var inventory = cloud.ToInventory();

        var devices = inventory["devices"]!.AsArray();
        Assert.Equal(3 * 3, devices.Count); // az1: 3 hosts → 2 racks, az2: 2 hosts → 1 rack; 2 switches and a PDU each
        var switches = devices.Where(d => d!["kind"]!.GetValue<string>() == "switch").ToList();
        Assert.Equal(6, switches.Count);
        Assert.All(cloud.Hosts, h => Assert.Equal(2, switches.Count(s => s!["feeds"]!.AsArray().Any(f => f!.GetValue<string>() == h))));
        foreach (var host in inventory["hosts"]!.AsArray())
        {
            var rack = host!["metadata"]!["rack"]!.GetValue<string>();
            var zone = host["zone"]!.GetValue<string>();
            Assert.All(devices.Where(d => d!["metadata"]!["rack"]!.GetValue<string>() == rack), d => Assert.Equal(zone, d!["zone"]!.GetValue<string>()));
        }
    }

    [Theory]
    [InlineData(-1, 1, false)]
    [InlineData(2, 3, false)]
    [InlineData(0, 1, true)]
    public void Generate_ImpossibleRacks_Throws(int hostsPerRack, int switchesPerRack, bool pdu) =>
        Assert.Throws<ArgumentException>(() => SimulatedCloud.Generate(new CloudSpec(HostsPerRack: hostsPerRack, SwitchesPerRack: switchesPerRack, PduPerRack: pdu)));

    [Theory]
    [InlineData(0, 5, 1, 0)]
    [InlineData(1, 5, 1, 1)]
    [InlineData(2, 1, 1, 2)]
    public void Generate_ImpossibleSpec_Throws(int hosts, int vms, int projects, int pairs) =>
        Assert.Throws<ArgumentException>(() => SimulatedCloud.Generate(new CloudSpec(hosts, vms, projects, pairs)));

    [Fact]
    public void Generate_Full_OneNonHaGroupMemberPerHostOfTheFirstTenant()
    {
        var cloud = SimulatedCloud.Generate(new CloudSpec(Hosts: 3, VmsPerHost: 3, Projects: 2, HaPairs: 1, Zones: 1, Full: true));

        Assert.Equal(9, cloud.Vms.Count);
        Assert.All(cloud.Hosts, h => Assert.Equal(3, cloud.On(h).Count()));
        var members = cloud.Vms.Where(v => v.GroupId == SimulatedCloud.NonHaGroup).ToList();
        Assert.Equal(cloud.Hosts, members.Select(v => v.Host));
        Assert.All(members, v => Assert.Equal(("tenant-01", (string?)null), (v.ProjectId, v.Role)));
        Assert.Equal(2, cloud.Vms.Count(v => v.Role is not null));
    }

    [Fact]
    public void Validate_FullWithoutRoomForPairs_Throws()
    {
        Assert.Throws<ArgumentException>(() => new CloudSpec(Hosts: 3, VmsPerHost: 1, HaPairs: 1, Full: true).Validate());
    }
}
