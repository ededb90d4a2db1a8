using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Doctor.Testing;

/// <summary>
/// <c>doctor serve</c> in its own process, as an operator runs it: started from the <c>doctor.dll</c> built beside the tests,
/// its output kept (to explain a failure), ready once <c>/healthz</c> answers 200, stopped by SIGTERM with a bounded wait.
/// </summary>
public sealed class ServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServeProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }

    /// <summary>How long the start took: process launch to <c>/healthz</c> 200.</summary>
    public TimeSpan StartedIn { get; private set; }

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    /// <summary>Whether the process has exited (and with what code).</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <param name="url">The listen address (<c>--urls</c>).</param>
    /// <param name="arguments">Further arguments of <c>doctor serve</c>.</param>
    /// <param name="environment">Environment variables of the service.</param>
    /// <param name="readyWithin">How long the start may take before it is a failure.</param>
    /// <param name="isolated">Drop the runner's own <c>OS_*</c> and <c>DOCTOR_*</c> variables, so they cannot leak into the service.</param>
    public static async Task<ServeProcess> StartAsync(
        string url, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, TimeSpan readyWithin, bool isolated = false)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "doctor.dll"), "serve", "--urls", url }.Concat(arguments))
            info.ArgumentList.Add(arg);
        if (isolated)
        {
            foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("OS_", StringComparison.Ordinal) || k.StartsWith("DOCTOR_", StringComparison.Ordinal)).ToList())
                info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
            info.Environment[name] = value;

        var watch = Stopwatch.StartNew();
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start doctor");
        var self = new ServeProcess(process, url);
        process.OutputDataReceived += (_, e) => self.Append(e.Data);
        process.ErrorDataReceived += (_, e) => self.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        while (watch.Elapsed < readyWithin)
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
        throw new TimeoutException($"doctor did not become healthy within {readyWithin.TotalSeconds:0} s:\n{self.Output}");
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
    }

    /// <summary>SIGKILL: the process dies at once, mid-write, as in a crash or an OOM kill.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited)
            return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as an init system stops it; waits for a clean exit (bounded, then SIGKILL).</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
            return;
        using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
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

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }
}
