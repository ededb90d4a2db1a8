using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Doctor.Testing;

namespace Doctor.OpenStack.Integration.Infrastructure;

/// <summary>
/// `doctor serve --controller openstack` as an operator runs it: its own process on a free loopback port, a temporary data
/// directory, Doctor's service user, the cloud's RabbitMQ and a queue of its own (<c>doctor-test-…</c>), deleted when the
/// process is stopped so queues never pile up on the shared broker.
/// </summary>
public sealed class OpenStackDoctor : IAsyncDisposable
{
    public const string AdminToken = "osint-admin-token-0123456789abcdef";

    private readonly ServeProcess _serve;
    private readonly TempDirectory _data;

    private OpenStackDoctor(ServeProcess serve, TempDirectory data, string queue)
    {
        _serve = serve;
        _data = data;
        Queue = queue;
    }

    public string Url => _serve.Url;

    /// <summary>The RabbitMQ queue this instance consumes the cloud's notifications from.</summary>
    public string Queue { get; }

    public string Output => _serve.Output;

    /// <summary>How long the start took: process launch to <c>/healthz</c> 200, which waits for the first snapshot of the cloud.</summary>
    public TimeSpan StartedIn => _serve.StartedIn;

    /// <param name="settings">Extra environment variables, e.g. <c>Doctor__OpenStack__ResetServerState=true</c>.</param>
    /// <param name="consume">False: no transport URL, so the map follows the cloud by reconciliation only.</param>
    public static async Task<OpenStackDoctor> StartAsync(IReadOnlyDictionary<string, string>? settings = null, bool consume = true)
    {
        var queue = Bus.QueuePrefix + Guid.NewGuid().ToString("N")[..12];
        var data = new TempDirectory();
        var environment = new Dictionary<string, string>
        {
            ["DOCTOR_ADMIN_TOKEN"] = AdminToken,
            ["OS_AUTH_URL"] = Aio.Keystone,
            ["OS_USERNAME"] = "doctor",
            ["OS_PASSWORD"] = "doctorpw",
            ["OS_PROJECT_NAME"] = "service",
            ["Doctor__OpenStack__Queue"] = queue,
            // Information: the sync's and the controller calls' log lines explain a failed wait.
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Doctor.OpenStack"] = "Information",
        };
        if (consume)
            environment["DOCTOR_TRANSPORT_URL"] = Aio.TransportUrl;
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
            environment[name] = value;
        try
        {
            // The start waits for the first snapshot of the cloud (Doctor:OpenStack:StartupSnapshotSeconds, 60 s) before the
            // listener opens. The runner's own OpenStack or Doctor settings must not leak into the service.
            var serve = await ServeProcess.StartAsync($"http://127.0.0.1:{FreePort.Next()}", ["--data-dir", data.Path, "--controller", "openstack"],
                environment, TimeSpan.FromSeconds(120), isolated: true);
            return new OpenStackDoctor(serve, data, queue);
        }
        catch
        {
            await Bus.DeleteQueueAsync(queue);
            data.Dispose();
            throw;
        }
    }

    /// <summary>A client of Doctor's API with Doctor's own admin token, or with <paramref name="keystoneToken"/> sent as
    /// <c>X-Auth-Token</c> the way OpenStack clients send it.</summary>
    public HttpClient Client(string? keystoneToken = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(Url + "/"), Timeout = TimeSpan.FromSeconds(30) };
        if (keystoneToken is null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        else
            client.DefaultRequestHeaders.TryAddWithoutValidation("X-Auth-Token", keystoneToken);
        return client;
    }

    /// <summary>Reports a raw event as a monitor would; returns the <see cref="Stopwatch"/> timestamp of the post.</summary>
    public Task<long> PostEventAsync(string type, string hostname) => PostEventAsync(type, "hostname", hostname);

    /// <summary>Reports a raw event whose subject is <c>details.{detail}</c> (a <c>device_id</c>, …).</summary>
    public async Task<long> PostEventAsync(string type, string detail, string subject)
    {
        using var admin = Client();
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", System.Globalization.CultureInfo.InvariantCulture);
        var started = Stopwatch.GetTimestamp();
        await admin.SendJsonAsync(HttpMethod.Post, "/v1/events",
            new JsonObject { ["event"] = new JsonObject { ["time"] = now, ["type"] = type, ["details"] = new JsonObject { [detail] = subject } } }, expect: 202);
        return started;
    }

    /// <summary><c>GET /v1/openstack</c>: the sync, notification and controller-call counters.</summary>
    public async Task<JsonNode> StatusAsync()
    {
        using var admin = Client();
        return await admin.SendJsonAsync(HttpMethod.Get, "/v1/openstack");
    }

    /// <summary>The status code of an admin GET (200 when Doctor's map has the resource, 404 when not).</summary>
    public async Task<JsonNode?> FindAsync(string path)
    {
        using var admin = Client();
        using var response = await admin.GetAsync(path.TrimStart('/'));
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            return null;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text);
    }

    /// <summary>The last <paramref name="lines"/> lines of the service's output, to explain a failed wait.</summary>
    public string Tail(int lines = 40)
    {
        var all = Output.Split('\n');
        return "doctor said (last lines):\n" + string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    /// <summary>SIGTERM and a bounded wait for the exit, then the queue is deleted.</summary>
    public async ValueTask DisposeAsync()
    {
        await _serve.DisposeAsync();
        await Bus.DeleteQueueAsync(Queue);
        _data.Dispose();
    }
}

/// <summary>Calls to Doctor's API beyond <see cref="JsonApi"/>.</summary>
public static class DoctorApi
{
    public static async Task<int> StatusOfAsync(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(path.TrimStart('/'));
        return (int)response.StatusCode;
    }
}
