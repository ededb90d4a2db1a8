using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Doctor.Server.Hosting;
using Doctor.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Doctor.Server.Tests.Infrastructure;

/// <summary>
/// One Doctor service in this process: the real app (store, engine, dispatcher) behind a TestServer, with its own
/// data directory and a known admin token. Webhook deliveries still go out over real HTTP.
/// </summary>
public sealed class DoctorHost : IAsyncDisposable
{
    public const string AdminToken = "dr_test-admin-token-for-server-tests";

    private readonly TempDirectory _dataDir;

    private readonly TimeProvider? _time;
    private readonly Action<DoctorServerOptions>? _configure;

    private DoctorHost(TempDirectory dataDir, WebApplication app, TimeProvider? time, Action<DoctorServerOptions>? configure)
    {
        _dataDir = dataDir;
        _time = time;
        _configure = configure;
        App = app;
        Client = app.GetTestClient();
    }

    public WebApplication App { get; private set; }

    /// <summary>A client without credentials; every helper below adds the token it is given.</summary>
    public HttpClient Client { get; private set; }

    public string DataDir => _dataDir.Path;

    /// <param name="time">Replaces the service's clock (e.g. a <see cref="ManualTimeProvider"/> for expiry).</param>
    public static async Task<DoctorHost> StartAsync(TimeProvider? time = null, Action<DoctorServerOptions>? configure = null)
    {
        var dataDir = new TempDirectory();
        try
        {
            return new DoctorHost(dataDir, await CreateAppAsync(dataDir.Path, time, configure), time, configure);
        }
        catch
        {
            dataDir.Dispose();
            throw;
        }
    }

    /// <summary>Starts the real app behind a TestServer on <paramref name="dataDir"/> (for tests that manage the directory).</summary>
    public static async Task<WebApplication> CreateAppAsync(string dataDir, TimeProvider? time, Action<DoctorServerOptions>? configure)
    {
        var app = DoctorApp.Create(
            [],
            options =>
            {
                options.DataDir = dataDir;
                options.AdminToken = AdminToken;
                // Tests leave failing consumers behind; a stop must not wait for them (a test of the drain sets its own).
                options.ShutdownDrainSeconds = 0;
                options.WarmUp = false; // thousands of test hosts; WarmupTests covers it
                configure?.Invoke(options);
            },
            builder =>
            {
                builder.WebHost.UseTestServer();
                builder.Logging.ClearProviders();
                if (time is not null)
                    builder.Services.AddSingleton(time);
            });
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync(); // a refused start must not keep the data directory's files open
            throw;
        }

        return app;
    }

    /// <summary>Stops the service and starts a new one on the same data directory (what survives a restart).</summary>
    public async Task RestartAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        App = await CreateAppAsync(_dataDir.Path, _time, _configure);
        Client = App.GetTestClient();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        try
        {
            await App.StopAsync();
        }
        finally
        {
            await App.DisposeAsync();
            _dataDir.Dispose();
        }
    }

    // ---- requests -------------------------------------------------------------------------------------------

    public Task<HttpResponseMessage> GetAsync(string path, string? token = AdminToken) =>
        SendAsync(HttpMethod.Get, path, token);

    public Task<HttpResponseMessage> DeleteAsync(string path, string? token = AdminToken) =>
        SendAsync(HttpMethod.Delete, path, token);

    /// <summary>POST of <paramref name="body"/>: a string is sent as is, anything else serialized (property names as written).</summary>
    public Task<HttpResponseMessage> PostAsync(string path, object body, string? token = AdminToken) =>
        SendAsync(HttpMethod.Post, path, token, body);

    public Task<HttpResponseMessage> PutAsync(string path, object body, string? token = AdminToken) =>
        SendAsync(HttpMethod.Put, path, token, body);

    public async Task<HttpResponseMessage> SendAsync(
        HttpMethod method, string path, string? token, object? body = null, string contentType = "application/json", bool openStackHeader = false)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            if (openStackHeader)
                request.Headers.TryAddWithoutValidation("X-Auth-Token", token);
            else
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            var text = body as string ?? JsonSerializer.Serialize(body);
            request.Content = new StringContent(text, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        return await Client.SendAsync(request);
    }

    /// <summary>Reads a JSON answer after asserting its status.</summary>
    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response, int expectedStatus)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expectedStatus, $"expected {expectedStatus}, got {(int)response.StatusCode}: {text}");
        Assert.StartsWith("application/", response.Content.Headers.ContentType?.MediaType ?? "");
        Assert.Contains("json", response.Content.Headers.ContentType!.MediaType!);
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public async Task<JsonElement> GetJsonAsync(string path, string? token = AdminToken) =>
        await JsonAsync(await GetAsync(path, token), 200);

    // ---- set-up helpers -----------------------------------------------------------------------------------

    /// <summary>Creates a token and returns its secret.</summary>
    public async Task<string> CreateTokenAsync(string role, string? projectId = null)
    {
        var body = await JsonAsync(await PostAsync("/v1/tokens", new { role, project_id = projectId }), 201);
        return body.GetProperty("token").GetString()!;
    }

    public async Task<JsonElement> ImportAsync(string document, bool replace = false) =>
        await JsonAsync(await PostAsync(replace ? "/v1/inventory?replace=true" : "/v1/inventory", document), 200);

    /// <summary>Posts events as a monitor would (admin token) and returns the answer.</summary>
    public async Task<JsonElement> PostEventsAsync(object body, string? token = AdminToken) =>
        await JsonAsync(await PostAsync("/v1/events", body, token), 202);

    /// <summary>Posts one event and waits (bounded) until the engine has applied it; returns the recorded event.</summary>
    public async Task<JsonElement> PostEventAndWaitAsync(string type, object details, string? id = null)
    {
        var e = new Dictionary<string, object> { ["time"] = Now(), ["type"] = type, ["details"] = details };
        if (id is not null)
            e["id"] = id;
        var accepted = await PostEventsAsync(e);
        var eventId = accepted.GetProperty("event_ids")[0].GetString()!;
        return await WaitForEventAsync(eventId);
    }

    /// <summary>Waits until the event is no longer pending.</summary>
    public async Task<JsonElement> WaitForEventAsync(string eventId)
    {
        JsonElement recorded = default;
        await Eventually.TrueAsync(async () =>
        {
            recorded = await GetJsonAsync($"/v1/events/{Uri.EscapeDataString(eventId)}");
            return recorded.GetProperty("status").GetString() != "pending";
        }, $"event {eventId} to be processed");
        return recorded;
    }

    public static string Now() => DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
