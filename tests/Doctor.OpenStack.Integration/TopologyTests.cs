using System.Text.Json.Nodes;
using Doctor.OpenStack.Integration.Infrastructure;
using Xunit.Abstractions;

namespace Doctor.OpenStack.Integration;

/// <summary>
/// Failures below the hosts, in OpenStack mode against the real cloud. Switches are Doctor's own inventory (the cloud
/// knows nothing of them) feeding Nova's hosts by name: a top-of-rack switch that alone connects fake-host-1 and
/// fake-host-2 fails → both compute services are forced down in Nova and the tenant's ports' data plane is DOWN in
/// Neutron; its return undoes all of it. A NIC failure (<c>ports_down</c>) only takes the host's ports' data plane down:
/// the host is not forced down.
/// </summary>
public sealed class TopologyTests(ITestOutputHelper output, Notes notes) : CloudScenario(output, notes, "topology")
{
    private const string Switch = "osint-tor-1";

    private async Task<string?> DataPlaneAsync(string port) => (await Cloud.PortAsync(port))["data_plane_status"]?.GetValue<string>();

    [OpenStackFact]
    public async Task SwitchDown_BothHostsForcedDownInNova_ThenUp_AndNicDown_OnlyDataPlane()
    {
        var doctor = Service = await OpenStackDoctor.StartAsync();
        using var admin = doctor.Client();
        await admin.SendJsonAsync(HttpMethod.Post, "/v1/inventory", new JsonObject
        {
            ["devices"] = new JsonArray(new JsonObject { ["id"] = Switch, ["kind"] = "switch", ["feeds"] = new JsonArray(Aio.Host1, Aio.Host2) }),
        });
        var demo = await Cloud.TokenAsync(Aio.Demo);
        var server = await Cloud.BootAsync(Aio.AdminInDemo, "topo-demo", Aio.Host1);
        var port = await Cloud.CreatePortAsync("topo-port", server, demo.ProjectId, Aio.Host1);
        await Expect.ServerOnAsync(doctor, Cloud, server, Aio.Host1);
        await Poll.UntilAsync(async () => (await doctor.FindAsync($"/v1/ports/{port}"))?["host"]?.GetValue<string>() == Aio.Host1,
            $"port {port} in Doctor's map", TimeSpan.FromSeconds(60), async () => doctor.Tail());
        using (var demoApi = doctor.Client(demo.Token))
            await demoApi.SendJsonAsync(HttpMethod.Post, "/v1/subscriptions", new JsonObject { ["callback_url"] = Consumer.Url("demo") }, expect: 201);

        // --- the switch fails: both hosts behind it are cut off
        var down = await doctor.PostEventAsync("network.switch.down", "device_id", Switch);
        var (told, after) = await Consumer.WaitAsync("demo", Expect.Notification("fault", server), "demo's fault notification", down);
        Notes.Took("switch down: demo notified", after);
        var fault = Expect.Resource(told, server)["faults"]!.AsArray().Single()!;
        Assert.Equal("network.switch.down", fault["fault_type"]!.GetValue<string>());
        Assert.DoesNotContain(Switch, told.ToJsonString(), StringComparison.Ordinal); // tenants see no physical names
        foreach (var host in new[] { Aio.Host1, Aio.Host2 })
        {
            Notes.Took($"switch down: Nova: {host} forced down", await Poll.UntilAsync(() => Cloud.ForcedDownAsync(host),
                $"{host} forced down in Nova", TimeSpan.FromSeconds(60), async () => doctor.Tail()));
        }

        Notes.Took("switch down: Nova: the server's host_status DOWN", await Cloud.WaitServerAsync(server, s => Cloud.HostStatus(s) == "DOWN", "host_status DOWN"));
        Notes.Took("switch down: Neutron: data_plane_status DOWN", await Poll.UntilAsync(async () => await DataPlaneAsync(port) == "DOWN",
            "data_plane_status DOWN", TimeSpan.FromSeconds(60), async () => doctor.Tail()));

        // --- the switch returns
        var up = await doctor.PostEventAsync("network.switch.up", "device_id", Switch);
        Notes.Took("switch up: demo told the fault cleared", (await Consumer.WaitAsync("demo", Expect.Notification("fault_cleared", server), "demo's fault_cleared", up)).After);
        foreach (var host in new[] { Aio.Host1, Aio.Host2 })
        {
            Notes.Took($"switch up: Nova: {host} un-forced", await Poll.UntilAsync(async () => !await Cloud.ForcedDownAsync(host),
                $"{host} un-forced in Nova", TimeSpan.FromSeconds(60), async () => doctor.Tail()));
        }

        Notes.Took("switch up: Neutron: data_plane_status ACTIVE", await Poll.UntilAsync(async () => await DataPlaneAsync(port) == "ACTIVE",
            "data_plane_status ACTIVE", TimeSpan.FromSeconds(60), async () => doctor.Tail()));
        // Neutron had no status for the port before; Doctor's map agrees with what Doctor set there, not "unknown".
        await Poll.UntilAsync(async () => (await doctor.FindAsync($"/v1/ports/{port}"))?["data_plane_status"]?.GetValue<string>() == "ACTIVE",
            "Doctor's map showing the port's data plane ACTIVE", TimeSpan.FromSeconds(30), async () => doctor.Tail());

        // --- a NIC of fake-host-1 fails: its ports' data plane only
        var nicDown = await doctor.PostEventAsync("compute.host.nic.down", Aio.Host1);
        Notes.Took("NIC down: demo notified", (await Consumer.WaitAsync("demo", Expect.Notification("fault", port), "demo's NIC fault notification naming its port", nicDown)).After);
        Notes.Took("NIC down: Neutron: data_plane_status DOWN", await Poll.UntilAsync(async () => await DataPlaneAsync(port) == "DOWN",
            "data_plane_status DOWN after the NIC failure", TimeSpan.FromSeconds(60), async () => doctor.Tail()));
        await doctor.PostEventAsync("compute.host.nic.up", Aio.Host1);
        await Poll.UntilAsync(async () => await DataPlaneAsync(port) == "ACTIVE", "data_plane_status ACTIVE after the NIC recovered",
            TimeSpan.FromSeconds(60), async () => doctor.Tail());
        // The host was never forced down for it (checked after the recovery's calls, which come after any force-down would).
        Assert.False(await Cloud.ForcedDownAsync(Aio.Host1), "a NIC failure forced the host down in Nova");
        Assert.Equal("UP", Cloud.HostStatus(await Cloud.ServerAsync(server)));
        Notes.Say($"GET /v1/openstack actions: {(await doctor.StatusAsync())["actions"]!.ToJsonString()}");
    }
}
