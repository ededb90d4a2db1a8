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
public sealed class SyncTests(ITestOutputHelper output, Notes notes) : IClassFixture<Notes>, IAsyncLifetime
{
    private readonly Notes _notes = notes.For(output, "sync");
    private Cloud _cloud = null!;
    private OpenStackDoctor? _doctor;

    public async Task InitializeAsync()
    {
        _cloud = new Cloud(_notes.Say);
        await _cloud.RemoveLeftoversAsync();
    }

    [OpenStackFact]
    public async Task ServersAndPortsChangedAfterStart_FollowedByTheMap()
    {
        // Reconciliation far away: what this test sees comes from the notifications alone.
        var doctor = _doctor = await OpenStackDoctor.StartAsync(new Dictionary<string, string> { ["Doctor__OpenStack__ReconcileSeconds"] = "3600" });
        _notes.Took("doctor started", doctor.StartedIn);
        Assert.True(await Bus.QueueExistsAsync(doctor.Queue), $"Doctor consumes from a queue of its own ({doctor.Queue})");
        var demo = await _cloud.TokenAsync(Aio.Demo);

        var watch = Stopwatch.StartNew();
        var server = await _cloud.BootAsync(Aio.AdminInDemo, "sync-demo", Aio.Host1);
        var booted = watch.Elapsed;
        var lag = await Expect.ServerOnAsync(doctor, _cloud, server, Aio.Host1);
        _notes.Say($"created: Nova ACTIVE after {booted.TotalMilliseconds:0} ms, in Doctor's map {lag.TotalMilliseconds:0} ms later");
        using (var admin = doctor.Client())
        {
            var seen = await admin.SendJsonAsync(HttpMethod.Get, $"/v1/servers/{server}");
            Assert.Equal(demo.ProjectId, seen["project_id"]!.GetValue<string>());
            Assert.Equal(Aio.NamePrefix + "sync-demo", seen["name"]!.GetValue<string>());
            Assert.Equal("normal", seen["state"]!.GetValue<string>());
        }

        // A port bound to fake-host-1 for the server.
        watch.Restart();
        var port = await _cloud.CreatePortAsync("sync-port", server, demo.ProjectId, Aio.Host1);
        var (inMap, portLag) = await Poll.UntilAsync(() => doctor.FindAsync($"/v1/ports/{port}"), $"port {port} in Doctor's map", TimeSpan.FromSeconds(60), async () => doctor.Tail());
        _notes.Took("port created: in Doctor's map after Neutron answered", portLag);
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
        await _cloud.ServerActionAsync(server, new JsonObject { ["os-migrateLive"] = new JsonObject { ["host"] = Aio.Host2, ["block_migration"] = "auto" } });
        var moved = await _cloud.WaitServerAsync(server, s => Cloud.Host(s) == Aio.Host2 && Cloud.Status(s) == "ACTIVE" && Cloud.TaskState(s) is null, "live migration to fake-host-2 done");
        lag = await Expect.ServerOnAsync(doctor, _cloud, server, Aio.Host2);
        _notes.Say($"live-migrated to fake-host-2: Nova done after {moved.TotalMilliseconds:0} ms, Doctor's map {lag.TotalMilliseconds:0} ms later (from the request: {watch.ElapsedMilliseconds} ms)");
        await Expect.StaysOnAsync(doctor, server, Aio.Host2); // the source compute reports last, with the old host

        // Cold migration back to fake-host-1, confirmed.
        watch.Restart();
        await _cloud.ServerActionAsync(server, new JsonObject { ["migrate"] = new JsonObject { ["host"] = Aio.Host1 } });
        await _cloud.WaitServerAsync(server, s => Cloud.Status(s) == "VERIFY_RESIZE" && Cloud.TaskState(s) is null, "cold migration to fake-host-1 waiting for confirmation");
        var resized = watch.Elapsed;
        await _cloud.ServerActionAsync(server, new JsonObject { ["confirmResize"] = null });
        await _cloud.WaitServerAsync(server, s => Cloud.Host(s) == Aio.Host1 && Cloud.Status(s) == "ACTIVE" && Cloud.TaskState(s) is null, "cold migration to fake-host-1 confirmed");
        var confirmed = watch.Elapsed;
        lag = await Expect.ServerOnAsync(doctor, _cloud, server, Aio.Host1);
        _notes.Say($"cold-migrated to fake-host-1: VERIFY_RESIZE after {resized.TotalMilliseconds:0} ms, confirmed ACTIVE after {confirmed.TotalMilliseconds:0} ms, Doctor's map {lag.TotalMilliseconds:0} ms after that");
        using (var admin = doctor.Client())
        {
            var onHost1 = await admin.SendJsonAsync(HttpMethod.Get, $"/v1/servers?host={Aio.Host1}");
            Assert.Contains(onHost1["servers"]!.AsArray(), s => s!["id"]!.GetValue<string>() == server);
            var onHost2 = await admin.SendJsonAsync(HttpMethod.Get, $"/v1/servers?host={Aio.Host2}");
            Assert.DoesNotContain(onHost2["servers"]!.AsArray(), s => s!["id"]!.GetValue<string>() == server);
        }

        // Deleted: the port, then the server.
        await _cloud.DeletePortAsync(port);
        _notes.Took("port deleted: gone from Doctor's map after Neutron answered", await Expect.GoneAsync(doctor, $"/v1/ports/{port}"));
        watch.Restart();
        await _cloud.DeleteServerAsync(server);
        var deleted = watch.Elapsed;
        lag = await Expect.GoneAsync(doctor, $"/v1/servers/{server}");
        _notes.Say($"deleted: gone from Nova after {deleted.TotalMilliseconds:0} ms, from Doctor's map {lag.TotalMilliseconds:0} ms later");

        var status = await doctor.StatusAsync();
        _notes.Say($"GET /v1/openstack notifications: {status["notifications"]!.ToJsonString()}");
        Assert.True(status["notifications"]!["map_changes"]!.GetValue<long>() > 0, status.ToJsonString());
        Assert.Equal(1, status["reconciliation"]!["passes"]!.GetValue<long>()); // the start's snapshot only: the rest came from the bus
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (_doctor is not null)
            {
                await _doctor.DisposeAsync();
                Assert.False(await Bus.QueueExistsAsync(_doctor.Queue), $"queue {_doctor.Queue} left on the broker");
            }
        }
        finally
        {
            await _cloud.DisposeAsync();
        }
    }
}
