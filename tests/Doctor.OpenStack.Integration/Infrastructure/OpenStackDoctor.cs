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

    private readonly Process _process;
    private readonly TempDirectory _data;
    private readonly StringBuilder _output = new();

    private OpenStackDoctor(Process process, string url, TempDirectory data, string queue)
    {
        _process = process;
        _data = data;
        Url = url;
        Queue = queue;
    }

    public string Url { get; }

    /// <summary>The RabbitMQ queue this instance consumes the cloud's notifications from.</summary>
    public string Queue { get; }

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    /// <summary>How long the start took: process launch to <c>/healthz</c> 200, which waits for the first snapshot of the cloud.</summary>
    public TimeSpan StartedIn { get; private set; }

    /// <param name="settings">Extra environment variables, e.g. <c>Doctor__OpenStack__ResetServerState=true</c>.</param>
    /// <param name="consume">False: no transport URL, so the map follows the cloud by reconciliation only.</param>
    public static async Task<OpenStackDoctor> StartAsync(IReadOnlyDictionary<string, string>? settings = null, bool consume = true)
    {
        var url = $"http://127.0.0.1:{FreePort.Next()}";
        var queue = Bus.QueuePrefix + Guid.NewGuid().ToString("N")[..12];
        var data = new TempDirectory();
        var doctor = Path.Combine(AppContext.BaseDirectory, "doctor.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { doctor, "serve", "--data-dir", data.Path, "--urls", url, "--controller", "openstack" })
            info.ArgumentList.Add(arg);
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
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("OS_", StringComparison.Ordinal) || k.StartsWith("DOCTOR_", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(name); // the runner's own OpenStack or Doctor settings must not leak into the service
        foreach (var (name, value) in environment)
            info.Environment[name] = value;

        var watch = Stopwatch.StartNew();
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start doctor");
        var self = new OpenStackDoctor(process, url, data, queue);
        process.OutputDataReceived += (_, e) => self.Append(e.Data);
        process.ErrorDataReceived += (_, e) => self.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        // The start waits for the first snapshot of the cloud (Doctor:OpenStack:StartupSnapshotSeconds, 60 s) before the
        // listener opens.
        while (watch.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (process.HasExited)
            {
                await self.DisposeAsync();
                throw new InvalidOperationException($"doctor exited with {process.ExitCode}:\n{self.Output}");
            }

            try
            {
                using var response = await probe.GetAsync($"{url}/healthz");
                if (response.IsSuccessStatusCode)
                {
                    self.StartedIn = watch.Elapsed;
                    return self;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        await self.DisposeAsync();
        throw new TimeoutException($"doctor did not become healthy within 120 s:\n{self.Output}");
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
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
    public async Task<long> PostEventAsync(string type, string hostname)
    {
        using var admin = Client();
        var now = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", System.Globalization.CultureInfo.InvariantCulture);
        var started = Stopwatch.GetTimestamp();
        await admin.SendJsonAsync(HttpMethod.Post, "/v1/events",
            new JsonObject { ["event"] = new JsonObject { ["time"] = now, ["type"] = type, ["details"] = new JsonObject { ["hostname"] = hostname } } }, expect: 202);
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
        if (!_process.HasExited)
        {
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                await term!.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
        await Bus.DeleteQueueAsync(Queue);
        _data.Dispose();
    }
}

/// <summary>JSON calls to Doctor's API.</summary>
public static class DoctorApi
{
    public static async Task<JsonNode> SendJsonAsync(this HttpClient client, HttpMethod method, string path, JsonNode? body = null, int expect = 200)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null)
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expect, $"{method} {path}: expected {expect}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!;
    }

    public static async Task<int> StatusOfAsync(this HttpClient client, string path)
    {
        using var response = await client.GetAsync(path.TrimStart('/'));
        return (int)response.StatusCode;
    }
}
