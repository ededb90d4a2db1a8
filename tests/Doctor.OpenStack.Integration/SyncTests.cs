using System.Diagnostics;
using System.Text.Json.Nodes;
using Doctor.OpenStack.Integration.Infrastructure;
using Xunit.Abstractions;

namespace Doctor.OpenStack.Integration;

/// <summary>
/// The map follows the cloud from its notifications: a server created, live-migrated, cold-migrated (and confirmed) and
/// deleted after Doctor started, and a port created and deleted on doctor-net, appear, move and vanish in Doctor's map.
/// How long each took is printed: Nova's own time to do it, and Doctor's lag behind Nova.
/// </summary>
public sealed class SyncTests(ITestOutputHelper output, Notes notes) : CloudScenario(output, notes, "sync")
{

    [OpenStackFact]
    public async Task ServersAndPortsChangedAfterStart_FollowedByTheMap()
    {
        // Reconciliation far away: what this test sees comes from the notifications alone.
        var doctor = Service = await OpenStackDoctor.StartAsync(new Dictionary<string, string> { ["Doctor__OpenStack__ReconcileSeconds"] = "3600" });
        Notes.Took("doctor started", doctor.StartedIn);
        Assert.True(await Bus.QueueExistsAsync(doctor.Queue), $"Doctor consumes from a queue of its own ({doctor.Queue})");
        var demo = await Cloud.TokenAsync(Aio.Demo);

        var watch = Stopwatch.StartNew();
        var server = await Cloud.BootAsync(Aio.AdminInDemo, "sync-demo", Aio.Host1);
        var booted = watch.Elapsed;
        var lag = await Expect.ServerOnAsync(doctor, Cloud, server, Aio.Host1);
        Notes.Say($"created: Nova ACTIVE after {booted.TotalMilliseconds:0} ms, in Doctor's map {lag.TotalMilliseconds:0} ms later");
        using (var admin = doctor.Client())
        {
            var seen = await admin.SendJsonAsync(HttpMethod.Get, $"/v1/servers/{server}");
            Assert.Equal(demo.ProjectId, seen["project_id"]!.GetValue<string>());
            Assert.Equal(Aio.NamePrefix + "sync-demo", seen["name"]!.GetValue<string>());
            Assert.Equal("normal", seen["state"]!.GetValue<string>());
        }

        // A port bound to fake-host-1 for the server.
        watch.Restart();
        var port = await Cloud.CreatePortAsync("sync-port", server, demo.ProjectId, Aio.Host1);
        var (inMap, portLag) = await Poll.UntilAsync(() => doctor.FindAsync($"/v1/ports/{port}"), $"port {port} in Doctor's map", TimeSpan.FromSeconds(60), async () => doctor.Tail());
        Notes.Took("port created: in Doctor's map after Neutron answered", portLag);
        Assert.Equal(server, inMap["server_id"]!.GetValue<string>());
        Assert.Equal(Aio.Host1, inMap["host"]!.GetValue<string>());
        Assert.Equal(demo.ProjectId, inMap["project_id"]!.GetValue<string>());
        using (var demoApi = doctor.Client(demo.Token))
        {
            // The owner sees its port, without the host's name.
            var mine = await demoApi.SendJsonAsync(HttpMethod.Get, "/v1/ports");
            var listed = mine["ports"]!.AsArray().Single(p => p!["id"]!.GetValue<string>() == port)!;
            Assert.Null(listed["host"]);
        }

        // Live migration to fake-host-2.
        watch.Restart();
        await Cloud.ServerActionAsync(server, new JsonObject { ["os-migrateLive"] = new JsonObject { ["host"] = Aio.Host2, ["block_migration"] = "auto" } });
        var moved = await Cloud.WaitServerAsync(server, s => Cloud.Host(s) == Aio.Host2 && Cloud.Status(s) == "ACTIVE" && Cloud.TaskState(s) is null, "live migration to fake-host-2 done");
        lag = await Expect.ServerOnAsync(doctor, Cloud, server, Aio.Host2);
        Notes.Say($"live-migrated to fake-host-2: Nova done after {moved.TotalMilliseconds:0} ms, Doctor's map {lag.TotalMilliseconds:0} ms later (from the request: {watch.ElapsedMilliseconds} ms)");
        await Expect.StaysOnAsync(doctor, server, Aio.Host2); // the source compute reports last, with the old host

        // Cold migration back to fake-host-1, confirmed.
        watch.Restart();
        await Cloud.ServerActionAsync(server, new JsonObject { ["migrate"] = new JsonObject { ["host"] = Aio.Host1 } });
        await Cloud.WaitServerAsync(server, s => Cloud.Status(s) == "VERIFY_RESIZE" && Cloud.TaskState(s) is null, "cold migration to fake-host-1 waiting for confirmation");
        var resized = watch.Elapsed;
        await Cloud.ServerActionAsync(server, new JsonObject { ["confirmResize"] = null });
        await Cloud.WaitServerAsync(server, s => Cloud.Host(s) == Aio.Host1 && Cloud.Status(s) == "ACTIVE" && Cloud.TaskState(s) is null, "cold migration to fake-host-1 confirmed");
        var confirmed = watch.Elapsed;
        lag = await Expect.ServerOnAsync(doctor, Cloud, server, Aio.Host1);
        Notes.Say($"cold-migrated to fake-host-1: VERIFY_RESIZE after {resized.TotalMilliseconds:0} ms, confirmed ACTIVE after {confirmed.TotalMilliseconds:0} ms, Doctor's map {lag.TotalMilliseconds:0} ms after that");
        using (var admin = doctor.Client())
        {
            var onHost1 = await admin.SendJsonAsync(HttpMethod.Get, $"/v1/servers?host={Aio.Host1}");
            Assert.Contains(onHost1["servers"]!.AsArray(), s => s!["id"]!.GetValue<string>() == server);
            var onHost2 = await admin.SendJsonAsync(HttpMethod.Get, $"/v1/servers?host={Aio.Host2}");
            Assert.DoesNotContain(onHost2["servers"]!.AsArray(), s => s!["id"]!.GetValue<string>() == server);
        }

        // Deleted: the port, then the server.
        await Cloud.DeletePortAsync(port);
        Notes.Took("port deleted: gone from Doctor's map after Neutron answered", await Expect.GoneAsync(doctor, $"/v1/ports/{port}"));
        watch.Restart();
        await Cloud.DeleteServerAsync(server);
        var deleted = watch.Elapsed;
        lag = await Expect.GoneAsync(doctor, $"/v1/servers/{server}");
        Notes.Say($"deleted: gone from Nova after {deleted.TotalMilliseconds:0} ms, from Doctor's map {lag.TotalMilliseconds:0} ms later");

        var status = await doctor.StatusAsync();
        Notes.Say($"GET /v1/openstack notifications: {status["notifications"]!.ToJsonString()}");
        Assert.True(status["notifications"]!["map_changes"]!.GetValue<long>() > 0, status.ToJsonString());
        Assert.Equal(1, status["reconciliation"]!["passes"]!.GetValue<long>()); // the start's snapshot only: the rest came from the bus
    }

    protected override async Task AfterServiceStoppedAsync(OpenStackDoctor service) =>
        Assert.False(await Bus.QueueExistsAsync(service.Queue), $"queue {service.Queue} left on the broker");
}
