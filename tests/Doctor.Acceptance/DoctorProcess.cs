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

    private readonly ServeProcess _serve;

    private DoctorProcess(ServeProcess serve, string dataDir)
    {
        _serve = serve;
        DataDir = dataDir;
    }

    public string Url => _serve.Url;
    public string DataDir { get; }
    public string Output => _serve.Output;

    /// <param name="settings">Extra environment variables (settings such as <c>Doctor__ShutdownDrainSeconds</c>).</param>
    public static async Task<DoctorProcess> StartAsync(string dataDir, int? port = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["DOCTOR_ADMIN_TOKEN"] = AdminToken,
            ["Logging__LogLevel__Default"] = "Warning",
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
            environment[name] = value;
        var serve = await ServeProcess.StartAsync($"http://127.0.0.1:{port ?? FreePort.Next()}", ["--data-dir", dataDir], environment, TimeSpan.FromSeconds(60));
        return new DoctorProcess(serve, dataDir);
    }

    /// <summary>An HTTP client for the API with <paramref name="token"/>.</summary>
    public HttpClient Client(string token = AdminToken)
    {
        var client = new HttpClient { BaseAddress = new Uri(Url + "/"), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>SIGKILL: the process dies at once, mid-write, as in a crash or an OOM kill.</summary>
    public Task KillAsync() => _serve.KillAsync();

    /// <summary>Whether the process has exited (and with what code).</summary>
    public int? ExitCode => _serve.ExitCode;

    /// <summary>SIGTERM, as an init system stops it; waits for a clean exit (bounded).</summary>
    public Task StopAsync() => _serve.StopAsync();

    public ValueTask DisposeAsync() => _serve.DisposeAsync();
}

/// <summary>JSON helpers for API calls.</summary>
public static class Api
{
    public static Task<JsonNode> GetJsonAsync(this HttpClient client, string path) => client.SendJsonAsync(HttpMethod.Get, path);

    public static Task<JsonNode> PostJsonAsync(this HttpClient client, string path, JsonNode body, int expect = 200) =>
        client.SendJsonAsync(HttpMethod.Post, path, body, expect);
}
