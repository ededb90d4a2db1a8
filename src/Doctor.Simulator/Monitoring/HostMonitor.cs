using System.Diagnostics;
using System.Net.Sockets;

namespace Doctor.Simulator.Monitoring;

/// <summary>A host to watch and where to knock (a TCP port that answers while the host is alive).</summary>
public sealed record ProbeTarget(string Hostname, string Address, int Port);

/// <summary>One liveness check of a target.</summary>
public interface IProbe
{
    Task<bool> IsAliveAsync(ProbeTarget target, TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>Alive when a TCP connection to the target's port opens within the timeout (refused or silent = dead).</summary>
public sealed class TcpProbe : IProbe
{
    public async Task<bool> IsAliveAsync(ProbeTarget target, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(target.Address, target.Port, deadline.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}

/// <summary>A state change the monitor decided, with the monotonic time of the probe that decided it.</summary>
public sealed record HostVerdict(string Hostname, bool Down, DateTimeOffset Time, long DetectedTicks, string EventId);

/// <summary>Settings of the sample monitor.</summary>
public sealed record MonitorOptions
{
    /// <summary>Time between two probes of every target. Default 20 ms.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(20);

    /// <summary>Consecutive failed probes before a host is reported down. Default 3 (the original reported after one).</summary>
    public int Misses { get; init; } = 3;

    /// <summary>Timeout of one probe. Default: the interval.</summary>
    public TimeSpan? ProbeTimeout { get; init; }

    /// <summary>Identifies this monitor in events (details.monitor_id).</summary>
    public string MonitorId { get; init; } = "doctor-sample-monitor";
}

/// <summary>
/// The sample monitor: probes every target each interval, reports <c>compute.host.down</c> after
/// <see cref="MonitorOptions.Misses"/> consecutive misses and <c>compute.host.up</c> on the first success after that.
/// Unlike the original Doctor's ping monitor, one lost probe is not a failure and recovery is reported.
/// </summary>
public sealed class HostMonitor(IReadOnlyList<ProbeTarget> targets, IProbe probe, MonitorOptions options, TimeProvider time)
{
    private readonly Dictionary<string, (int Misses, bool Down)> _state = targets.ToDictionary(t => t.Hostname, _ => (0, false));
    private long _serial;

    /// <summary>Probes every target once and returns the verdicts this round produced.</summary>
    public async Task<IReadOnlyList<HostVerdict>> TickAsync(CancellationToken cancellationToken)
    {
        var timeout = options.ProbeTimeout ?? options.Interval;
        var results = await Task.WhenAll(targets.Select(async t => (Target: t, Alive: await probe.IsAliveAsync(t, timeout, cancellationToken), At: Stopwatch.GetTimestamp())));
        var verdicts = new List<HostVerdict>();
        foreach (var (target, alive, at) in results)
        {
            var (misses, down) = _state[target.Hostname];
            if (alive)
            {
                if (down)
                    verdicts.Add(Verdict(target, down: false, at));
                _state[target.Hostname] = (0, false);
                continue;
            }

            misses++;
            if (!down && misses >= options.Misses)
            {
                verdicts.Add(Verdict(target, down: true, at));
                down = true;
            }

            _state[target.Hostname] = (misses, down);
        }

        return verdicts;
    }

    /// <summary>Runs rounds every interval until cancelled, handing each verdict to <paramref name="report"/>.</summary>
    public async Task RunAsync(Func<HostVerdict, Task> report, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Interval, time);
        do
        {
            foreach (var verdict in await TickAsync(cancellationToken))
                await report(verdict);
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    public bool IsDown(string hostname) => _state[hostname].Down;

    private HostVerdict Verdict(ProbeTarget target, bool down, long at) =>
        new(target.Hostname, down, time.GetUtcNow(), at, $"{options.MonitorId}-{target.Hostname}-{time.GetUtcNow().ToUnixTimeMilliseconds()}-{++_serial}");
}
