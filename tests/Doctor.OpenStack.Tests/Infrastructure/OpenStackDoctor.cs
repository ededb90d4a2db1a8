using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Doctor.Control;
using Doctor.OpenStack.Actions;
using Doctor.OpenStack.Sync;
using Doctor.Profiling;
using Doctor.Server.Hosting;
using Doctor.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Doctor.OpenStack.Tests.Infrastructure;

/// <summary>
/// The real Doctor service (DoctorApp) in OpenStack mode behind a TestServer, pointed at a <see cref="FakeCloud"/>, with its
/// own data directory and a known admin token. No RabbitMQ unless a test passes a transport URL (a <see cref="PrivateBroker"/>'s):
/// otherwise <c>TransportUrl</c> stays unset, so the map follows the cloud through snapshots (the one at start, and
/// <see cref="ReconcileAsync"/> when a test asks).
/// </summary>
public sealed class OpenStackDoctor : IAsyncDisposable
{
    public const string AdminToken = "dr_test-admin-token-for-openstack-tests";

    private readonly TempDirectory _dataDir;
    private int _disposed;

    private OpenStackDoctor(TempDirectory dataDir, WebApplication app)
    {
        _dataDir = dataDir;
        App = app;
        Client = app.GetTestClient();
    }

    public WebApplication App { get; }

    /// <summary>The data directory (the SQLite store's <c>events.db</c> and <c>state.db</c>).</summary>
    public string DataDir => _dataDir.Path;

    public HttpClient Client { get; }

    public DoctorEngine Engine => App.Services.GetRequiredService<DoctorEngine>();

    public ActionRunner Actions => App.Services.GetRequiredService<ActionRunner>();

    public TimelineBook Timelines => App.Services.GetRequiredService<TimelineBook>();

    /// <param name="transportUrl">Consume (and, with <c>PublishNotifications</c>, publish) on this RabbitMQ.</param>
    /// <param name="logs">Receives the app's log (otherwise discarded).</param>
    public static async Task<OpenStackDoctor> StartAsync(FakeCloud cloud, Action<OpenStackOptions>? openstack = null, Action<DoctorServerOptions>? configure = null,
        string? transportUrl = null, ILoggerProvider? logs = null)
    {
        var dataDir = new TempDirectory();
        WebApplication? app = null;
        try
        {
            app = DoctorApp.Create([], options =>
            {
                options.DataDir = dataDir.Path;
                options.AdminToken = AdminToken;
                options.ShutdownDrainSeconds = 0;
                options.WarmUp = false;
                options.Controller = "openstack";
                options.OpenStack = CloudClients.Settings(cloud, o =>
                {
                    o.TransportUrl = transportUrl;
                    o.ReconcileSeconds = 0; // only the snapshot at start; tests reconcile when they want
                    o.StartupSnapshotSeconds = 30;
                    openstack?.Invoke(o);
                });
                configure?.Invoke(options);
            }, builder =>
            {
                builder.WebHost.UseTestServer();
                builder.Logging.ClearProviders();
                if (logs is not null)
                    builder.Logging.AddProvider(logs);
            });
            await app.StartAsync();
            return new OpenStackDoctor(dataDir, app);
        }
        catch
        {
            if (app is not null)
                await app.DisposeAsync();
            dataDir.Dispose();
            throw;
        }
    }

    /// <summary>One full read of the fake cloud applied to the map, as the periodic reconciliation does.</summary>
    public Task<SyncCounts> ReconcileAsync() => App.Services.GetRequiredService<CloudSync>().ReconcileAsync(CancellationToken.None);

    /// <summary>Stops the app (as a host stop: its hosted services' StopAsync) and deletes its data; a second call does
    /// nothing, so a test may stop Doctor itself and still declare it with <c>await using</c>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
            return;
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

    // ---- requests -------------------------------------------------------------------------------------------------------

    public Task<HttpResponseMessage> GetAsync(string path, string? token = AdminToken, bool openStackHeader = false) =>
        SendAsync(HttpMethod.Get, path, token, null, openStackHeader);

    public Task<HttpResponseMessage> PostAsync(string path, object body, string? token = AdminToken) => SendAsync(HttpMethod.Post, path, token, body);

    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? token, object? body = null, bool openStackHeader = false)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            if (openStackHeader)
                request.Headers.TryAddWithoutValidation("X-Auth-Token", token);
            else
                request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);
        }

        if (body is not null)
            request.Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        return await Client.SendAsync(request);
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response, int expectedStatus)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expectedStatus, $"expected {expectedStatus}, got {(int)response.StatusCode}: {text}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public async Task<JsonElement> GetJsonAsync(string path, string? token = AdminToken) => await JsonAsync(await GetAsync(path, token), 200);

    /// <summary>Asserts an RFC 7807 answer with <paramref name="status"/>, title and detail.</summary>
    public static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, int status)
    {
        var body = await JsonAsync(response, status);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(status, body.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("detail").GetString()));
        return body;
    }

    /// <summary>Posts one event and waits (bounded) until the engine has processed it; returns its recorded form.</summary>
    public async Task<JsonElement> EventAsync(string type, params (string Key, string Value)[] details)
    {
        var e = new Dictionary<string, object>
        {
            ["time"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
            ["type"] = type,
            ["details"] = details.ToDictionary(d => d.Key, d => d.Value),
        };
        var accepted = await JsonAsync(await PostAsync("/v1/events", e), 202);
        var id = accepted.GetProperty("event_ids")[0].GetString()!;
        JsonElement recorded = default;
        await Eventually.TrueAsync(async () =>
        {
            recorded = await GetJsonAsync("/v1/events/" + Uri.EscapeDataString(id));
            return recorded.GetProperty("status").GetString() != "pending";
        }, $"event {id} to be processed");
        return recorded;
    }
}

/// <summary>A consumer's webhook endpoint: Kestrel on 127.0.0.1, recording each POST; <see cref="Hold"/> keeps answers back.</summary>
public sealed class Receiver : IAsyncDisposable
{
    private readonly List<(string Path, string Body)> _calls = [];
    private WebApplication? _app;

    public string BaseUrl { get; private set; } = "";

    /// <summary>When set, every POST is recorded and then waits for it before answering 204.</summary>
    public TaskCompletionSource? Hold { get; set; }

    public IReadOnlyList<(string Path, string Body)> Calls
    {
        get
        {
            lock (_calls)
                return [.. _calls];
        }
    }

    public static async Task<Receiver> StartAsync()
    {
        var receiver = new Receiver();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            lock (receiver._calls)
                receiver._calls.Add((context.Request.Path.Value ?? "/", body));
            if (receiver.Hold is { } hold)
                await hold.Task.WaitAsync(context.RequestAborted);
            return Results.NoContent();
        });
        await app.StartAsync();
        receiver._app = app;
        receiver.BaseUrl = app.Urls.Single().TrimEnd('/');
        return receiver;
    }

    public string Url(string path) => $"{BaseUrl}/{path.TrimStart('/')}";

    public async ValueTask DisposeAsync()
    {
        Hold?.TrySetResult();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
