using Doctor.OpenStack.Neutron;
using Doctor.OpenStack.Sync;
using Doctor.OpenStack.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Doctor.OpenStack.Tests.Neutron;

/// <summary><see cref="NeutronClient"/> and the snapshot read against a fake Neutron.</summary>
public sealed class NeutronClientTests : FakeCloudTest
{
    private NeutronClient Neutron => Clients.Neutron;

    [Fact]
    public async Task AllPortsAsync_ShortPagesAndManyPorts_EveryPort()
    {
        Cloud.NeutronMaxLimit = 4;
        for (var i = 0; i < 13; i++)
            Cloud.AddPort($"port-{i:D2}", "vm-1", "tenant-a", "compute-1");

        var ports = await Neutron.AllPortsAsync(CancellationToken.None);

        Assert.Equal(13, ports.Count);
        Assert.Equal(4, Cloud.CallsTo("GET", "/v2.0/ports").Count);
        Assert.Equal("?limit=1000&marker=port-03", Cloud.CallsTo("GET", "/v2.0/ports")[1].Query);
    }

    [Fact]
    public async Task AllPortsAsync_ReadsBindingDeviceAndDataPlane()
    {
        Cloud.AddPort("port-1", "vm-1", "tenant-a", "compute-1", dataPlane: "DOWN");
        Cloud.AddPort("port-2", null, "tenant-a", null, owner: "");
        Cloud.AddPort("port-3", "router-1", "tenant-a", "net-node", owner: "network:router_interface");

        var ports = await Neutron.AllPortsAsync(CancellationToken.None);

        Assert.Equal(new NeutronPort("port-1", "vm-1", "compute:nova", "tenant-a", "compute-1", "net-1", "ACTIVE", "DOWN"), ports[0]);
        Assert.Equal([true, false, false], ports.Select(p => p.IsServerPort));
    }

    [Fact]
    public async Task AllPortsAsync_AnswerWithoutPorts_Error()
    {
        Cloud.Intercept = async (context, call) =>
        {
            if (!call.Path.EndsWith("/ports", StringComparison.Ordinal))
                return false;
            context.Response.StatusCode = 200;
            await context.Response.WriteAsync("""{"NeutronError":"no"}""");
            return true;
        };

        await Assert.ThrowsAsync<OpenStackException>(() => Neutron.AllPortsAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task HasDataPlaneStatusAsync_FollowsTheExtensionList(bool offered)
    {
        Cloud.DataPlaneExtension = offered;

        Assert.Equal(offered, await Neutron.HasDataPlaneStatusAsync(CancellationToken.None));
    }

    [Fact]
    public async Task SetDataPlaneStatusAsync_UnknownPort_404()
    {
        var error = await Assert.ThrowsAsync<OpenStackException>(() => Neutron.SetDataPlaneStatusAsync("port-gone", "DOWN", CancellationToken.None));

        Assert.Equal(404, error.Status);
        Assert.True(error.IsPermanent);
        Assert.Contains("PortNotFound", error.Message);
    }

    [Fact]
    public async Task Snapshot_ReadsEverythingAndKeepsOnlyServersPorts()
    {
        Cloud.AddCompute("compute-1");
        Cloud.AddServer("vm-1", "tenant-a", "compute-1");
        Cloud.AddServerGroup("grp-1", "tenant-a", "vm-1");
        Cloud.AddPort("port-1", "vm-1", "tenant-a", "compute-1");
        Cloud.AddPort("port-dhcp", "dhcp-1", "tenant-a", "net-node", owner: "network:dhcp");

        var snapshot = await CloudSnapshot.ReadAsync(Clients.Nova, Neutron, CancellationToken.None);

        Assert.Equal("compute-1", Assert.Single(snapshot.Computes).Host);
        Assert.Equal("vm-1", Assert.Single(snapshot.Servers).Id);
        Assert.Equal("grp-1", snapshot.GroupOf["vm-1"]);
        Assert.Equal("port-1", Assert.Single(snapshot.Ports).Id);
    }

    [Fact]
    public async Task Snapshot_OneListFails_TheWholeReadFails()
    {
        Cloud.AddCompute("compute-1");
        Cloud.Intercept = async (context, call) =>
        {
            if (!call.Path.EndsWith("/ports", StringComparison.Ordinal))
                return false;
            context.Response.StatusCode = 500;
            await context.Response.WriteAsync("{}");
            return true;
        };

        await Assert.ThrowsAsync<OpenStackException>(() => CloudSnapshot.ReadAsync(Clients.Nova, Neutron, CancellationToken.None));
    }
}
