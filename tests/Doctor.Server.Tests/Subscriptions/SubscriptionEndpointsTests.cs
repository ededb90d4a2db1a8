using System.Text.Json;
using Doctor.Server.Tests.Infrastructure;

namespace Doctor.Server.Tests.Subscriptions;

/// <summary><c>/v1/subscriptions</c> (SPEC §5): the SubscribeResponse, validation, and who sees which subscription.</summary>
public sealed class SubscriptionEndpointsTests : ApiTest
{
    private const string Callback = "http://127.0.0.1:9/hook";

    [Fact]
    public async Task Post_AsProject_Returns201WithCurrentStateOfItsResources()
    {
        await SeedCloudAsync();
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);

        var response = await Doctor.PostAsync("/v1/subscriptions", new { callback_url = Callback, secret = "a-secret-of-24-characters" }, alpha);
        var text = await response.Content.ReadAsStringAsync();
        var body = await DoctorHost.JsonAsync(response, 201);

        var id = body.GetProperty("subscription_id").GetString()!;
        Assert.Equal($"/v1/subscriptions/{id}", response.Headers.Location?.ToString());
        Assert.Equal(Callback, body.GetProperty("callback_url").GetString());
        Assert.Equal(Cloud.Alpha, body.GetProperty("project_id").GetString());
        Assert.Equal(JsonValueKind.Object, body.GetProperty("filter").ValueKind);
        Assert.DoesNotContain("a-secret-of-24-characters", text);
        Assert.DoesNotContain("compute-zulu", text);

        var resources = body.GetProperty("resources").EnumerateArray().ToList();
        Assert.Equal(["port-a1", "port-a2", "port-a3", "vm-a1", "vm-a2", "vm-a3"], resources.Select(r => r.GetProperty("resource_id").GetString()!).Order(StringComparer.Ordinal));
        var vm = resources.Single(r => r.GetProperty("resource_id").GetString() == "vm-a1");
        Assert.Equal("server", vm.GetProperty("resource_type").GetString());
        Assert.Equal("normal", vm.GetProperty("state").GetString());
        Assert.Equal("UP", vm.GetProperty("host_status").GetString());
        Assert.Equal(Cloud.AlphaHost1Id, vm.GetProperty("host_id").GetString());
        Assert.Empty(vm.GetProperty("faults").EnumerateArray());
        Assert.False(vm.TryGetProperty("host", out _));
        var port = resources.Single(r => r.GetProperty("resource_id").GetString() == "port-a3");
        Assert.Equal("port", port.GetProperty("resource_type").GetString());
        Assert.Equal("ACTIVE", port.GetProperty("state").GetString());
        Assert.Equal(Cloud.AlphaHost2Id, port.GetProperty("host_id").GetString());
    }

    [Fact]
    public async Task Post_AfterHostDown_ResourcesShowErrorAndActiveFaults()
    {
        await SeedCloudAsync();
        await Doctor.PostEventAndWaitAsync("compute.host.down", new { hostname = Cloud.Host1, cause = "raw monitor text" });
        var beta = await Doctor.CreateTokenAsync("project", Cloud.Beta);

        var response = await Doctor.PostAsync("/v1/subscriptions", new { callback_url = Callback }, beta);
        var text = await response.Content.ReadAsStringAsync();
        var body = await DoctorHost.JsonAsync(response, 201);

        var resources = body.GetProperty("resources").EnumerateArray().ToList();
        Assert.Equal(["port-b1", "vm-b1"], resources.Select(r => r.GetProperty("resource_id").GetString()!).Order(StringComparer.Ordinal));
        var vm = resources.Single(r => r.GetProperty("resource_id").GetString() == "vm-b1");
        Assert.Equal("error", vm.GetProperty("state").GetString());
        Assert.Equal("DOWN", vm.GetProperty("host_status").GetString());
        var fault = Assert.Single(vm.GetProperty("faults").EnumerateArray());
        Assert.Equal("compute.host.down", fault.GetProperty("fault_type").GetString());
        Assert.Empty(fault.GetProperty("details").EnumerateObject());
        Assert.Equal("DOWN", resources.Single(r => r.GetProperty("resource_id").GetString() == "port-b1").GetProperty("state").GetString());
        Assert.DoesNotContain(Cloud.Host1, text);
        Assert.DoesNotContain("raw monitor text", text);
    }

    [Fact]
    public async Task Post_AsProjectForOwnResourceIds_ReturnsOnlyThose()
    {
        await SeedCloudAsync();
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        var body = await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/subscriptions",
            new { callback_url = Callback, filter = new { resource_ids = new[] { "vm-a3", "port-a3" }, min_severity = "major" } }, alpha), 201);

        Assert.Equal(["port-a3", "vm-a3"], body.GetProperty("resources").EnumerateArray().Select(r => r.GetProperty("resource_id").GetString()!).Order(StringComparer.Ordinal));
        Assert.Equal("major", body.GetProperty("filter").GetProperty("min_severity").GetString());
        Assert.Equal(["vm-a3", "port-a3"], body.GetProperty("filter").GetProperty("resource_ids").EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [InlineData("vm-b1")]   // another project's server
    [InlineData("port-b1")] // another project's port
    [InlineData("vm-x1")]   // an admin-only server
    [InlineData("vm-none")] // unknown: looks the same
    public async Task Post_AsProjectWithForeignResourceId_Returns404(string resourceId)
    {
        await SeedCloudAsync();
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);

        var body = await Problem.AssertAsync(await Doctor.PostAsync("/v1/subscriptions",
            new { callback_url = Callback, filter = new { resource_ids = new[] { "vm-a1", resourceId } } }, alpha), 404);

        Assert.DoesNotContain(Cloud.Beta, body.ToString());
        Assert.Empty((await Doctor.GetJsonAsync("/v1/subscriptions")).GetProperty("subscriptions").EnumerateArray());
    }

    [Fact]
    public async Task Post_AsProjectForAnotherProject_Returns403()
    {
        await SeedCloudAsync();
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);

        await Problem.AssertAsync(await Doctor.PostAsync("/v1/subscriptions", new { callback_url = Callback, project_id = Cloud.Beta }, alpha), 403);
        Assert.Empty((await Doctor.GetJsonAsync("/v1/subscriptions")).GetProperty("subscriptions").EnumerateArray());

        // Naming its own project is fine.
        var own = await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/subscriptions", new { callback_url = Callback, project_id = Cloud.Alpha }, alpha), 201);
        Assert.Equal(Cloud.Alpha, own.GetProperty("project_id").GetString());
    }

    [Fact]
    public async Task Post_AsAdminForProject_GetsThatProjectsResources()
    {
        await SeedCloudAsync();
        var body = await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/subscriptions", new { callback_url = Callback, project_id = Cloud.Beta }), 201);
        Assert.Equal(Cloud.Beta, body.GetProperty("project_id").GetString());
        Assert.Equal(["port-b1", "vm-b1"], body.GetProperty("resources").EnumerateArray().Select(r => r.GetProperty("resource_id").GetString()!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Post_AsAdminWithoutProject_GetsPhysicalResourcesToo()
    {
        await SeedCloudAsync();
        var body = await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/subscriptions",
            new { callback_url = Callback, filter = new { resource_types = new[] { "host", "server" } } }), 201);

        Assert.Equal(JsonValueKind.Null, body.GetProperty("project_id").ValueKind);
        var resources = body.GetProperty("resources").EnumerateArray().ToList();
        Assert.Equal(3, resources.Count(r => r.GetProperty("resource_type").GetString() == "host"));
        Assert.Equal(5, resources.Count(r => r.GetProperty("resource_type").GetString() == "server"));
        Assert.DoesNotContain(resources, r => r.GetProperty("resource_type").GetString() == "port");
        var host = resources.First(r => r.GetProperty("resource_id").GetString() == Cloud.Host1);
        Assert.Equal("up", host.GetProperty("state").GetString());
        Assert.Equal(Cloud.Host2, resources.Single(r => r.GetProperty("resource_id").GetString() == "vm-x1").GetProperty("host").GetString());
    }

    [Theory]
    [InlineData("ftp://127.0.0.1/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://[fe80::1]/hook")]
    [InlineData("http://0.0.0.0/hook")]
    [InlineData("file:///etc/passwd")]
    [InlineData("/relative/hook")]
    [InlineData("not a url")]
    [InlineData("")]
    [InlineData("http://user:secret@127.0.0.1/hook")]
    public async Task Post_RefusedCallbackUrl_Returns400(string url)
    {
        await Problem.AssertAsync(await Doctor.PostAsync("/v1/subscriptions", new { callback_url = url }), 400, "callback_url");
        Assert.Empty((await Doctor.GetJsonAsync("/v1/subscriptions")).GetProperty("subscriptions").EnumerateArray());
    }

    [Theory]
    [InlineData("""{}""", "callback_url")]
    [InlineData("""{"callback_url": 5}""", "callback_url")]
    [InlineData("""{"callback_url": "http://127.0.0.1:9/hook", "secret": "short"}""", "secret")]
    [InlineData("""{"callback_url": "http://127.0.0.1:9/hook", "filter": {"resource_types": ["vm"]}}""", "resource_types")]
    [InlineData("""{"callback_url": "http://127.0.0.1:9/hook", "filter": {"resource_ids": [""]}}""", "resource_ids")]
    [InlineData("""{"callback_url": "http://127.0.0.1:9/hook", "filter": {"resource_ids": "vm-a1"}}""", "resource_ids")]
    [InlineData("""{"callback_url": "http://127.0.0.1:9/hook", "filter": {"min_severity": "fatal"}}""", "min_severity")]
    [InlineData("""{"callback_url": "http://127.0.0.1:9/hook", "filter": {"notification_types": ["email"]}}""", "notification_types")]
    [InlineData("""{"callback_url": "http://127.0.0.1:9/hook", "filter": {"fault_types": [null]}}""", "fault_types")]
    [InlineData("""{"callback_url": "http://127.0.0.1:9/hook", "project_id": ""}""", "project_id")]
    public async Task Post_InvalidInput_Returns400NamingField(string body, string field)
    {
        await Problem.AssertAsync(await Doctor.PostAsync("/v1/subscriptions", body), 400, field);
        Assert.Empty((await Doctor.GetJsonAsync("/v1/subscriptions")).GetProperty("subscriptions").EnumerateArray());
    }

    [Fact]
    public async Task Post_NonJson_Returns415()
    {
        await Problem.AssertAsync(await Doctor.SendAsync(HttpMethod.Post, "/v1/subscriptions", Admin, "callback_url=http://127.0.0.1/", "application/x-www-form-urlencoded"), 415);
    }

    [Fact]
    public async Task GetListDelete_AsProject_SeesOnlyItsOwn()
    {
        await SeedCloudAsync();
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        var beta = await Doctor.CreateTokenAsync("project", Cloud.Beta);
        var alphaSub = await CreateAsync(alpha);
        var betaSub = await CreateAsync(beta);
        var adminSub = await CreateAsync(Admin);

        Assert.Equal([alphaSub], Ids((await Doctor.GetJsonAsync("/v1/subscriptions", alpha)).GetProperty("subscriptions"), "subscription_id"));
        Assert.Equal([betaSub], Ids((await Doctor.GetJsonAsync("/v1/subscriptions", beta)).GetProperty("subscriptions"), "subscription_id"));
        Assert.Equal(new[] { alphaSub, betaSub, adminSub }.Order(StringComparer.Ordinal),
            Ids((await Doctor.GetJsonAsync("/v1/subscriptions")).GetProperty("subscriptions"), "subscription_id").Order(StringComparer.Ordinal));

        var own = await Doctor.GetJsonAsync($"/v1/subscriptions/{alphaSub}", alpha);
        Assert.Equal(alphaSub, own.GetProperty("subscription_id").GetString());
        Assert.Equal(Callback, own.GetProperty("callback_url").GetString());
        Assert.False(own.TryGetProperty("secret", out _));
        Assert.False(own.TryGetProperty("resources", out _));

        await Problem.AssertAsync(await Doctor.GetAsync($"/v1/subscriptions/{betaSub}", alpha), 404);
        await Problem.AssertAsync(await Doctor.GetAsync($"/v1/subscriptions/{adminSub}", alpha), 404);
        await Problem.AssertAsync(await Doctor.GetAsync($"/v1/subscriptions/{betaSub}/deliveries", alpha), 404);
        await Problem.AssertAsync(await Doctor.DeleteAsync($"/v1/subscriptions/{betaSub}", alpha), 404);
        await Doctor.GetJsonAsync($"/v1/subscriptions/{betaSub}", beta); // still there

        Assert.Equal(204, (int)(await Doctor.DeleteAsync($"/v1/subscriptions/{alphaSub}", alpha)).StatusCode);
        await Problem.AssertAsync(await Doctor.GetAsync($"/v1/subscriptions/{alphaSub}", alpha), 404);
        await Problem.AssertAsync(await Doctor.DeleteAsync($"/v1/subscriptions/{alphaSub}", alpha), 404);

        Assert.Equal(204, (int)(await Doctor.DeleteAsync($"/v1/subscriptions/{betaSub}")).StatusCode); // an admin may delete any
        Assert.Equal([adminSub], Ids((await Doctor.GetJsonAsync("/v1/subscriptions")).GetProperty("subscriptions"), "subscription_id"));
    }

    [Fact]
    public async Task Deliveries_OfNewSubscription_IsEmptyList()
    {
        var id = await CreateAsync(Admin);
        var deliveries = await Doctor.GetJsonAsync($"/v1/subscriptions/{id}/deliveries");
        Assert.Empty(deliveries.GetProperty("deliveries").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, deliveries.GetProperty("next").ValueKind);
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/subscriptions/sub-nope/deliveries"), 404);
        await Problem.AssertAsync(await Doctor.GetAsync($"/v1/subscriptions/{id}/deliveries?limit=0"), 400, "limit");
    }

    private async Task<string> CreateAsync(string token)
    {
        var body = await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/subscriptions", new { callback_url = Callback }, token), 201);
        return body.GetProperty("subscription_id").GetString()!;
    }
}
