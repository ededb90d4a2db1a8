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

    [Theory]
    [InlineData(0, 5, 1, 0)]
    [InlineData(1, 5, 1, 1)]
    [InlineData(2, 1, 1, 2)]
    public void Generate_ImpossibleSpec_Throws(int hosts, int vms, int projects, int pairs) =>
        Assert.Throws<ArgumentException>(() => SimulatedCloud.Generate(new CloudSpec(hosts, vms, projects, pairs)));
}
