using Doctor.OpenStack.Integration.Infrastructure;
using Xunit.Abstractions;

namespace Doctor.OpenStack.Integration;

/// <summary>
/// The recovery path an operator meets after an evacuation: Doctor forces fake-host-1 down, the server is evacuated to
/// fake-host-2 through Nova — its owner is told at once that it is back (no longer waiting for fake-host-1) — and when
/// the host recovers Nova refuses to un-force it (finished evacuations remain until the host's nova-compute restarts).
/// Doctor must say so (<c>GET /v1/openstack</c> names the host as waiting) and un-force it by itself once the operator
/// has restarted that nova-compute.
/// </summary>
public sealed class EvacuationTests(ITestOutputHelper output, Notes notes) : CloudScenario(output, notes, "evacuation")
{
    [OpenStackFact]
    public async Task EvacuatedHost_UnforceRefusedAndReported_ThenDoneAfterComputeRestart()
    {
        var doctor = Service = await OpenStackDoctor.StartAsync(new Dictionary<string, string> { ["Doctor__OpenStack__UnforceRetrySeconds"] = "2" });
        Notes.Took("doctor started", doctor.StartedIn);
        var server = await Cloud.BootAsync(Aio.AdminInDemo, "ev-demo", Aio.Host1);
        await Expect.ServerOnAsync(doctor, Cloud, server, Aio.Host1);
        var demo = await Cloud.TokenAsync(Aio.Demo);
        using (var demoApi = doctor.Client(demo.Token))
            await demoApi.SendJsonAsync(HttpMethod.Post, "/v1/subscriptions", new System.Text.Json.Nodes.JsonObject { ["callback_url"] = Consumer.Url("demo") }, expect: 201);

        var down = await doctor.PostEventAsync("compute.host.down", Aio.Host1);
        await Consumer.WaitAsync("demo", Expect.Notification("fault", server), "demo's fault notification", down);
        Notes.Took("Nova: fake-host-1 forced down", await Poll.UntilAsync(() => Cloud.ForcedDownAsync(Aio.Host1),
            "fake-host-1 forced down in Nova", TimeSpan.FromSeconds(60), async () => Service.Tail()));

        // The operator (or a VNF manager) evacuates the server to fake-host-2.
        var evacuate = System.Diagnostics.Stopwatch.GetTimestamp();
        await Cloud.ServerActionAsync(server, new System.Text.Json.Nodes.JsonObject { ["evacuate"] = new System.Text.Json.Nodes.JsonObject { ["host"] = Aio.Host2 } }, "2.68");
        Notes.Took("Nova: evacuated to fake-host-2 (ACTIVE)", await Cloud.WaitServerAsync(server,
            s => Cloud.Host(s) == Aio.Host2 && Cloud.Status(s) == "ACTIVE" && Cloud.TaskState(s) is null, "server evacuated to fake-host-2"));
        Notes.Took("Doctor's map shows it on fake-host-2", await Expect.ServerOnAsync(doctor, Cloud, server, Aio.Host2));

        // The owner hears that its server is back, on a host that is up, while fake-host-1 is still down.
        var (back, backAfter) = await Consumer.WaitAsync("demo", Expect.Notification("fault_cleared", server), "demo told its evacuated server is back", evacuate,
            explain: async () => doctor.Tail());
        Notes.Took("demo told its evacuated server is back (from the evacuate request)", backAfter);
        Assert.Equal(("normal", "UP"), (Expect.Resource(back, server)["state"]!.GetValue<string>(), Expect.Resource(back, server)["host_status"]!.GetValue<string>()));
        using (var admin = doctor.Client())
        {
            Assert.Equal("normal", (await admin.SendJsonAsync(HttpMethod.Get, $"/v1/servers/{server}"))["state"]!.GetValue<string>());
            Assert.Equal("down", (await admin.SendJsonAsync(HttpMethod.Get, $"/v1/hosts/{Aio.Host1}"))["state"]!.GetValue<string>());
        }

        // Recovery: Nova refuses to un-force while the 'done' evacuation records remain; Doctor reports it and keeps asking.
        await doctor.PostEventAsync("compute.host.up", Aio.Host1);
        var (waiting, reported) = await Poll.UntilAsync(async () =>
                (await doctor.StatusAsync())["actions"]!["waiting_to_unforce"]!.AsArray().FirstOrDefault(w => w!["host"]!.GetValue<string>() == Aio.Host1),
            "GET /v1/openstack naming fake-host-1 as waiting to be un-forced", TimeSpan.FromSeconds(60), async () => (await doctor.StatusAsync()).ToJsonString() + "\n" + doctor.Tail());
        Notes.Took("GET /v1/openstack reports fake-host-1 waiting to be un-forced", reported);
        Notes.Say($"reported reason: {waiting["reason"]}");
        Assert.Contains("evacuation", waiting["reason"]!.GetValue<string>(), StringComparison.OrdinalIgnoreCase);
        Assert.True(await Cloud.ForcedDownAsync(Aio.Host1), "Nova un-forced fake-host-1 although evacuation records remain");
        using (var admin = doctor.Client())
        {
            // Doctor's own view of the host is recovered: the fault is cleared; only the cloud's record lags behind.
            var host = await admin.SendJsonAsync(HttpMethod.Get, $"/v1/hosts/{Aio.Host1}");
            Assert.Equal("up", host["state"]!.GetValue<string>());
        }

        // The operator restarts the host's nova-compute; Doctor un-forces the host on its next attempt.
        var restart = System.Diagnostics.Stopwatch.StartNew();
        await Cloud.RestartComputeAsync(1);
        Notes.Took("nova-compute of fake-host-1 stopped and started again", restart.Elapsed);
        Notes.Took("Nova: fake-host-1 un-forced by Doctor after the restart", await Poll.UntilAsync(async () => !await Cloud.ForcedDownAsync(Aio.Host1),
            "fake-host-1 un-forced in Nova after its compute restarted", TimeSpan.FromSeconds(180), async () => (await doctor.StatusAsync()).ToJsonString() + "\n" + doctor.Tail()));
        var actions = (await doctor.StatusAsync())["actions"]!;
        await Poll.UntilAsync(async () => (await doctor.StatusAsync())["actions"]!["waiting_to_unforce"]!.AsArray().Count == 0,
            "GET /v1/openstack no longer lists fake-host-1 as waiting", TimeSpan.FromSeconds(30), async () => (await doctor.StatusAsync()).ToJsonString());
        Notes.Say($"GET /v1/openstack actions: {actions.ToJsonString()}");
    }
}
