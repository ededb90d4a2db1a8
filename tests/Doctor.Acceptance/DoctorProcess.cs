using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Doctor.Testing;

namespace Doctor.Acceptance;

/// <summary>
/// The real service as an operator runs it: `doctor serve` in its own process, on a free loopback port,
/// with a temporary data directory. Built by the test build (the Cli project is referenced).
/// </summary>
public sealed class DoctorProcess : IAsyncDisposable
{
    public const string AdminToken = "acceptance-admin-token-0123456789";

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private DoctorProcess(Process process, string url, string dataDir)
    {
        _process = process;
        Url = url;
        DataDir = dataDir;
    }

    public string Url { get; }
    public string DataDir { get; }
    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    /// <param name="settings">Extra environment variables (settings such as <c>Doctor__ShutdownDrainSeconds</c>).</param>
    public static async Task<DoctorProcess> StartAsync(string dataDir, int? port = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        var url = $"http://127.0.0.1:{port ?? FreePort.Next()}";
        var doctor = Path.Combine(AppContext.BaseDirectory, "doctor.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { doctor, "serve", "--data-dir", dataDir, "--urls", url })
            info.ArgumentList.Add(arg);
        info.Environment["DOCTOR_ADMIN_TOKEN"] = AdminToken;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
            info.Environment[name] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start doctor");
        var self = new DoctorProcess(process, url, dataDir);
        process.OutputDataReceived += (_, e) => self.Append(e.Data);
        process.ErrorDataReceived += (_, e) => self.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited)
                throw new InvalidOperationException($"doctor exited with {process.ExitCode}:\n{self.Output}");
            try
            {
                using var response = await probe.GetAsync($"{url}/healthz");
                if (response.IsSuccessStatusCode)
                    return self;
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(100);
        }

        await self.DisposeAsync();
        throw new TimeoutException($"doctor did not become healthy within 60 s:\n{self.Output}");
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
    }

    /// <summary>An HTTP client for the API with <paramref name="token"/>.</summary>
    public HttpClient Client(string token = AdminToken)
    {
        var client = new HttpClient { BaseAddress = new Uri(Url + "/"), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>SIGKILL: the process dies at once, mid-write, as in a crash or an OOM kill.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited)
            return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>Whether the process has exited (and with what code).</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>SIGTERM, as an init system stops it; waits for a clean exit (bounded).</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
            return;
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill!.WaitForExitAsync();
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

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }
}

/// <summary>JSON helpers for API calls.</summary>
public static class Api
{
    public static async Task<JsonNode> SendAsync(this HttpClient client, HttpMethod method, string path, JsonNode? body = null, int expect = 200)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null)
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expect, $"{method} {path}: expected {expect}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!;
    }

    public static Task<JsonNode> GetJsonAsync(this HttpClient client, string path) => client.SendAsync(HttpMethod.Get, path);

    public static Task<JsonNode> PostJsonAsync(this HttpClient client, string path, JsonNode body, int expect = 200) =>
        client.SendAsync(HttpMethod.Post, path, body, expect);
}
