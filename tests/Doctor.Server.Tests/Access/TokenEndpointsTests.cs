using System.Text.Json;
using Doctor.Server.Tests.Infrastructure;

namespace Doctor.Server.Tests.Access;

/// <summary><c>/v1/tokens</c> (SPEC §1).</summary>
public sealed class TokenEndpointsTests : ApiTest
{
    [Fact]
    public async Task Post_ProjectToken_Returns201WithSecretOnce()
    {
        var response = await Doctor.PostAsync("/v1/tokens", new { role = "project", project_id = Cloud.Alpha });
        var body = await DoctorHost.JsonAsync(response, 201);

        var tokenId = body.GetProperty("token_id").GetString()!;
        Assert.False(string.IsNullOrEmpty(tokenId));
        Assert.False(string.IsNullOrEmpty(body.GetProperty("token").GetString()));
        Assert.Equal("project", body.GetProperty("role").GetString());
        Assert.Equal(Cloud.Alpha, body.GetProperty("project_id").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("expires_at").ValueKind);
        Assert.Equal($"/v1/tokens/{tokenId}", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task Post_MonitorToken_CanPostEvents()
    {
        var body = await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/tokens", new { role = "monitor" }), 201);
        Assert.Equal("monitor", body.GetProperty("role").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("project_id").ValueKind);

        var secret = body.GetProperty("token").GetString()!;
        var response = await Doctor.SendAsync(HttpMethod.Post, "/v1/events", secret,
            new { time = DoctorHost.Now(), type = "compute.host.down", details = new { hostname = "nowhere" } }, openStackHeader: true);
        await DoctorHost.JsonAsync(response, 202);
    }

    [Fact]
    public async Task Post_WithExpiry_ReturnsExpiresAtInUtc()
    {
        var expires = DateTimeOffset.UtcNow.AddDays(1);
        var local = expires.ToOffset(TimeSpan.FromHours(2)).ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", System.Globalization.CultureInfo.InvariantCulture);
        var body = await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/tokens", new { role = "admin", expires_at = local }), 201);

        var text = body.GetProperty("expires_at").GetString()!;
        Assert.EndsWith("Z", text);
        var parsed = DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True((parsed - expires).Duration() < TimeSpan.FromMilliseconds(1), $"{parsed:O} vs {expires:O}");
    }

    [Theory]
    [InlineData("""{"role": "root"}""", "role")]
    [InlineData("""{"project_id": "proj-alpha"}""", "role")]
    [InlineData("""{"role": 1}""", "role")]
    [InlineData("""{"role": "project"}""", "project_id")]
    [InlineData("""{"role": "monitor", "project_id": "proj-alpha"}""", "project_id")]
    [InlineData("""{"role": "project", "project_id": ""}""", "project_id")]
    [InlineData("""{"role": "admin", "expires_at": "tomorrow"}""", "expires_at")]
    public async Task Post_InvalidInput_Returns400NamingField(string body, string field)
    {
        await Problem.AssertAsync(await Doctor.PostAsync("/v1/tokens", body), 400, field);

        var list = await Doctor.GetJsonAsync("/v1/tokens");
        Assert.Single(list.GetProperty("tokens").EnumerateArray());
    }

    [Fact]
    public async Task Post_NonJsonBody_Returns415()
    {
        var response = await Doctor.SendAsync(HttpMethod.Post, "/v1/tokens", Admin, "role=admin", contentType: "application/x-www-form-urlencoded");
        await Problem.AssertAsync(response, 415);
    }

    [Fact]
    public async Task List_ReturnsTokensWithoutSecrets()
    {
        var secrets = new List<string>();
        var ids = new List<string>();
        foreach (var (role, project) in new[] { ("monitor", (string?)null), ("project", Cloud.Alpha), ("admin", null) })
        {
            var body = await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/tokens", new { role, project_id = project }), 201);
            secrets.Add(body.GetProperty("token").GetString()!);
            ids.Add(body.GetProperty("token_id").GetString()!);
        }

        var response = await Doctor.GetAsync("/v1/tokens");
        var text = await response.Content.ReadAsStringAsync();
        var list = await DoctorHost.JsonAsync(response, 200);

        var tokens = list.GetProperty("tokens").EnumerateArray().ToList();
        Assert.Equal(4, tokens.Count); // three new ones and the bootstrap admin
        Assert.Superset(ids.ToHashSet(), tokens.Select(t => t.GetProperty("token_id").GetString()!).ToHashSet());
        Assert.Equal(JsonValueKind.Null, list.GetProperty("next").ValueKind);
        foreach (var token in tokens)
        {
            Assert.False(token.TryGetProperty("token", out _), "a listed token carries its secret");
            Assert.False(token.TryGetProperty("hash", out _), "a listed token carries its hash");
            Assert.True(token.TryGetProperty("role", out _));
        }

        foreach (var secret in secrets.Append(Admin))
            Assert.DoesNotContain(secret, text);
        Assert.DoesNotContain(global::Doctor.Access.TokenSecrets.HashOf(Admin), text);
    }

    [Fact]
    public async Task List_WithLimit_PagesWithNext()
    {
        for (var i = 0; i < 3; i++)
            await Doctor.CreateTokenAsync("monitor");

        var seen = new List<string>();
        string? marker = null;
        do
        {
            var page = await Doctor.GetJsonAsync("/v1/tokens?limit=3" + (marker is null ? "" : "&marker=" + marker));
            var items = page.GetProperty("tokens").EnumerateArray().Select(t => t.GetProperty("token_id").GetString()!).ToList();
            Assert.InRange(items.Count, 1, 3);
            seen.AddRange(items);
            marker = page.GetProperty("next").GetString();
        }
        while (marker is not null);

        Assert.Equal(4, seen.Count);
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    [Fact]
    public async Task Delete_ExistingThenAgain_Returns204Then404()
    {
        var body = await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/tokens", new { role = "monitor" }), 201);
        var id = body.GetProperty("token_id").GetString()!;

        var first = await Doctor.DeleteAsync($"/v1/tokens/{id}");
        Assert.Equal(204, (int)first.StatusCode);
        Assert.Empty(await first.Content.ReadAsByteArrayAsync());

        await Problem.AssertAsync(await Doctor.DeleteAsync($"/v1/tokens/{id}"), 404);
        await Problem.AssertAsync(await Doctor.GetAsync($"/v1/tokens/{id}"), 404);
        var list = await Doctor.GetJsonAsync("/v1/tokens");
        Assert.DoesNotContain(id, list.GetProperty("tokens").EnumerateArray().Select(t => t.GetProperty("token_id").GetString()));
    }

    [Fact]
    public async Task Delete_Unknown_Returns404()
    {
        await Problem.AssertAsync(await Doctor.DeleteAsync("/v1/tokens/no-such-token"), 404);
    }
}
