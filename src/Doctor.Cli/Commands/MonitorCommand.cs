using System.CommandLine;
using Doctor.Simulator.Monitoring;

namespace Doctor.Cli.Commands;

/// <summary><c>doctor monitor</c>: the sample monitor, probing hosts over TCP and reporting to Doctor.</summary>
public static class MonitorCommand
{
    public static Command Create()
    {
        var url = new Option<string>("--url") { Description = "Doctor API", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DOCTOR_URL") ?? "http://127.0.0.1:12345" };
        var token = new Option<string?>("--token") { Description = "monitor token (env DOCTOR_TOKEN)", DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DOCTOR_TOKEN") };
        var targets = new Option<string[]>("--target") { Description = "HOSTNAME=ADDRESS:PORT, repeatable", AllowMultipleArgumentsPerToken = true, Required = true };
        var interval = new Option<int>("--interval-ms") { Description = "probe interval", DefaultValueFactory = _ => 20 };
        var misses = new Option<int>("--misses") { Description = "consecutive misses before a host is down", DefaultValueFactory = _ => 3 };
        var command = new Command("monitor", "Probe hosts and report compute.host.down / compute.host.up to Doctor") { url, token, targets, interval, misses };
        command.SetAction(async (result, cancellationToken) =>
        {
            var parsed = new List<ProbeTarget>();
            foreach (var text in result.GetValue(targets)!)
            {
                var (name, rest) = (text.Split('=', 2) is [var n, var r] ? (n, r) : throw new ArgumentException($"--target {text}: expected HOSTNAME=ADDRESS:PORT"));
                var colon = rest.LastIndexOf(':');
                if (colon <= 0 || !int.TryParse(rest[(colon + 1)..], out var port))
                    throw new ArgumentException($"--target {text}: expected HOSTNAME=ADDRESS:PORT");
                parsed.Add(new ProbeTarget(name, rest[..colon], port));
            }

            var options = new MonitorOptions { Interval = TimeSpan.FromMilliseconds(Math.Max(1, result.GetValue(interval))), Misses = Math.Max(1, result.GetValue(misses)) };
            using var http = new HttpClient { BaseAddress = new Uri(result.GetValue(url)!.TrimEnd('/') + "/") };
            var reporter = new EventReporter(http, result.GetValue(token) ?? string.Empty, options.MonitorId, TimeProvider.System);
            var monitor = new HostMonitor(parsed, new TcpProbe(), options, TimeProvider.System);
            Console.WriteLine($"probing {parsed.Count} hosts every {options.Interval.TotalMilliseconds} ms; down after {options.Misses} misses");
            try
            {
                await monitor.RunAsync(async verdict =>
                {
                    Console.WriteLine($"{verdict.Time:O} {verdict.Hostname} {(verdict.Down ? "DOWN" : "UP")}");
                    await reporter.ReportAsync(verdict, cancellationToken);
                }, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }

            return 0;
        });
        return command;
    }
}
