using Doctor.Testing;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Doctor.Server.Tests.Infrastructure;
using Doctor.Testing.Properties;
using Xunit.Abstractions;

namespace Doctor.Server.Tests.Hostile;

/// <summary>
/// A bounded random fuzz loop against the in-process service: mutated valid requests (bodies, paths, query strings,
/// credentials, content types) from a fixed seed. No answer may be a 5xx or a connection failure; every 4xx is a
/// problem+json; afterwards the service is healthy, every listed resource can be read, each project sees exactly its
/// own, and a restart on the same data directory shows exactly the same state (what was answered was also stored).
/// </summary>
[Collection(LoadHeavy.Name)]
public sealed class FuzzLoopTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>Requests per run (DOCTOR_FUZZ_REQUESTS overrides it).</summary>
    public const int DefaultRequests = 100_000;

    /// <summary>Concurrent senders: the engine and the store batch concurrent work, as they do in production.</summary>
    private const int Workers = 4;

    /// <summary>A safety stop, not a pass criterion: a run that reaches it says so and checks what it sent.</summary>
    private static readonly TimeSpan TimeBound = TimeSpan.FromSeconds(120);

    private FuzzHost? _host;
    private string _monitor = "";
    private string _alpha = "";
    private string _beta = "";
    private readonly Dictionary<string, string> _ids = new(StringComparer.Ordinal);

    private FuzzHost Host => _host!;

    public async Task InitializeAsync()
    {
        _host = await FuzzHost.StartAsync();
        await ExpectAsync(HttpMethod.Post, "/v1/inventory", FuzzHost.AdminToken, Cloud.Inventory, 200);
        _monitor = (await ExpectAsync(HttpMethod.Post, "/v1/tokens", FuzzHost.AdminToken, """{"role":"monitor"}""", 201)).GetProperty("token").GetString()!;
        _alpha = (await ExpectAsync(HttpMethod.Post, "/v1/tokens", FuzzHost.AdminToken, """{"role":"project","project_id":"proj-alpha"}""", 201)).GetProperty("token").GetString()!;
        _beta = (await ExpectAsync(HttpMethod.Post, "/v1/tokens", FuzzHost.AdminToken, """{"role":"project","project_id":"proj-beta"}""", 201)).GetProperty("token").GetString()!;
        _ids["{alpha-subscription}"] = (await ExpectAsync(HttpMethod.Post, "/v1/subscriptions", _alpha, """{"callback_url":"http://127.0.0.1:9/alpha"}""", 201))
            .GetProperty("subscription_id").GetString()!;
        await ExpectAsync(HttpMethod.Post, "/v1/subscriptions", FuzzHost.AdminToken, """{"callback_url":"http://127.0.0.1:9/admin"}""", 201);
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
            await _host.DisposeAsync();
    }

    [Fact]
    public async Task MutatedRequests_NeverFailTheServiceNorCorruptItsState()
    {
        var seed = (int)(PropertySeed.FromEnvironment() % int.MaxValue);
        var requests = int.TryParse(Environment.GetEnvironmentVariable("DOCTOR_FUZZ_REQUESTS"), out var n) && n > 0 ? n : DefaultRequests;
        output.WriteLine($"fuzz seed {seed} ({PropertySeed.Variable} replays it), {requests} requests, {Workers} senders");

        var seeds = Seeds();
        string?[] tokens = [FuzzHost.AdminToken, _monitor, _alpha, _beta, null, "dr_unknown", "", new string('t', 600), FuzzHost.AdminToken + " ", "Bearer x"];
        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        var sent = 0;
        var unsendable = 0;
        var clock = Stopwatch.StartNew();

        async Task Sender(int worker)
        {
            var random = new Random(seed * 31 + worker);
            for (var i = worker; i < requests; i += Workers)
            {
                if (clock.Elapsed > TimeBound || failures.Count >= 25)
                    return;
                var original = seeds[random.Next(seeds.Count)];
                var request = random.Next(10) == 0 ? original : Mutator.Mutate(random, original, tokens, seeds);
                HttpRequestMessage message;
                try
                {
                    message = Build(request);
                }
                catch (Exception ex) when (ex is UriFormatException or FormatException)
                {
                    Interlocked.Increment(ref unsendable); // the client cannot express it; nothing reached the service
                    continue;
                }

                using (message)
                {
                    try
                    {
                        using var response = await Host.Client.SendAsync(message);
                        var status = (int)response.StatusCode;
                        statuses.AddOrUpdate(status, 1, (_, c) => c + 1);
                        if (status >= 500)
                            failures.Enqueue($"#{i} answered {status}: {request} -> {await response.Content.ReadAsStringAsync()}");
                        else if (status >= 400 && await ProblemDefect(response) is { } defect)
                            failures.Enqueue($"#{i} answered {status} without a proper problem ({defect}): {request}");
                    }
                    catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidOperationException)
                    {
                        failures.Enqueue($"#{i} failed in the service ({ex.GetType().Name}: {ex.Message}): {request}");
                    }
                }

                Interlocked.Increment(ref sent);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(() => Sender(w))));
        var loop = clock.Elapsed;
        output.WriteLine($"{sent} requests sent in {loop.TotalSeconds:0.0} s ({sent / loop.TotalSeconds:0} per second), {unsendable} not expressible by the client" +
                         (sent + unsendable < requests && failures.IsEmpty ? $"; stopped by the {TimeBound.TotalSeconds:0} s bound" : ""));
        output.WriteLine("statuses: " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}×{s.Value}")));
        output.WriteLine($"{Host.Deliveries} webhook deliveries (answered in process, none sent)");
        Assert.True(failures.IsEmpty, $"{failures.Count} failing requests (seed {seed}):\n" + string.Join("\n", failures));

        // Everything the loop accepted is applied before the state is examined: the engine works in log order.
        await ExpectAsync(HttpMethod.Post, "/v1/events", _monitor, $$$"""{"id":"fz-final","time":"{{{DoctorHost.Now()}}}","type":"compute.host.up","details":{"hostname":"compute-zulu-3"}}""", 202);
        await Eventually.TrueAsync(async () => (await GetAsync("/v1/events/fz-final", FuzzHost.AdminToken)).GetProperty("status").GetString() != "pending",
            "the last event to be processed", TimeSpan.FromSeconds(60));

        var before = await AssertConsistentAsync();
        await Host.RestartAsync();
        var after = await AssertConsistentAsync();
        Assert.True(before == after, "the state after a restart differs from the state the service answered before it");
        output.WriteLine($"state checked and equal after a restart; whole test {clock.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>
    /// Healthy, every list pages without repeats in a stable order, every listed item reads back the same, and each
    /// project sees exactly its own servers and ports. Returns the admin's view of everything, to compare across a restart.
    /// </summary>
    private async Task<string> AssertConsistentAsync()
    {
        var health = await Host.Client.GetAsync("/healthz");
        Assert.Equal(200, (int)health.StatusCode);
        var snapshot = new StringBuilder(await health.Content.ReadAsStringAsync()).AppendLine();
        (string List, string Plural, string Key, string? Item)[] lists =
        [
            ("/v1/hosts", "hosts", "name", "/v1/hosts/"), ("/v1/devices", "devices", "id", "/v1/devices/"), ("/v1/servers", "servers", "id", "/v1/servers/"), ("/v1/ports", "ports", "id", "/v1/ports/"),
            ("/v1/tokens", "tokens", "token_id", "/v1/tokens/"), ("/v1/subscriptions", "subscriptions", "subscription_id", "/v1/subscriptions/"),
            ("/v1/faults?state=all", "faults", "fault_id", "/v1/faults/"), ("/v1/events", "events", "id", null),
        ];
        var servers = new List<JsonElement>();
        var ports = new List<JsonElement>();
        foreach (var (list, plural, key, item) in lists)
        {
            var items = await AllAsync(list, plural, FuzzHost.AdminToken);
            var keys = items.Select(i => i.GetProperty(key).GetString()!).ToList();
            Assert.True(keys.Distinct(StringComparer.Ordinal).Count() == keys.Count, $"{list} repeats an item across pages");
            if (plural != "events") // events page in log order, the others in key order
                Assert.True(keys.SequenceEqual(keys.Order(StringComparer.Ordinal)), $"{list} is not in key order");
            if (item is not null)
            {
                foreach (var listed in items)
                {
                    var read = await GetAsync(item + Uri.EscapeDataString(listed.GetProperty(key).GetString()!), FuzzHost.AdminToken);
                    Assert.Equal(listed.GetRawText(), read.GetRawText());
                }
            }

            if (plural == "servers")
                servers = items;
            if (plural == "ports")
                ports = items;
            foreach (var i in items)
                snapshot.AppendLine(i.GetRawText());
        }

        foreach (var (project, token) in new[] { ("proj-alpha", _alpha), ("proj-beta", _beta) })
        {
            foreach (var (plural, all) in new[] { ("servers", servers), ("ports", ports) })
            {
                var own = all.Where(s => s.GetProperty("project_id").ValueKind == JsonValueKind.String && s.GetProperty("project_id").GetString() == project)
                    .Select(s => s.GetProperty("id").GetString()!).ToList();
                var seen = (await AllAsync("/v1/" + plural, plural, token)).Select(s => s.GetProperty("id").GetString()!).ToList();
                Assert.Equal(own, seen);
                foreach (var id in seen)
                    Assert.Equal(project, (await GetAsync($"/v1/{plural}/{Uri.EscapeDataString(id)}", token)).GetProperty("project_id").GetString());
            }
        }

        return snapshot.ToString();
    }

    private async Task<List<JsonElement>> AllAsync(string path, string plural, string token)
    {
        var items = new List<JsonElement>();
        string? marker = null;
        do
        {
            var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            var page = await GetAsync($"{path}{separator}limit=1000" + (marker is null ? "" : "&marker=" + Uri.EscapeDataString(marker)), token);
            items.AddRange(page.GetProperty(plural).EnumerateArray());
            marker = page.GetProperty("next").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next").GetString();
        }
        while (marker is not null);

        return items;
    }

    private async Task<JsonElement> GetAsync(string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await Host.Client.SendAsync(request);
        return await DoctorHost.JsonAsync(response, 200);
    }

    private async Task<JsonElement> ExpectAsync(HttpMethod method, string path, string token, string body, int status)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await Host.Client.SendAsync(request);
        return await DoctorHost.JsonAsync(response, status);
    }

    private HttpRequestMessage Build(FuzzRequest request)
    {
        var path = _ids.Aggregate(request.Path, (p, id) => p.Replace(id.Key, id.Value, StringComparison.Ordinal));
        var message = new HttpRequestMessage(request.Method, new Uri("http://localhost" + path + request.Query));
        if (request.Token is not null)
        {
            if (request.OpenStackHeader)
                message.Headers.TryAddWithoutValidation("X-Auth-Token", request.Token);
            else
                message.Headers.TryAddWithoutValidation("Authorization", "Bearer " + request.Token);
        }

        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            if (request.ContentType is not null)
                message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
        }

        return message;
    }

    /// <summary>Why a 4xx answer is not the problem+json of SPEC §1, or null when it is.</summary>
    private static async Task<string?> ProblemDefect(HttpResponseMessage response)
    {
        if (response.Content.Headers.ContentType?.MediaType != "application/problem+json")
            return $"content type {response.Content.Headers.ContentType?.MediaType ?? "none"}";
        try
        {
            using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
            var root = document.RootElement;
            if (!root.TryGetProperty("status", out var status) || status.GetInt32() != (int)response.StatusCode)
                return "status missing or different";
            if (!root.TryGetProperty("title", out var title) || string.IsNullOrWhiteSpace(title.GetString()))
                return "no title";
            if (!root.TryGetProperty("detail", out var detail) || string.IsNullOrWhiteSpace(detail.GetString()))
                return "no detail";
            return null;
        }
        catch (JsonException ex)
        {
            return "not JSON: " + ex.Message;
        }
    }

    /// <summary>Valid requests over every endpoint that takes input; the loop mutates them.</summary>
    private List<FuzzRequest> Seeds()
    {
        const string json = "application/json";
        var t = DoctorHost.Now();
        FuzzRequest Body(HttpMethod method, string path, string? token, string body) => new(method, path, "", token, false, json, Encoding.UTF8.GetBytes(body));
        FuzzRequest Get(string path, string query, string? token) => new(HttpMethod.Get, path, query, token, false, null, null);
        var admin = FuzzHost.AdminToken;
        return
        [
            Body(HttpMethod.Post, "/v1/events", _monitor, $$$"""{"id":"fz-1","time":"{{{t}}}","type":"compute.host.down","details":{"hostname":"compute-zulu-1","source":"ipmi","severity":"major"}}"""),
            Body(HttpMethod.Post, "/v1/events", _monitor, $$$"""{"events":[{"time":"{{{t}}}","type":"compute.host.up","details":{"hostname":"compute-zulu-1"}},{"time":"{{{t}}}","type":"compute.host.nic.down","details":{"hostname":"compute-zulu-2","nic":"eth1","monitor_id":"m1","monitor_event_id":"7"}}]}"""),
            Body(HttpMethod.Post, "/v1/events", admin, $$$"""[{"time":"{{{t}}}","type":"compute.instance.down","details":{"server_id":"vm-a1","related_to":["x","y"]}},{"time":"{{{t}}}","type":"compute.instance.up","details":{"server_id":"vm-a1"}}]"""),
            Body(HttpMethod.Put, "/events", _monitor, $$$$"""{"event":{"time":"{{{{t}}}}","type":"compute.host.nic.up","details":{"hostname":"compute-zulu-2"}}}"""),
            Body(HttpMethod.Post, "/v1/hosts/compute-zulu-2/state", admin, """{"forced_down":true,"reason":"fuzz"}"""),
            Body(HttpMethod.Post, "/v1/hosts/compute-zulu-2/state", admin, """{"forced_down":false,"status":"enabled"}"""),
            Body(HttpMethod.Put, "/v1/hosts/fz-host-1", admin, """{"name":"fz-host-1","zone":"zone-a","status":"enabled","state":"up","forced_down":false,"firmware_version":"1.2","metadata":{"rack":"r1"}}"""),
            Body(HttpMethod.Put, "/v1/servers/fz-vm-1", admin, """{"id":"fz-vm-1","name":"n","project_id":"proj-alpha","host":"fz-host-1","state":"normal","group_id":"g","metadata":{"k":"v"}}"""),
            Body(HttpMethod.Put, "/v1/ports/fz-port-1", admin, """{"id":"fz-port-1","server_id":"fz-vm-1","project_id":"proj-alpha","host":"fz-host-1","network_id":"net-1","status":"ACTIVE","data_plane_status":"DOWN"}"""),
            Body(HttpMethod.Post, "/v1/inventory", admin, """{"hosts":[{"name":"fz-h2","zone":"zone-b"}],"servers":[{"id":"fz-vm-2","project_id":"proj-beta","host":"fz-h2","state":"error"}],"ports":[{"id":"fz-p2","server_id":"fz-vm-2"}]}"""),
            Body(HttpMethod.Put, "/v1/devices/fz-tor-1", admin, """{"id":"fz-tor-1","kind":"switch","zone":"zone-a","feeds":["fz-host-1","compute-zulu-1"],"state":"up","metadata":{"rack":"r1"}}"""),
            Body(HttpMethod.Post, "/v1/inventory", admin, """{"hosts":[{"name":"fz-h3"}],"devices":[{"id":"fz-pdu-1","kind":"pdu","feeds":["fz-tor-1","fz-h3"],"state":"down"}]}"""),
            Body(HttpMethod.Post, "/v1/inventory", admin, Cloud.Inventory), // brings the fault targets back after a mutated ?replace=true
            Body(HttpMethod.Post, "/v1/tokens", admin, """{"role":"project","project_id":"proj-alpha","expires_at":"2030-01-01T00:00:00Z"}"""),
            Body(HttpMethod.Post, "/v1/subscriptions", _alpha, """{"callback_url":"http://127.0.0.1:9/fz","secret":"0123456789abcdef0123","filter":{"resource_types":["server","port"],"resource_ids":["vm-a1"],"fault_types":["compute.*"],"min_severity":"major","notification_types":["fault","fault_cleared"]}}"""),
            Body(HttpMethod.Post, "/v1/subscriptions", admin, """{"callback_url":"https://consumer.invalid/hook","project_id":"proj-beta","filter":{"resource_types":["host"]}}"""),
            Get("/v1/servers", "?host=compute-zulu-1&project_id=proj-alpha&state=normal&limit=5&marker=vm-a1", admin),
            Get("/v1/servers", "?state=error&limit=3", _alpha),
            Get("/v1/ports", "?server_id=vm-a1&limit=2", _alpha),
            Get("/v1/ports", "?host=compute-zulu-1&project_id=proj-beta", admin),
            Get("/v1/hosts", "?state=up&zone=zone-a&maintenance=false&limit=2", admin),
            Get("/v1/devices", "?kind=switch&zone=zone-a&state=up&feeds=compute-zulu-1&limit=2&marker=fz-a", admin),
            Get("/v1/faults", "?state=all&resource_type=server&resource_id=vm-a1&fault_type=compute.*&min_severity=minor&since=2026-01-01T00:00:00Z&until=2030-01-01T00:00:00Z&limit=10", _alpha),
            Get("/v1/faults", "?state=active&limit=5&marker=flt-0", admin),
            Get("/v1/events", "?type=compute.host.down&since=2026-01-01T00:00:00Z&limit=3", admin),
            Get("/v1/tokens", "?limit=2", admin),
            Get("/v1/subscriptions", "?limit=2", _beta),
            Get("/v1/servers/vm-a1", "", _alpha),
            Get("/v1/ports/port-b1", "", _beta),
            Get("/v1/events/fz-1", "", admin),
            Get("/v1/faults/flt-000000000001-000000", "", _alpha),
            Get("/v1/subscriptions/{alpha-subscription}/deliveries", "?limit=5", _alpha),
            new(HttpMethod.Post, "/v1/subscriptions/{alpha-subscription}/deliveries/n-1/redeliver", "", _alpha, false, null, null),
            new(HttpMethod.Delete, "/v1/servers/fz-vm-1", "", admin, false, null, null),
            new(HttpMethod.Delete, "/v1/ports/fz-port-1", "", admin, false, null, null),
            new(HttpMethod.Delete, "/v1/hosts/fz-host-1", "", admin, false, null, null),
            new(HttpMethod.Delete, "/v1/devices/fz-tor-1", "", admin, false, null, null),
            Get("/v1/devices/fz-pdu-1", "", admin),
            new(HttpMethod.Delete, "/v1/subscriptions/no-such-subscription", "", _alpha, false, null, null),
            new(HttpMethod.Delete, "/v1/tokens/no-such-token", "", admin, false, null, null),
        ];
    }
}
