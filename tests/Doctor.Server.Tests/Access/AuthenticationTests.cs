using Doctor.Server.Tests.Infrastructure;

namespace Doctor.Server.Tests.Access;

/// <summary>Credentials (SPEC §1): Bearer and X-Auth-Token, 401 for missing/unknown/revoked/expired, 403 for a known role without the right.</summary>
public sealed class AuthenticationTests : ApiTest
{
    [Fact]
    public async Task Healthz_WithoutToken_Returns200()
    {
        var body = await DoctorHost.JsonAsync(await Doctor.GetAsync("/healthz", token: null), 200);
        Assert.Equal("ok", body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Healthz_WithUnknownToken_Returns200()
    {
        await DoctorHost.JsonAsync(await Doctor.GetAsync("/healthz", token: "dr_not-a-token-anyone-issued"), 200);
    }

    [Fact]
    public async Task Get_WithoutToken_Returns401Problem()
    {
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/hosts", token: null), 401);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Get_WithUnknownToken_Returns401Problem(bool openStackHeader)
    {
        var response = await Doctor.SendAsync(HttpMethod.Get, "/v1/hosts", "dr_not-a-token-anyone-issued", openStackHeader: openStackHeader);
        await Problem.AssertAsync(response, 401);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Get_WithAdminToken_Returns200(bool openStackHeader)
    {
        var response = await Doctor.SendAsync(HttpMethod.Get, "/v1/hosts", Admin, openStackHeader: openStackHeader);
        var body = await DoctorHost.JsonAsync(response, 200);
        Assert.Equal(System.Text.Json.JsonValueKind.Array, body.GetProperty("hosts").ValueKind);
    }

    [Fact]
    public async Task Get_WithBasicAuthorization_Returns401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/hosts");
        request.Headers.TryAddWithoutValidation("Authorization", "Basic " + Convert.ToBase64String("admin:admin"u8.ToArray()));
        await Problem.AssertAsync(await Doctor.Client.SendAsync(request), 401);
    }

    [Fact]
    public async Task Get_WithEmptyBearer_Returns401()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/hosts");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer ");
        await Problem.AssertAsync(await Doctor.Client.SendAsync(request), 401);
    }

    [Theory]
    [InlineData("GET", "/v1/hosts")]
    [InlineData("GET", "/v1/hosts/compute-zulu-1")]
    [InlineData("POST", "/v1/hosts/compute-zulu-1/state")]
    [InlineData("GET", "/v1/devices")]
    [InlineData("PUT", "/v1/devices/tor-1")]
    [InlineData("GET", "/v1/tokens")]
    [InlineData("POST", "/v1/tokens")]
    [InlineData("PUT", "/v1/servers/vm-a1")]
    [InlineData("POST", "/v1/inventory")]
    [InlineData("GET", "/v1/events")]
    [InlineData("GET", "/v1/subscriptions")]
    [InlineData("GET", "/v1/servers")]
    public async Task AdminEndpoints_WithMonitorToken_Return403(string method, string path)
    {
        var monitor = await Doctor.CreateTokenAsync("monitor");
        var response = await Doctor.SendAsync(new HttpMethod(method), path, monitor, method is "GET" ? null : "{}");
        await Problem.AssertAsync(response, 403, "monitor");
    }

    [Theory]
    [InlineData("GET", "/v1/hosts")]
    [InlineData("GET", "/v1/hosts/compute-zulu-1")]
    [InlineData("PUT", "/v1/hosts/compute-zulu-9")]
    [InlineData("DELETE", "/v1/hosts/compute-zulu-3")]
    [InlineData("GET", "/v1/devices")]
    [InlineData("GET", "/v1/devices/tor-1")]
    [InlineData("PUT", "/v1/devices/tor-1")]
    [InlineData("DELETE", "/v1/devices/tor-1")]
    [InlineData("GET", "/v1/tokens")]
    [InlineData("POST", "/v1/tokens")]
    [InlineData("DELETE", "/v1/tokens/admin-bootstrap")]
    [InlineData("POST", "/v1/events")]
    public async Task HostsAndTokens_WithProjectToken_Return403(string method, string path)
    {
        await SeedCloudAsync();
        var project = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        var response = await Doctor.SendAsync(new HttpMethod(method), path, project, method is "GET" or "DELETE" ? null : """{"role":"admin"}""");
        await Problem.AssertAsync(response, 403, "project");
        // and nothing happened: the admin still works, the host is still there
        await Doctor.GetJsonAsync($"/v1/hosts/{Cloud.Host3}");
    }

    [Fact]
    public async Task Revoke_Token_Returns401AtOnce()
    {
        await SeedCloudAsync();
        var created = await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/tokens", new { role = "project", project_id = Cloud.Alpha }), 201);
        var secret = created.GetProperty("token").GetString()!;
        var tokenId = created.GetProperty("token_id").GetString()!;
        await DoctorHost.JsonAsync(await Doctor.GetAsync("/v1/servers", secret), 200);

        Assert.Equal(204, (int)(await Doctor.DeleteAsync($"/v1/tokens/{tokenId}")).StatusCode);

        await Problem.AssertAsync(await Doctor.GetAsync("/v1/servers", secret), 401);
        await Problem.AssertAsync(await Doctor.SendAsync(HttpMethod.Get, "/v1/servers", secret, openStackHeader: true), 401);
    }

    [Fact]
    public async Task Create_WithPastExpiry_Returns400NamingExpiresAt()
    {
        var response = await Doctor.PostAsync("/v1/tokens", new { role = "monitor", expires_at = "2020-01-01T00:00:00Z" });
        await Problem.AssertAsync(response, 400, "expires_at");
        var list = await Doctor.GetJsonAsync("/v1/tokens");
        Assert.Single(list.GetProperty("tokens").EnumerateArray()); // only the bootstrap admin
    }
}
