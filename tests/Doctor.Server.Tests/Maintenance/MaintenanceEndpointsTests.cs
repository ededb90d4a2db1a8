using Doctor.Testing;
using System.Text.Json;
using Doctor.Server.Tests.Infrastructure;

namespace Doctor.Server.Tests.Maintenance;

/// <summary>
/// <c>/v1/maintenance</c> end to end on <see cref="Cloud"/>: proj-alpha's app manager (a webhook) answers every
/// message; proj-beta has no maintenance subscription and is not asked. Timers are shortened through metadata.
/// </summary>
public sealed class MaintenanceEndpointsTests : ApiTest
{
    private static readonly object FastMetadata = new { reply_seconds = 10, migration_seconds = 0.05, host_maintenance_seconds = "0.05" };

    private WebhookReceiver _hooks = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _hooks = await WebhookReceiver.StartAsync();
        await SeedCloudAsync();
    }

    public override async Task DisposeAsync()
    {
        await _hooks.DisposeAsync();
        await base.DisposeAsync();
    }

    [Fact]
    public async Task Session_AppManagerAcksEveryMessage_EndsDoneWithHostsEnabled()
    {
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        await SubscribeAsync(alpha, "alpha");
        await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/subscriptions", new { callback_url = _hooks.Url("admin"), filter = new { notification_types = new[] { "maintenance" } } }), 201);

        var created = await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/maintenance", new
        {
            hosts = Array.Empty<string>(), state = "MAINTENANCE", maintenance_at = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss"), workflow = "default", metadata = FastMetadata,
        }), 201);
        var sid = created.GetProperty("session_id").GetString()!;
        Assert.Equal("MAINTENANCE", created.GetProperty("state").GetString());

        var first = (await _hooks.WaitForAsync("alpha", 1))[0].Json;
        Assert.Equal("maintenance", first.GetProperty("notification_type").GetString());
        var m = first.GetProperty("maintenance");
        Assert.Equal("maintenance.scheduled", m.GetProperty("event_type").GetString());
        Assert.Equal("MAINTENANCE", m.GetProperty("state").GetString());
        Assert.Equal(sid, m.GetProperty("session_id").GetString());
        Assert.Equal($"/v1/maintenance/{sid}/{Cloud.Alpha}", m.GetProperty("reply_url").GetString());
        Assert.Equal(["vm-a1", "vm-a2", "vm-a3"], m.GetProperty("instance_ids").EnumerateArray().Select(e => e.GetString()));
        Assert.DoesNotContain(Cloud.Host1, _hooks.CallsTo("alpha")[0].Text); // tenants never see host names

        var own = await Doctor.GetJsonAsync($"/v1/maintenance/{sid}/{Cloud.Alpha}", alpha);
        Assert.Equal(3, own.GetProperty("instance_ids").GetArrayLength());

        // The app manager: answers each question as it comes, LIVE_MIGRATE for everything offered.
        var answered = 0;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await Doctor.GetJsonAsync($"/v1/maintenance/{sid}")).GetProperty("state").GetString() is not ("MAINTENANCE_DONE" or "MAINTENANCE_FAILED"))
        {
            Assert.True(DateTime.UtcNow < deadline, "the session did not end");
            var calls = _hooks.CallsTo("alpha").Select(c => c.Json.GetProperty("maintenance")).ToList();
            var questions = calls.Where(c => c.GetProperty("state").GetString() != "INSTANCE_ACTION_DONE").ToList();
            if (questions.Count > answered)
            {
                var q = questions[answered++];
                var state = q.GetProperty("state").GetString()!;
                var actions = q.GetProperty("allowed_actions").GetArrayLength() == 0
                    ? null
                    : q.GetProperty("instance_ids").EnumerateArray().ToDictionary(e => e.GetString()!, _ => "LIVE_MIGRATE");
                await DoctorHost.JsonAsync(await Doctor.PutAsync($"/v1/maintenance/{sid}/{Cloud.Alpha}", new { state = "ACK_" + state, instance_actions = actions }, alpha), 200);
            }
            else
            {
                await Task.Delay(20);
            }
        }

        var detail = await Doctor.GetJsonAsync($"/v1/maintenance/{sid}/detail");
        Assert.True(detail.GetProperty("state").GetString() == "MAINTENANCE_DONE", detail.GetProperty("reason").ToString());
        Assert.All(detail.GetProperty("hosts").EnumerateArray(), h => Assert.Equal("maintained", h.GetProperty("state").GetString()));
        Assert.NotEmpty(detail.GetProperty("history").EnumerateArray());
        foreach (var host in new[] { Cloud.Host1, Cloud.Host2, Cloud.Host3 })
        {
            var h = await Doctor.GetJsonAsync($"/v1/hosts/{host}");
            Assert.Equal("enabled", h.GetProperty("status").GetString());
            Assert.Equal(JsonValueKind.Null, h.GetProperty("maintenance").ValueKind);
        }

        var hostMessages = (await _hooks.WaitForAsync("admin", 6)).Select(c => c.Json.GetProperty("maintenance")).ToList();
        Assert.All(hostMessages, h => Assert.Equal("maintenance.host", h.GetProperty("event_type").GetString()));
        Assert.Equal(3, hostMessages.Count(h => h.GetProperty("state").GetString() == "IN_MAINTENANCE"));
        Assert.Equal(3, hostMessages.Count(h => h.GetProperty("state").GetString() == "MAINTENANCE_COMPLETE"));
        Assert.Contains(_hooks.CallsTo("alpha"), c => c.Json.GetProperty("maintenance").GetProperty("state").GetString() == "INSTANCE_ACTION_DONE");
        // The pair never shared a host.
        Assert.NotEqual((await Doctor.GetJsonAsync("/v1/servers/vm-a1")).GetProperty("host").GetString(), (await Doctor.GetJsonAsync("/v1/servers/vm-a3")).GetProperty("host").GetString());
    }

    [Fact]
    public async Task ProjectApi_OtherProjectOrRole_IsRefused()
    {
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        var beta = await Doctor.CreateTokenAsync("project", Cloud.Beta);
        var monitor = await Doctor.CreateTokenAsync("monitor");
        await SubscribeAsync(alpha, "alpha");
        var sid = await CreateAsync();
        var alphaPath = $"/v1/maintenance/{sid}/{Cloud.Alpha}";
        var ack = new { state = "ACK_MAINTENANCE" };

        await Problem.AssertAsync(await Doctor.GetAsync(alphaPath, beta), 404);
        await Problem.AssertAsync(await Doctor.PutAsync(alphaPath, ack, beta), 404);
        await Problem.AssertAsync(await Doctor.GetAsync($"/v1/maintenance/{sid}/{Cloud.Beta}", alpha), 404); // beta takes part, but not alpha's business
        await Problem.AssertAsync(await Doctor.GetAsync($"/v1/maintenance/{sid}/proj-nobody"), 404);
        await Problem.AssertAsync(await Doctor.GetAsync(alphaPath, monitor), 403);
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/maintenance", alpha), 403);
        await Problem.AssertAsync(await Doctor.GetAsync($"/v1/maintenance/{sid}/detail", alpha), 403);
        await Problem.AssertAsync(await Doctor.DeleteAsync($"/v1/maintenance/{sid}", alpha), 403);

        Assert.Equal(3, (await Doctor.GetJsonAsync(alphaPath, alpha)).GetProperty("instance_ids").GetArrayLength());
        Assert.Equal(1, (await Doctor.GetJsonAsync($"/v1/maintenance/{sid}/{Cloud.Beta}")).GetProperty("instance_ids").GetArrayLength());
        var detail = await Doctor.GetJsonAsync($"/v1/maintenance/{sid}/detail");
        Assert.Equal(JsonValueKind.Null, detail.GetProperty("projects")[0].GetProperty("reply").ValueKind); // nothing the refused calls said was taken
    }

    [Theory]
    [InlineData("""{"workflow":"vnf"}""", "workflow")]
    [InlineData("""{"state":"PLANNED_MAINTENANCE"}""", "state")]
    [InlineData("""{"maintenance_at":"tomorrow"}""", "maintenance_at")]
    [InlineData("""{"hosts":["compute-nowhere"]}""", "compute-nowhere")]
    [InlineData("""{"hosts":[""]}""", "hosts[0]")]
    [InlineData("""{"metadata":{"migration_seconds":5}}""", "migration_seconds")]
    [InlineData("""{"metadata":{"reply_seconds":"-1"}}""", "reply_seconds")]
    [InlineData("""{"metadata":{"nested":{"a":1}}}""", "metadata.nested")]
    public async Task Create_InvalidInput_Is400NamingTheField(string body, string field)
    {
        await Problem.AssertAsync(await Doctor.PostAsync("/v1/maintenance", body), 400, field);

        Assert.Equal(0, (await Doctor.GetJsonAsync("/v1/maintenance")).GetProperty("sessions").GetArrayLength());
    }

    [Fact]
    public async Task Create_WhileAnotherRuns_Is409()
    {
        await CreateAsync();

        await Problem.AssertAsync(await Doctor.PostAsync("/v1/maintenance", new { state = "MAINTENANCE" }), 409);
    }

    [Fact]
    public async Task Reply_InstanceNotOfferedOrWrongState_IsRefused()
    {
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        await SubscribeAsync(alpha, "alpha");
        var sid = await CreateAsync();
        var path = $"/v1/maintenance/{sid}/{Cloud.Alpha}";

        await Problem.AssertAsync(await Doctor.PutAsync(path, new { state = "ACK_PLANNED_MAINTENANCE" }, alpha), 409);
        await Problem.AssertAsync(await Doctor.PutAsync(path, new { state = "YES" }, alpha), 400, "state");
        await Problem.AssertAsync(await Doctor.PutAsync(path, new { state = "ACK_MAINTENANCE", instance_actions = new Dictionary<string, string> { ["vm-a1"] = "MIGRATE" } }, alpha), 400, "instance_actions");

        await DoctorHost.JsonAsync(await Doctor.PutAsync(path, new { state = "ACK_MAINTENANCE" }, alpha), 200);
        // Host 3 is empty: maintained first; then host 2 (vm-a3) is planned.
        await Eventually.TrueAsync(async () => (await Doctor.GetJsonAsync($"/v1/maintenance/{sid}")).GetProperty("state").GetString() == "PLANNED_MAINTENANCE"
            && (await Doctor.GetJsonAsync(path, alpha)).GetProperty("awaiting").GetString() == "PLANNED_MAINTENANCE", "PLANNED_MAINTENANCE to be asked");
        await Problem.AssertAsync(await Doctor.PutAsync(path, new { state = "ACK_PLANNED_MAINTENANCE", instance_actions = new Dictionary<string, string> { ["vm-b1"] = "MIGRATE" } }, alpha), 400, "instance_actions.vm-b1");
        await Problem.AssertAsync(await Doctor.PutAsync(path, new { state = "ACK_PLANNED_MAINTENANCE", instance_actions = new Dictionary<string, string> { ["vm-a3"] = "REBOOT" } }, alpha), 400, "instance_actions.vm-a3");
    }

    [Fact]
    public async Task Reply_Nack_FailsSessionWithReasonAndReleasesHosts()
    {
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        await SubscribeAsync(alpha, "alpha");
        var sid = await CreateAsync();

        await DoctorHost.JsonAsync(await Doctor.PutAsync($"/v1/maintenance/{sid}/{Cloud.Alpha}", new { state = "NACK_MAINTENANCE" }, alpha), 200);

        var detail = await Doctor.GetJsonAsync($"/v1/maintenance/{sid}/detail");
        Assert.Equal("MAINTENANCE_FAILED", detail.GetProperty("state").GetString());
        Assert.Contains("NACK_MAINTENANCE", detail.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Delete_RunningSession_ReleasesHostsAndForgetsIt()
    {
        var sid = await CreateAsync(); // proj-beta does not listen, proj-alpha neither: host 3 goes in maintenance at once
        await Eventually.TrueAsync(async () => (await Doctor.GetJsonAsync($"/v1/hosts/{Cloud.Host3}")).GetProperty("maintenance").ValueKind != JsonValueKind.Null
            || (await Doctor.GetJsonAsync($"/v1/maintenance/{sid}")).GetProperty("state").GetString() != "MAINTENANCE", "the session to start");

        Assert.Equal(204, (int)(await Doctor.DeleteAsync($"/v1/maintenance/{sid}")).StatusCode);

        await Problem.AssertAsync(await Doctor.GetAsync($"/v1/maintenance/{sid}"), 404);
        foreach (var host in new[] { Cloud.Host1, Cloud.Host2, Cloud.Host3 })
            Assert.Equal("enabled", (await Doctor.GetJsonAsync($"/v1/hosts/{host}")).GetProperty("status").GetString());
        await Problem.AssertAsync(await Doctor.DeleteAsync($"/v1/maintenance/{sid}"), 404);
    }

    [Fact]
    public async Task Continue_FailedSession_RunsAgain()
    {
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        await SubscribeAsync(alpha, "alpha");
        var sid = await CreateAsync();
        await Problem.AssertAsync(await Doctor.PutAsync($"/v1/maintenance/{sid}", new { }), 409); // still running
        await Doctor.PutAsync($"/v1/maintenance/{sid}/{Cloud.Alpha}", new { state = "NACK_MAINTENANCE" }, alpha);

        var resumed = await DoctorHost.JsonAsync(await Doctor.PutAsync($"/v1/maintenance/{sid}", new { }), 200);

        Assert.Equal("MAINTENANCE", resumed.GetProperty("state").GetString());
        Assert.Equal("MAINTENANCE", (await Doctor.GetJsonAsync($"/v1/maintenance/{sid}/{Cloud.Alpha}", alpha)).GetProperty("awaiting").GetString());
    }

    [Fact]
    public async Task Session_Restart_KeepsStateRepliesAndHistory()
    {
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        await SubscribeAsync(alpha, "alpha");
        var sid = await CreateAsync(startIn: TimeSpan.FromHours(1));
        await DoctorHost.JsonAsync(await Doctor.PutAsync($"/v1/maintenance/{sid}/{Cloud.Alpha}", new { state = "ACK_MAINTENANCE" }, alpha), 200);
        var before = await Doctor.GetJsonAsync($"/v1/maintenance/{sid}/detail");

        await Doctor.RestartAsync();

        var after = await Doctor.GetJsonAsync($"/v1/maintenance/{sid}/detail");
        Assert.Equal(before.GetRawText(), after.GetRawText());
        Assert.Equal("ACK_MAINTENANCE", after.GetProperty("projects").EnumerateArray().Single(p => p.GetProperty("project_id").GetString() == Cloud.Alpha).GetProperty("reply").GetString());
    }

    private async Task SubscribeAsync(string token, string path) =>
        await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/subscriptions", new { callback_url = _hooks.Url(path), filter = new { notification_types = new[] { "maintenance" } } }, token), 201);

    private async Task<string> CreateAsync(TimeSpan? startIn = null)
    {
        var at = DateTimeOffset.UtcNow + (startIn ?? TimeSpan.Zero);
        var created = await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/maintenance", new
        {
            state = "MAINTENANCE", maintenance_at = at.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), metadata = FastMetadata,
        }), 201);
        return created.GetProperty("session_id").GetString()!;
    }
}
