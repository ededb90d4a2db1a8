using System.Globalization;
using System.Text.Json;
using Doctor.Server.Tests.Infrastructure;
using Doctor.Testing;

namespace Doctor.Server.Tests.Silences;

/// <summary><c>/v1/silences</c> (SPEC §4), on a clock the test moves so that windows and states are exact.</summary>
public sealed class SilenceEndpointsTests : IAsyncLifetime
{
    private const string Admin = DoctorHost.AdminToken;
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly ManualTimeProvider _clock = new(Start);
    private DoctorHost? _doctor;

    private DoctorHost Doctor => _doctor!;

    public async Task InitializeAsync() => _doctor = await DoctorHost.StartAsync(_clock);

    public async Task DisposeAsync()
    {
        if (_doctor is not null)
            await _doctor.DisposeAsync();
    }

    private static string T(DateTimeOffset t) => t.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private async Task<JsonElement> CreateAsync(object body) => await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/silences", body), 201);

    private async Task<string> CreateIdAsync(DateTimeOffset? starts, DateTimeOffset ends, string hostname = "compute-1")
    {
        var body = new Dictionary<string, object> { ["matchers"] = new { hostname }, ["ends_at"] = T(ends) };
        if (starts is { } s)
            body["starts_at"] = T(s);
        return (await CreateAsync(body)).GetProperty("silence_id").GetString()!;
    }

    private async Task<List<string>> ListIdsAsync(string query = "")
    {
        var list = await Doctor.GetJsonAsync("/v1/silences" + query);
        return [.. list.GetProperty("silences").EnumerateArray().Select(s => s.GetProperty("silence_id").GetString()!)];
    }

    [Fact]
    public async Task Post_EveryMatcher_Returns201WithTheSilence()
    {
        var response = await Doctor.PostAsync("/v1/silences", new
        {
            matchers = new { hostname = "compute-*", device_id = "tor-1", resource_id = "vm-a?", fault_type = "network.switch.*" },
            starts_at = "2026-03-01T13:00:00+01:00", // an offset is converted to UTC
            ends_at = T(Start.AddHours(2)),
            comment = "rack 12 re-cabling",
        });
        var body = await DoctorHost.JsonAsync(response, 201);

        var id = body.GetProperty("silence_id").GetString()!;
        Assert.True(Guid.TryParse(id, out _), id);
        Assert.Equal($"/v1/silences/{id}", response.Headers.Location?.ToString());
        var matchers = body.GetProperty("matchers");
        Assert.Equal("compute-*", matchers.GetProperty("hostname").GetString());
        Assert.Equal("tor-1", matchers.GetProperty("device_id").GetString());
        Assert.Equal("vm-a?", matchers.GetProperty("resource_id").GetString());
        Assert.Equal("network.switch.*", matchers.GetProperty("fault_type").GetString());
        Assert.Equal("2026-03-01T12:00:00.0000000Z", body.GetProperty("starts_at").GetString());
        Assert.Equal("2026-03-01T14:00:00.0000000Z", body.GetProperty("ends_at").GetString());
        Assert.Equal("rack 12 re-cabling", body.GetProperty("comment").GetString());
        Assert.Equal("2026-03-01T12:00:00.0000000Z", body.GetProperty("created_at").GetString());
        Assert.Equal("active", body.GetProperty("state").GetString());

        var tokens = await Doctor.GetJsonAsync("/v1/tokens");
        Assert.Equal(tokens.GetProperty("tokens")[0].GetProperty("token_id").GetString(), body.GetProperty("created_by").GetString());
        Assert.Equal(body.GetRawText(), (await Doctor.GetJsonAsync($"/v1/silences/{id}")).GetRawText());
    }

    [Fact]
    public async Task Post_OneMatcherNoStartNoComment_StartsNowAndOmitsUnsetMatchers()
    {
        _clock.Advance(TimeSpan.FromSeconds(1.5));
        var body = await CreateAsync(new { matchers = new { fault_type = "compute.host.down" }, ends_at = T(Start.AddHours(1)) });

        Assert.Equal(T(Start.AddSeconds(1.5)), body.GetProperty("starts_at").GetString());
        Assert.Equal(["fault_type"], body.GetProperty("matchers").EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.Null, body.GetProperty("comment").ValueKind);
        Assert.Equal("active", body.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Get_AsTheClockMoves_StateGoesPendingActiveExpired()
    {
        var id = await CreateIdAsync(Start.AddMinutes(10), Start.AddMinutes(20));

        async Task<string> StateAsync() => (await Doctor.GetJsonAsync($"/v1/silences/{id}")).GetProperty("state").GetString()!;

        Assert.Equal("pending", await StateAsync());
        _clock.Advance(TimeSpan.FromMinutes(10)); // starts_at is inclusive
        Assert.Equal("active", await StateAsync());
        _clock.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromTicks(1));
        Assert.Equal("active", await StateAsync());
        _clock.Advance(TimeSpan.FromTicks(1)); // ends_at is exclusive
        Assert.Equal("expired", await StateAsync());
    }

    [Fact]
    public async Task List_StateFilter_ReturnsOnlyThatState()
    {
        var expiring = await CreateIdAsync(null, Start.AddMinutes(5));
        var active = await CreateIdAsync(null, Start.AddHours(5));
        var pending = await CreateIdAsync(Start.AddHours(1), Start.AddHours(2));
        _clock.Advance(TimeSpan.FromMinutes(30));

        Assert.Equal([expiring, active, pending], await ListIdsAsync());
        Assert.Equal([expiring, active, pending], await ListIdsAsync("?state=all"));
        Assert.Equal([active], await ListIdsAsync("?state=active"));
        Assert.Equal([pending], await ListIdsAsync("?state=pending"));
        Assert.Equal([expiring], await ListIdsAsync("?state=expired"));
        var list = await Doctor.GetJsonAsync("/v1/silences?state=active");
        Assert.Equal("active", list.GetProperty("silences")[0].GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, list.GetProperty("next").ValueKind);
    }

    [Theory]
    [InlineData("?state=bogus", "state")]
    [InlineData("?state=ACTIVE", "state")]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=1001", "limit")]
    public async Task List_InvalidQuery_Returns400NamingIt(string query, string field)
    {
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/silences" + query), 400, field);
    }

    [Fact]
    public async Task List_WithLimit_PagesWithNextInIdOrder()
    {
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
            ids.Add(await CreateIdAsync(null, Start.AddHours(1), $"compute-{i}"));

        var seen = new List<string>();
        string? marker = null;
        do
        {
            var page = await Doctor.GetJsonAsync("/v1/silences?limit=2" + (marker is null ? "" : "&marker=" + marker));
            var items = page.GetProperty("silences").EnumerateArray().Select(s => s.GetProperty("silence_id").GetString()!).ToList();
            Assert.InRange(items.Count, 1, 2);
            seen.AddRange(items);
            marker = page.GetProperty("next").GetString();
        }
        while (marker is not null);

        // Id order, not creation order: two UUIDv7 ids of the same millisecond sort by their random part.
        Assert.Equal(ids.Order(StringComparer.Ordinal), seen);
    }

    [Fact]
    public async Task Delete_ExistingThenAgain_Returns204Then404()
    {
        var id = await CreateIdAsync(null, Start.AddHours(1));
        var other = await CreateIdAsync(null, Start.AddHours(1), "compute-2");

        var first = await Doctor.DeleteAsync($"/v1/silences/{id}");
        Assert.Equal(204, (int)first.StatusCode);
        Assert.Empty(await first.Content.ReadAsByteArrayAsync());

        await Problem.AssertAsync(await Doctor.DeleteAsync($"/v1/silences/{id}"), 404);
        await Problem.AssertAsync(await Doctor.GetAsync($"/v1/silences/{id}"), 404);
        Assert.Equal([other], await ListIdsAsync());
    }

    [Theory]
    [InlineData("no-such-silence")]
    [InlineData("%01")]
    public async Task GetOrDelete_Unknown_Returns404(string id)
    {
        await Problem.AssertAsync(await Doctor.GetAsync($"/v1/silences/{id}"), 404);
        await Problem.AssertAsync(await Doctor.DeleteAsync($"/v1/silences/{id}"), 404);
    }

    [Theory]
    [InlineData("""{"ends_at":"2026-03-02T00:00:00Z"}""", "matchers")]
    [InlineData("""{"matchers":null,"ends_at":"2026-03-02T00:00:00Z"}""", "matchers")]
    [InlineData("""{"matchers":{},"ends_at":"2026-03-02T00:00:00Z"}""", "matchers")]
    [InlineData("""{"matchers":[],"ends_at":"2026-03-02T00:00:00Z"}""", "matchers")]
    [InlineData("""{"matchers":"compute-1","ends_at":"2026-03-02T00:00:00Z"}""", "matchers")]
    [InlineData("""{"matchers":{"host_name":"compute-1"},"ends_at":"2026-03-02T00:00:00Z"}""", "matchers.host_name")]
    [InlineData("""{"matchers":{"hostname":"compute-1","Hostname":"x"},"ends_at":"2026-03-02T00:00:00Z"}""", "matchers.Hostname")]
    [InlineData("""{"matchers":{"hostname":""},"ends_at":"2026-03-02T00:00:00Z"}""", "matchers.hostname")]
    [InlineData("""{"matchers":{"hostname":null},"ends_at":"2026-03-02T00:00:00Z"}""", "matchers.hostname")]
    [InlineData("""{"matchers":{"hostname":7},"ends_at":"2026-03-02T00:00:00Z"}""", "matchers.hostname")]
    [InlineData("""{"matchers":{"device_id":["tor-1"]},"ends_at":"2026-03-02T00:00:00Z"}""", "matchers.device_id")]
    [InlineData("""{"matchers":{"resource_id":"vm\u0000a1"},"ends_at":"2026-03-02T00:00:00Z"}""", "matchers.resource_id")]
    [InlineData("""{"matchers":{"fault_type":"a\nb"},"ends_at":"2026-03-02T00:00:00Z"}""", "matchers.fault_type")]
    [InlineData("""{"matchers":{"hostname":"compute-1"}}""", "ends_at")]
    [InlineData("""{"matchers":{"hostname":"compute-1"},"ends_at":"tomorrow"}""", "ends_at")]
    [InlineData("""{"matchers":{"hostname":"compute-1"},"ends_at":"2026-03-02"}""", "ends_at")]
    [InlineData("""{"matchers":{"hostname":"compute-1"},"ends_at":1772452800}""", "ends_at")]
    [InlineData("""{"matchers":{"hostname":"compute-1"},"starts_at":"yesterday","ends_at":"2026-03-02T00:00:00Z"}""", "starts_at")]
    [InlineData("""{"matchers":{"hostname":"compute-1"},"starts_at":true,"ends_at":"2026-03-02T00:00:00Z"}""", "starts_at")]
    [InlineData("""{"matchers":{"hostname":"compute-1"},"starts_at":"2026-03-03T00:00:00Z","ends_at":"2026-03-02T00:00:00Z"}""", "ends_at")]
    [InlineData("""{"matchers":{"hostname":"compute-1"},"starts_at":"2026-03-02T00:00:00Z","ends_at":"2026-03-02T00:00:00Z"}""", "ends_at")]
    [InlineData("""{"matchers":{"hostname":"compute-1"},"starts_at":"2026-02-01T00:00:00Z","ends_at":"2026-03-01T11:59:59Z"}""", "ends_at")]
    [InlineData("""{"matchers":{"hostname":"compute-1"},"ends_at":"2026-03-01T12:00:00Z"}""", "ends_at")]
    [InlineData("""{"matchers":{"hostname":"compute-1"},"ends_at":"2026-03-02T00:00:00Z","comment":7}""", "comment")]
    [InlineData("""{"matchers":{"hostname":"compute-1"},"ends_at":"2026-03-02T00:00:00Z","comment":"bell\u0007"}""", "comment")]
    public async Task Post_InvalidInput_Returns400NamingField(string body, string field)
    {
        await Problem.AssertAsync(await Doctor.PostAsync("/v1/silences", body), 400, field);

        Assert.Empty(await ListIdsAsync());
    }

    [Theory]
    [InlineData("hostname", 256)]
    [InlineData("fault_type", 256)]
    public async Task Post_MatcherTooLong_Returns400(string matcher, int length)
    {
        var body = new Dictionary<string, object>
        {
            ["matchers"] = new Dictionary<string, string> { [matcher] = new('x', length) }, ["ends_at"] = T(Start.AddHours(1)),
        };

        await Problem.AssertAsync(await Doctor.PostAsync("/v1/silences", body), 400, "matchers." + matcher);
    }

    [Fact]
    public async Task Post_Comment_UpTo1024CharactersWithLineBreaks()
    {
        var longest = string.Concat(Enumerable.Repeat("ab\n", 341)) + "c"; // 1024
        var body = await CreateAsync(new { matchers = new { hostname = "h" }, ends_at = T(Start.AddHours(1)), comment = longest });
        Assert.Equal(longest, body.GetProperty("comment").GetString());

        await Problem.AssertAsync(
            await Doctor.PostAsync("/v1/silences", new { matchers = new { hostname = "h" }, ends_at = T(Start.AddHours(1)), comment = longest + "d" }), 400, "comment");
    }

    [Fact]
    public async Task Post_NonJsonBody_Returns415()
    {
        var response = await Doctor.SendAsync(HttpMethod.Post, "/v1/silences", Admin, "matchers=x", contentType: "application/x-www-form-urlencoded");
        await Problem.AssertAsync(response, 415);
    }

    [Theory]
    [InlineData("monitor", null)]
    [InlineData("project", Cloud.Alpha)]
    public async Task AnyEndpoint_NonAdmin_Returns403(string role, string? project)
    {
        var id = await CreateIdAsync(null, Start.AddHours(1));
        var token = await Doctor.CreateTokenAsync(role, project);

        await Problem.AssertAsync(await Doctor.PostAsync("/v1/silences", new { matchers = new { hostname = "h" }, ends_at = T(Start.AddHours(1)) }, token), 403);
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/silences", token), 403);
        await Problem.AssertAsync(await Doctor.GetAsync($"/v1/silences/{id}", token), 403);
        await Problem.AssertAsync(await Doctor.DeleteAsync($"/v1/silences/{id}", token), 403);
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/silences", token: null), 401);

        Assert.Equal([id], await ListIdsAsync());
    }

    [Fact]
    public async Task Restart_SameDataDir_KeepsSilencesAndDeletions()
    {
        var kept = await CreateAsync(new
        {
            matchers = new { hostname = "compute-*", fault_type = "compute.host.down" },
            starts_at = T(Start.AddMinutes(5)), ends_at = T(Start.AddHours(1)), comment = "kept",
        });
        var deleted = await CreateIdAsync(null, Start.AddHours(1), "compute-2");
        Assert.Equal(204, (int)(await Doctor.DeleteAsync($"/v1/silences/{deleted}")).StatusCode);

        await Doctor.RestartAsync();

        var list = await Doctor.GetJsonAsync("/v1/silences");
        var only = Assert.Single(list.GetProperty("silences").EnumerateArray());
        Assert.Equal(kept.GetRawText(), only.GetRawText());
        await Problem.AssertAsync(await Doctor.GetAsync($"/v1/silences/{deleted}"), 404);
    }
}

/// <summary>The cap on stored silences (<c>Doctor:MaxSilences</c>).</summary>
public sealed class SilenceLimitTests
{
    [Fact]
    public async Task Post_BeyondMaxSilences_Returns409UntilOneIsDeleted()
    {
        await using var doctor = await DoctorHost.StartAsync(configure: o => o.MaxSilences = 2);
        var ends = DateTimeOffset.UtcNow.AddHours(1).ToString("O", CultureInfo.InvariantCulture);
        object Body(string host) => new { matchers = new { hostname = host }, ends_at = ends };
        var first = await DoctorHost.JsonAsync(await doctor.PostAsync("/v1/silences", Body("a")), 201);
        await DoctorHost.JsonAsync(await doctor.PostAsync("/v1/silences", Body("b")), 201);

        var refused = await Problem.AssertAsync(await doctor.PostAsync("/v1/silences", Body("c")), 409);
        Assert.Contains("2 silences", refused.GetProperty("detail").GetString());

        Assert.Equal(204, (int)(await doctor.DeleteAsync($"/v1/silences/{first.GetProperty("silence_id").GetString()}")).StatusCode);
        await DoctorHost.JsonAsync(await doctor.PostAsync("/v1/silences", Body("c")), 201);
        var list = await doctor.GetJsonAsync("/v1/silences");
        Assert.Equal(2, list.GetProperty("silences").GetArrayLength());
    }
}
