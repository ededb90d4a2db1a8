using System.Diagnostics;

namespace Doctor.Simulator.Network;

/// <summary>Thrown when an <c>ip</c> command fails; the message carries its first line of complaint.</summary>
public sealed class IpCommandException(string message) : Exception(message);

/// <summary>
/// Runs iproute2's <c>ip</c> with an argument list (never through a shell) and a bounded wait: a hung <c>ip</c> is
/// killed rather than left to stall the test case.
/// </summary>
public sealed class IpCommand(string path)
{
    /// <summary>Longest wait for one command; creating or deleting a namespace takes milliseconds.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    // root's PATH has the sbin folders, but a test runner's or a CI job's environment may not.
    private static readonly string[] Fallbacks = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

    public string Path { get; } = path;

    /// <summary>The <c>ip</c> on PATH or in the usual system folders, or null.</summary>
    public static IpCommand? Find()
    {
        var folders = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(Fallbacks);
        return folders.Select(f => System.IO.Path.Combine(f, "ip")).FirstOrDefault(File.Exists) is { } found ? new IpCommand(found) : null;
    }

    /// <summary>Runs <c>ip ARGS</c> and returns its standard output; throws <see cref="IpCommandException"/> unless it exits 0.</summary>
    public async Task<string> RunAsync(IEnumerable<string> args, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        var line = $"ip {string.Join(' ', info.ArgumentList)}";
        using var process = Process.Start(info) ?? throw new IpCommandException($"{line}: could not start {Path}");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var errors = process.StandardError.ReadToEndAsync(cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            throw new IpCommandException($"{line}: no answer within {Timeout.TotalSeconds:0} s");
        }

        var stdout = await output;
        var stderr = await errors;
        if (process.ExitCode != 0)
        {
            var complaint = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? $"exit code {process.ExitCode}";
            throw new IpCommandException($"{line}: {complaint}");
        }

        return stdout;
    }

    public Task<string> RunAsync(CancellationToken cancellationToken, params string[] args) => RunAsync((IEnumerable<string>)args, cancellationToken);
}
