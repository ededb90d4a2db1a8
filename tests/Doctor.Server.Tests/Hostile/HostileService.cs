using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Doctor.Server.Tests.Infrastructure;

namespace Doctor.Server.Tests.Hostile;

/// <summary>
/// One service for a whole hostile suite: the shared cloud, a monitor and a project token, subscriptions of two
/// projects, one device, one fault, one silence and some events, so that every list has something in it to lose or leak.
/// </summary>
public sealed class HostileService : IAsyncLifetime
{
    private DoctorHost? _doctor;

    public DoctorHost Doctor => _doctor ?? throw new InvalidOperationException("the service is not started");

    public string MonitorToken { get; private set; } = "";
    public string AlphaToken { get; private set; } = "";

    /// <summary>Placeholders of catalog paths: <c>{subscription}</c>, <c>{beta-subscription}</c>, <c>{fault}</c>, <c>{silence}</c>.</summary>
    public Dictionary<string, string> Ids { get; } = new(StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        _doctor = await DoctorHost.StartAsync(configure: NoRateLimits);
        await Doctor.ImportAsync(Cloud.Inventory);
        await DoctorHost.JsonAsync(await Doctor.PutAsync("/v1/devices/tor-zulu-1", new { kind = "switch", zone = "zone-a", feeds = new[] { Cloud.Host1, Cloud.Host3 } }), 201);
        MonitorToken = await Doctor.CreateTokenAsync("monitor");
        AlphaToken = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        var beta = await Doctor.CreateTokenAsync("project", Cloud.Beta);
        var alphaSubscription = await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/subscriptions", new { callback_url = "http://127.0.0.1:9/alpha" }, AlphaToken), 201);
        var betaSubscription = await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/subscriptions", new { callback_url = "http://127.0.0.1:9/beta" }, beta), 201);
        Ids["{subscription}"] = alphaSubscription.GetProperty("subscription_id").GetString()!;
        Ids["{beta-subscription}"] = betaSubscription.GetProperty("subscription_id").GetString()!;
        var recorded = await Doctor.PostEventAndWaitAsync("compute.host.nic.down", new { hostname = Cloud.Host2, nic = "eth1" }, id: "evt-hostile-nic");
        Ids["{fault}"] = recorded.GetProperty("fault_ids")[0].GetString()!;
        var silence = await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/silences", new
        {
            matchers = new { hostname = "compute-zulu-9", fault_type = "compute.host.*" }, ends_at = "2099-01-01T00:00:00Z", comment = "hostile suite",
        }), 201);
        Ids["{silence}"] = silence.GetProperty("silence_id").GetString()!;
    }

    public async Task DisposeAsync()
    {
        if (_doctor is not null)
            await _doctor.DisposeAsync();
    }

    /// <summary>Sends <paramref name="request"/> exactly as described (raw bytes, raw content type, raw headers).</summary>
    public async Task<HttpResponseMessage> SendAsync(HostileRequest request)
    {
        var path = Ids.Aggregate(request.Path, (p, id) => p.Replace(id.Key, id.Value, StringComparison.Ordinal));
        using var message = new HttpRequestMessage(request.Method, path);
        var token = request.Sender switch
        {
            Sender.Admin => DoctorHost.AdminToken,
            Sender.Monitor => MonitorToken,
            Sender.Project => AlphaToken,
            _ => null,
        };
        if (token is not null)
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        foreach (var (name, value) in request.Headers ?? [])
            message.Headers.TryAddWithoutValidation(name, value);
        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            if (request.ContentType is not null)
                message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
        }

        return await Doctor.Client.SendAsync(message);
    }

    /// <summary>Everything an admin can list, plus the engine's position: equal snapshots mean no state changed.</summary>
    public async Task<string> SnapshotAsync()
    {
        var text = new StringBuilder();
        foreach (var path in new[]
                 {
                     "/v1/hosts?limit=1000", "/v1/devices?limit=1000", "/v1/servers?limit=1000", "/v1/ports?limit=1000", "/v1/tokens?limit=1000",
                     "/v1/subscriptions?limit=1000", "/v1/silences?limit=1000", "/v1/maintenance?limit=1000", "/v1/faults?state=all&limit=1000", "/v1/events?limit=1000", "/healthz",
                 })
        {
            var response = await Doctor.GetAsync(path);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, $"GET {path} answered {(int)response.StatusCode}: {body}");
            text.Append(path).Append(' ').AppendLine(body);
        }

        return text.ToString();
    }

    /// <summary>SPEC §1: a 4xx (the expected one when known), application/problem+json, with status, title and detail.</summary>
    public static async Task AssertProblemAsync(HostileRequest request, HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync();
        var shown = text.Length > 500 ? text[..500] + "…" : text;
        Assert.True(status is >= 400 and < 500, $"{request.Name}: expected a 4xx, got {status}: {shown}");
        if (request.Expected is { } expected)
            Assert.True(status == expected, $"{request.Name}: expected {expected}, got {status}: {shown}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        JsonElement problem;
        try
        {
            using var document = JsonDocument.Parse(text);
            problem = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            Assert.Fail($"{request.Name}: the problem is not JSON ({ex.Message}): {shown}");
            throw;
        }

        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()), $"{request.Name}: problem without a title");
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()), $"{request.Name}: problem without a detail");
    }

    /// <summary>These checks drive thousands of requests a second through one token; they test input handling and
    /// isolation, not throttling (Throttling/RateLimitTests covers the limiter).</summary>
    private static void NoRateLimits(Doctor.Server.Hosting.DoctorServerOptions options) => options.RateLimits.Enabled = false;
}
