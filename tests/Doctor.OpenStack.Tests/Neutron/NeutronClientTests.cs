using Doctor.OpenStack.Neutron;
using Doctor.OpenStack.Sync;
using Doctor.OpenStack.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Doctor.OpenStack.Tests.Neutron;

/// <summary><see cref="NeutronClient"/> and the snapshot read against a fake Neutron.</summary>
public sealed class NeutronClientTests : IAsyncLifetime
{
    private FakeCloud _cloud = null!;
    private CloudClients _clients = null!;

    private NeutronClient Neutron => _clients.Neutron;

    public async Task InitializeAsync()
    {
        _cloud = await FakeCloud.StartAsync();
        _clients = new CloudClients(_cloud);
    }

    public async Task DisposeAsync()
    {
        await _clients.DisposeAsync();
        await _cloud.DisposeAsync();
    }

    [Fact]
    public async Task AllPortsAsync_ShortPagesAndManyPorts_EveryPort()
    {
        _cloud.NeutronMaxLimit = 4;
        for (var i = 0; i < 13; i++)
            _cloud.AddPort($"port-{i:D2}", "vm-1", "tenant-a", "compute-1");

        var ports = await Neutron.AllPortsAsync(CancellationToken.None);

        Assert.Equal(13, ports.Count);
        Assert.Equal(4, _cloud.CallsTo("GET", "/v2.0/ports").Count);
        Assert.Equal("?limit=1000&marker=port-03", _cloud.CallsTo("GET", "/v2.0/ports")[1].Query);
    }

    [Fact]
    public async Task AllPortsAsync_ReadsBindingDeviceAndDataPlane()
    {
        _cloud.AddPort("port-1", "vm-1", "tenant-a", "compute-1", dataPlane: "DOWN");
        _cloud.AddPort("port-2", null, "tenant-a", null, owner: "");
        _cloud.AddPort("port-3", "router-1", "tenant-a", "net-node", owner: "network:router_interface");

        var ports = await Neutron.AllPortsAsync(CancellationToken.None);

        Assert.Equal(new NeutronPort("port-1", "vm-1", "compute:nova", "tenant-a", "compute-1", "net-1", "ACTIVE", "DOWN"), ports[0]);
        Assert.Equal([true, false, false], ports.Select(p => p.IsServerPort));
    }

    [Fact]
    public async Task AllPortsAsync_AnswerWithoutPorts_Error()
    {
        _cloud.Intercept = async (context, call) =>
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
        _cloud.DataPlaneExtension = offered;

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
        _cloud.AddCompute("compute-1");
        _cloud.AddServer("vm-1", "tenant-a", "compute-1");
        _cloud.AddServerGroup("grp-1", "tenant-a", "vm-1");
        _cloud.AddPort("port-1", "vm-1", "tenant-a", "compute-1");
        _cloud.AddPort("port-dhcp", "dhcp-1", "tenant-a", "net-node", owner: "network:dhcp");

        var snapshot = await CloudSnapshot.ReadAsync(_clients.Nova, Neutron, CancellationToken.None);

        Assert.Equal("compute-1", Assert.Single(snapshot.Computes).Host);
        Assert.Equal("vm-1", Assert.Single(snapshot.Servers).Id);
        Assert.Equal("grp-1", snapshot.GroupOf["vm-1"]);
        Assert.Equal("port-1", Assert.Single(snapshot.Ports).Id);
    }

    [Fact]
    public async Task Snapshot_OneListFails_TheWholeReadFails()
    {
        _cloud.AddCompute("compute-1");
        _cloud.Intercept = async (context, call) =>
        {
            if (!call.Path.EndsWith("/ports", StringComparison.Ordinal))
                return false;
            context.Response.StatusCode = 500;
            await context.Response.WriteAsync("{}");
            return true;
        };

        await Assert.ThrowsAsync<OpenStackException>(() => CloudSnapshot.ReadAsync(_clients.Nova, Neutron, CancellationToken.None));
    }
}
