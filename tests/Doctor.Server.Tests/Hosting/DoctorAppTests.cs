using Doctor.Server.Tests.Infrastructure;

namespace Doctor.Server.Tests.Hosting;

/// <summary>What the app itself answers outside any endpoint (SPEC §1: every error is a problem with status, title, detail).</summary>
public sealed class DoctorAppTests : ApiTest
{
    [Fact]
    public async Task Healthz_Ready_ReportsProcessedPosition()
    {
        var body = await DoctorHost.JsonAsync(await Doctor.GetAsync("/healthz", token: null), 200);
        Assert.Equal("ok", body.GetProperty("status").GetString());
        Assert.Equal(0, body.GetProperty("processed_seq").GetInt64());
    }

    [Theory]
    [InlineData("/v1/nothing")]
    [InlineData("/v2/hosts")]
    [InlineData("/v1/hosts/a/b/c")]
    public async Task UnknownPath_Returns404Problem(string path)
    {
        await Problem.AssertAsync(await Doctor.GetAsync(path), 404);
        await Problem.AssertAsync(await Doctor.GetAsync(path, token: null), 404);
    }

    [Theory]
    [InlineData("PATCH", "/v1/hosts/compute-zulu-1")]
    [InlineData("DELETE", "/v1/hosts")]
    [InlineData("POST", "/v1/faults")]
    public async Task WrongMethod_Returns405Problem(string method, string path)
    {
        var response = await Doctor.SendAsync(new HttpMethod(method), path, Admin, method is "DELETE" ? null : "{}");
        await Problem.AssertAsync(response, 405, method);
    }

    [Fact]
    public async Task Restart_SameDataDir_KeepsMapTokensFaultsAndSubscriptions()
    {
        await SeedCloudAsync();
        var project = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        var revoked = await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/tokens", new { role = "monitor" }), 201);
        Assert.Equal(204, (int)(await Doctor.DeleteAsync($"/v1/tokens/{revoked.GetProperty("token_id").GetString()}")).StatusCode);
        var sub = await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/subscriptions", new { callback_url = "http://127.0.0.1:9/hook" }, project), 201);
        await Doctor.PostEventAndWaitAsync("compute.host.down", new { hostname = Cloud.Host1 }, id: "evt-before-restart");

        await Doctor.RestartAsync();

        Assert.Equal(3, (await Doctor.GetJsonAsync("/v1/servers", project)).GetProperty("servers").GetArrayLength());
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/hosts", revoked.GetProperty("token").GetString()), 401);
        Assert.Equal("down", (await Doctor.GetJsonAsync($"/v1/hosts/{Cloud.Host1}")).GetProperty("state").GetString());
        Assert.Equal(7, (await Doctor.GetJsonAsync("/v1/faults")).GetProperty("faults").GetArrayLength());
        await Doctor.GetJsonAsync($"/v1/subscriptions/{sub.GetProperty("subscription_id").GetString()}", project);

        // A monitor retrying across the restart is still deduplicated.
        var again = await Doctor.PostEventsAsync(new { id = "evt-before-restart", time = DoctorHost.Now(), type = "compute.host.down", details = new { hostname = Cloud.Host1 } });
        Assert.Equal("evt-before-restart", again.GetProperty("event_ids")[0].GetString());
        Assert.Single((await Doctor.GetJsonAsync("/v1/events")).GetProperty("events").EnumerateArray());
    }
}
