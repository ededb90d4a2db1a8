using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Doctor.OpenStack.Integration.Infrastructure;
using Xunit.Abstractions;

namespace Doctor.OpenStack.Integration;

/// <summary>
/// The original Doctor fault test case against a real OpenStack: a monitor reports fake-host-1 dead; each owner hears
/// about its own servers only, and the cloud's records are corrected the way an operator would check them — Nova shows
/// the compute service forced down and the servers' host DOWN and (ResetServerState) in ERROR, Neutron shows the ports'
/// data plane DOWN, and a tenant's Aodh event alarm on instances in error fires. Recovery puts everything back.
/// </summary>
public sealed class HostFailureTests(ITestOutputHelper output, Notes notes) : CloudScenario(output, notes, "host failure")
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Cloud.GrantRoleAsync("admin", "demo2", "admin"); // to pin demo2's server to our host
    }

    [OpenStackFact]
    public async Task HostDown_OwnersToldAndCloudCorrected_ThenRecoveryPutsItBack()
    {
        var doctor = Service = await OpenStackDoctor.StartAsync(new Dictionary<string, string> { ["Doctor__OpenStack__ResetServerState"] = "true" });
        Notes.Took("doctor started (first snapshot read)", doctor.StartedIn);
        var demo = await Cloud.TokenAsync(Aio.Demo);
        var demo2 = await Cloud.TokenAsync(Aio.Demo2);

        // Two servers of demo and one of demo2 on fake-host-1, booted after Doctor started; a port for each of demo's.
        var boots = await Task.WhenAll(
            Cloud.BootAsync(Aio.AdminInDemo, "hf-demo-a", Aio.Host1),
            Cloud.BootAsync(Aio.AdminInDemo, "hf-demo-b", Aio.Host1),
            Cloud.BootAsync(Aio.AdminInDemo2, "hf-demo2-c", Aio.Host1));
        var (a, b, c) = (boots[0], boots[1], boots[2]);
        var portA = await Cloud.CreatePortAsync("hf-port-a", a, demo.ProjectId, Aio.Host1);
        var portB = await Cloud.CreatePortAsync("hf-port-b", b, demo.ProjectId, Aio.Host1);
        foreach (var id in boots)
            Notes.Took($"server {id} in Doctor's map after Nova showed it ACTIVE", await Expect.ServerOnAsync(doctor, Cloud, id, Aio.Host1));
        foreach (var port in new[] { portA, portB })
        {
            await Poll.UntilAsync(async () => (await doctor.FindAsync($"/v1/ports/{port}"))?["host"]?.GetValue<string>() == Aio.Host1,
                $"port {port} in Doctor's map", TimeSpan.FromSeconds(60), async () => doctor.Tail());
        }

        // The tenants subscribe with their Keystone tokens, as an OpenStack client would; demo also has an Aodh alarm.
        using (var demoApi = doctor.Client(demo.Token))
            await demoApi.SendJsonAsync(HttpMethod.Post, "/v1/subscriptions", new JsonObject { ["callback_url"] = Consumer.Url("demo") }, expect: 201);
        using (var demo2Api = doctor.Client(demo2.Token))
            await demo2Api.SendJsonAsync(HttpMethod.Post, "/v1/subscriptions", new JsonObject { ["callback_url"] = Consumer.Url("demo2") }, expect: 201);
        var alarm = await Cloud.CreateEventAlarmAsync(Aio.Demo, "hf-vm-error", "compute.instance.update", Consumer.Url("aodh"), ("traits.state", "error"));

        // --- the host fails
        var down = await doctor.PostEventAsync("compute.host.down", Aio.Host1);

        var (toDemo, demoAfter) = await Consumer.WaitAsync("demo", Expect.Notification("fault", a, b), "demo's fault notification naming both its servers", down);
        Notes.Took("demo notified", demoAfter);
        Assert.DoesNotContain(c, Expect.ResourceIds(toDemo));
        Assert.Equal(demo.ProjectId, toDemo["project_id"]!.GetValue<string>());
        foreach (var id in new[] { a, b })
        {
            Assert.Equal("error", Expect.Resource(toDemo, id)["state"]!.GetValue<string>());
            Assert.Equal("DOWN", Expect.Resource(toDemo, id)["host_status"]!.GetValue<string>());
        }

        Assert.DoesNotContain(Aio.Host1, toDemo.ToJsonString(), StringComparison.Ordinal); // tenants never learn host names
        var (toDemo2, demo2After) = await Consumer.WaitAsync("demo2", Expect.Notification("fault", c), "demo2's fault notification", down);
        Notes.Took("demo2 notified", demo2After);
        Assert.DoesNotContain(a, Expect.ResourceIds(toDemo2));
        Assert.DoesNotContain(b, Expect.ResourceIds(toDemo2));

        Notes.Took("Nova: compute service forced down", await Poll.UntilAsync(() => Cloud.ForcedDownAsync(Aio.Host1),
            "Nova's fake-host-1 compute service forced_down", TimeSpan.FromSeconds(60), async () => doctor.Tail()));
        foreach (var id in boots)
        {
            Notes.Took($"Nova: server {id} ERROR with host_status DOWN", await Cloud.WaitServerAsync(id,
                s => Cloud.Status(s) == "ERROR" && Cloud.HostStatus(s) == "DOWN", $"server {id} ERROR, host_status DOWN in Nova"));
        }

        foreach (var port in new[] { portA, portB })
        {
            Notes.Took($"Neutron: port {port} data_plane_status DOWN", await Poll.UntilAsync(
                async () => (await Cloud.PortAsync(port))["data_plane_status"]?.GetValue<string>() == "DOWN",
                $"port {port} data_plane_status DOWN in Neutron", TimeSpan.FromSeconds(60), async () => doctor.Tail()));
        }

        foreach (var id in new[] { a, b })
        {
            var (_, fired) = await Consumer.WaitAsync("aodh", Expect.Alarm(alarm, id), $"demo's Aodh alarm on server {id} in error", down, explain: async () => doctor.Tail());
            Notes.Took($"Aodh event alarm fired for {id} (Nova reset-state → notification → Ceilometer → Aodh)", fired);
        }

        // The fault's timeline lists the calls Doctor made to the cloud, after the owners were told.
        using var admin = doctor.Client();
        var root = (await admin.SendJsonAsync(HttpMethod.Get, $"/v1/faults?state=active&resource_type=host&resource_id={Aio.Host1}"))["faults"]!.AsArray().Single()!;
        var expected = new List<(string Action, string Target)> { ("nova.force_down=true", Aio.Host1) };
        expected.AddRange(boots.Select(id => ("nova.reset_state=error", id)));
        expected.AddRange(new[] { portA, portB }.Select(id => ("neutron.data_plane_status=DOWN", id)));
        var (timeline, _) = await Poll.UntilAsync(async () =>
            {
                var t = await admin.SendJsonAsync(HttpMethod.Get, $"/v1/faults/{root["fault_id"]}/timeline");
                return expected.All(e => Expect.ControllerCall(t, e.Action, e.Target) is not null) ? t : null;
            }, "every controller call on the fault's timeline", TimeSpan.FromSeconds(30),
            async () => (await admin.SendJsonAsync(HttpMethod.Get, $"/v1/faults/{root["fault_id"]}/timeline")).ToJsonString());
        foreach (var (action, target) in expected)
        {
            var call = Expect.ControllerCall(timeline, action, target)!;
            Assert.True(call["outcome"]!.GetValue<string>() == "succeeded", $"{action} on {target}: {call.ToJsonString()}");
            Notes.Say($"timeline: {action} on {target} completed at {call["completed_ms"]} ms after the event was received");
        }

        var delivered = timeline["deliveries"]!.AsArray();
        Assert.NotEmpty(delivered);
        Notes.Say($"timeline: checkpoints {string.Join(", ", timeline["checkpoints"]!.AsArray().Select(c => $"{c!["name"]}={c["ms"]}"))}");

        // --- the host comes back
        var up = await doctor.PostEventAsync("compute.host.up", Aio.Host1);
        var (cleared, clearedAfter) = await Consumer.WaitAsync("demo", Expect.Notification("fault_cleared", a, b), "demo's fault_cleared notification", up);
        Notes.Took("demo told the fault cleared", clearedAfter);
        Assert.DoesNotContain(c, Expect.ResourceIds(cleared));
        Notes.Took("Nova: compute service no longer forced down", await Poll.UntilAsync(async () => !await Cloud.ForcedDownAsync(Aio.Host1),
            "Nova's fake-host-1 un-forced", TimeSpan.FromSeconds(60), async () => doctor.Tail()));
        foreach (var id in boots)
        {
            Notes.Took($"Nova: server {id} ACTIVE with host_status UP", await Cloud.WaitServerAsync(id,
                s => Cloud.Status(s) == "ACTIVE" && Cloud.HostStatus(s) == "UP", $"server {id} ACTIVE, host_status UP in Nova"));
        }

        foreach (var port in new[] { portA, portB })
        {
            Notes.Took($"Neutron: port {port} data_plane_status ACTIVE", await Poll.UntilAsync(
                async () => (await Cloud.PortAsync(port))["data_plane_status"]?.GetValue<string>() == "ACTIVE",
                $"port {port} data_plane_status ACTIVE in Neutron after recovery", TimeSpan.FromSeconds(60), async () => doctor.Tail()));
        }

        var actions = (await doctor.StatusAsync())["actions"]!;
        Assert.True(actions["failed"]!.GetValue<long>() == 0, $"controller calls failed: {actions.ToJsonString()}\n{doctor.Tail()}");
        Assert.Empty(actions["waiting_to_unforce"]!.AsArray());
        Notes.Say($"GET /v1/openstack actions: {actions.ToJsonString()}");
    }
}
