using System.Diagnostics;
using System.Text.Json.Nodes;
using Doctor.OpenStack.Integration.Infrastructure;
using Xunit.Abstractions;

namespace Doctor.OpenStack.Integration;

/// <summary>
/// Without notifications (no transport URL: as if the bus were lost), the periodic full read of the cloud repairs the map:
/// a server and a port created behind Doctor's back appear, a server whose host the map has wrong is put back where Nova
/// says it is, and deleted ones vanish; <c>GET /v1/openstack</c> counts every repair. And a force-down that is not
/// Doctor's is followed, never re-sent.
/// </summary>
public sealed class ReconciliationTests(ITestOutputHelper output, Notes notes) : CloudScenario(output, notes, "reconciliation")
{

    [OpenStackFact]
    public async Task NoNotifications_ReconciliationRepairsTheMapAndCountsIt()
    {
        var doctor = Service = await OpenStackDoctor.StartAsync(new Dictionary<string, string> { ["Doctor__OpenStack__ReconcileSeconds"] = "2" }, consume: false);
        var status = await doctor.StatusAsync();
        Assert.False(status["notifications"]!["consuming"]!.GetValue<bool>(), status.ToJsonString());
        var demo = await Cloud.TokenAsync(Aio.Demo);

        // Created behind Doctor's back.
        var before = await RepairedAsync(doctor);
        var watch = Stopwatch.StartNew();
        var server = await Cloud.BootAsync(Aio.AdminInDemo, "rec-demo", Aio.Host1);
        var active = watch.Elapsed;
        var port = await Cloud.CreatePortAsync("rec-port", server, demo.ProjectId, Aio.Host1);
        await Expect.ServerOnAsync(doctor, Cloud, server, Aio.Host1, seconds: 90);
        Notes.Say($"server created: ACTIVE in Nova {active.TotalMilliseconds:0} ms after the request, in Doctor's map after {watch.ElapsedMilliseconds} ms (passes every 2 s)");
        await Poll.UntilAsync(async () => await doctor.FindAsync($"/v1/ports/{port}") is not null, $"port {port} in Doctor's map", TimeSpan.FromSeconds(90), async () => doctor.Tail());
        var afterCreate = await CountedAsync(doctor, before, 2, "the server and the port added");

        // The map wrong about where a server runs (an admin's stale import): put back to where Nova says it is.
        using (var admin = doctor.Client())
        {
            var wrong = await admin.SendJsonAsync(HttpMethod.Get, $"/v1/servers/{server}");
            wrong["host"] = Aio.Host2;
            await admin.SendJsonAsync(HttpMethod.Put, $"/v1/servers/{server}", wrong);
            Assert.Equal(Aio.Host2, (await admin.SendJsonAsync(HttpMethod.Get, $"/v1/servers/{server}"))["host"]!.GetValue<string>());
        }

        Notes.Took("server's host repaired", await Expect.ServerOnAsync(doctor, Cloud, server, Aio.Host1, seconds: 90));
        var afterMove = await CountedAsync(doctor, afterCreate, 1, "the server's host repaired");

        // Deleted behind Doctor's back.
        await Cloud.DeletePortAsync(port);
        await Cloud.DeleteServerAsync(server);
        Notes.Took("deleted from Nova and Neutron: gone from Doctor's map", await Expect.GoneAsync(doctor, $"/v1/servers/{server}", seconds: 90));
        await Expect.GoneAsync(doctor, $"/v1/ports/{port}", seconds: 90);
        await CountedAsync(doctor, afterMove, 2, "the server and the port removed");

        status = await doctor.StatusAsync();
        Notes.Say($"GET /v1/openstack reconciliation: {status["reconciliation"]!.ToJsonString()}");
        Assert.Equal(0, status["notifications"]!["received"]!.GetValue<long>());
        Assert.Null(status["reconciliation"]!["last_error"]?.GetValue<string>());
    }

    /// <summary>
    /// A force-down that is not Doctor's (an operator's, in Nova, before Doctor started) is copied into the map, followed
    /// when the operator lifts it, and never sent again by Doctor: the reconciliation re-sends only force-downs that one of
    /// Doctor's faults holds.
    /// </summary>
    [OpenStackFact]
    public async Task OperatorsForceDown_FollowedWhenLifted_NeverSentAgain()
    {
        Assert.Null(await Cloud.SetForcedDownAsync(Aio.Host2, true));
        var doctor = Service = await OpenStackDoctor.StartAsync(new Dictionary<string, string> { ["Doctor__OpenStack__ReconcileSeconds"] = "2" });
        using var admin = doctor.Client();
        var host = await admin.SendJsonAsync(HttpMethod.Get, $"/v1/hosts/{Aio.Host2}");
        Assert.True(host["forced_down"]!.GetValue<bool>(), host.ToJsonString());
        Assert.Equal("DOWN", host["host_status"]!.GetValue<string>());

        Assert.Null(await Cloud.SetForcedDownAsync(Aio.Host2, false));
        Notes.Took("operator's un-force in Nova followed by Doctor's map", await Poll.UntilAsync(
            async () => (await admin.SendJsonAsync(HttpMethod.Get, $"/v1/hosts/{Aio.Host2}"))["forced_down"]!.GetValue<bool>() == false,
            "fake-host-2 no longer forced down in Doctor's map", TimeSpan.FromSeconds(60), async () => doctor.Tail()));
        Assert.Equal("up", (await admin.SendJsonAsync(HttpMethod.Get, $"/v1/hosts/{Aio.Host2}"))["state"]!.GetValue<string>());

        // Three more passes: Doctor must not force the host down again.
        var passes = (await doctor.StatusAsync())["reconciliation"]!["passes"]!.GetValue<long>();
        await Poll.UntilAsync(async () => (await doctor.StatusAsync())["reconciliation"]!["passes"]!.GetValue<long>() >= passes + 3,
            "three more reconciliation passes", TimeSpan.FromSeconds(60), async () => (await doctor.StatusAsync()).ToJsonString());
        await Poll.UntilAsync(async () => (await doctor.StatusAsync())["actions"]!["pending"]!.GetValue<long>() == 0,
            "no controller call pending", TimeSpan.FromSeconds(30), async () => (await doctor.StatusAsync()).ToJsonString());
        Assert.False(await Cloud.ForcedDownAsync(Aio.Host2), "Doctor forced fake-host-2 down again although no fault of its own held it");
        var actions = (await doctor.StatusAsync())["actions"]!;
        Assert.True(actions["force_downs_resent"]!.GetValue<long>() == 0 && actions["succeeded"]!.GetValue<long>() == 0, actions.ToJsonString());
    }

    private static async Task<long> RepairedAsync(OpenStackDoctor doctor) =>
        (await doctor.StatusAsync())["reconciliation"]!["repaired_total"]!.GetValue<long>();

    /// <summary>Waits until <c>repaired_total</c> grew by at least <paramref name="atLeast"/> from <paramref name="from"/>
    /// (a pass can count more: other people's servers change on the same cloud).</summary>
    private async Task<long> CountedAsync(OpenStackDoctor doctor, long from, int atLeast, string what)
    {
        var watch = Stopwatch.StartNew();
        var (total, _) = await Poll.UntilAsync(async () => await RepairedAsync(doctor) is var now && now >= from + atLeast ? (object)now : null,
            $"repaired_total counting {what} ({from} + {atLeast})", TimeSpan.FromSeconds(30), async () => (await doctor.StatusAsync()).ToJsonString());
        Notes.Say($"repaired_total {from} → {total} ({what})");
        return (long)total;
    }
}
