using System.Diagnostics;
using System.Globalization;

namespace Doctor.Cli.Bench;

/// <summary>
/// `doctor serve` in its own process, so that a benchmark's load generator does not share the server's heap and
/// the server's memory can be read from /proc.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private int _disposed;

    private ServerProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }

    public int Pid => _process.Id;

    /// <summary>Starts the server and waits until /healthz answers; returns it with the time that took.</summary>
    /// <param name="environment">Extra environment variables of the server (e.g. OpenStack mode's settings).</param>
    public static async Task<(ServerProcess Server, TimeSpan Startup)> StartAsync(string dataDir, string adminToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "doctor.dll"), "serve", "--data-dir", dataDir, "--urls", url })
            info.ArgumentList.Add(arg);
        info.Environment["DOCTOR_ADMIN_TOKEN"] = adminToken;
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        info.Environment["Logging__LogLevel__Doctor.Storage"] = "Information"; // the load summary
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            info.Environment[name] = value;
        var started = Stopwatch.StartNew();
        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("Loaded ", StringComparison.Ordinal) == true)
                Console.WriteLine("  server: " + e.Data.Trim());
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("  server: " + e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (started.Elapsed < TimeSpan.FromMinutes(5))
        {
            if (process.HasExited)
                throw new InvalidOperationException($"doctor serve exited with {process.ExitCode}");
            try
            {
                using var response = await probe.GetAsync(url + "/healthz");
                if (response.IsSuccessStatusCode)
                    return (new ServerProcess(process, url), started.Elapsed);
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(20);
        }

        process.Kill(entireProcessTree: true);
        throw new TimeoutException("doctor serve did not become healthy within 5 minutes");
    }

    /// <summary>Resident memory of the server (VmRSS), in MiB; NaN where /proc is not available.</summary>
    public double ResidentMiB()
    {
        var path = $"/proc/{Pid}/status";
        if (!File.Exists(path))
            return double.NaN;
        var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        if (!_process.HasExited)
        {
            using (var term = Process.Start("kill", ["-TERM", Pid.ToString(CultureInfo.InvariantCulture)]))
                await term!.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
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
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
