using Doctor.Simulator.Monitoring;
using Doctor.Testing;

namespace Doctor.Simulator.Tests.Monitoring;

public sealed class HostMonitorTests
{
    private sealed class ScriptedProbe : IProbe
    {
        public Dictionary<string, bool> Alive { get; } = [];

        public Task<bool> IsAliveAsync(ProbeTarget target, TimeSpan timeout, CancellationToken cancellationToken) =>
            Task.FromResult(Alive[target.Hostname]);
    }

    private static (HostMonitor Monitor, ScriptedProbe Probe) Create(int misses = 3)
    {
        var probe = new ScriptedProbe { Alive = { ["h1"] = true, ["h2"] = true } };
        var monitor = new HostMonitor(
            [new ProbeTarget("h1", "127.0.0.1", 1), new ProbeTarget("h2", "127.0.0.1", 2)], probe,
            new MonitorOptions { Misses = misses }, new ManualTimeProvider());
        return (monitor, probe);
    }

    [Fact]
    public async Task Tick_FewerMissesThanThreshold_NoVerdict()
    {
        var (monitor, probe) = Create();
        probe.Alive["h1"] = false;
        Assert.Empty(await monitor.TickAsync(default));
        Assert.Empty(await monitor.TickAsync(default));
        probe.Alive["h1"] = true; // one lost probe pair is not a failure
        Assert.Empty(await monitor.TickAsync(default));
        probe.Alive["h1"] = false;
        Assert.Empty(await monitor.TickAsync(default));
        Assert.False(monitor.IsDown("h1"));
    }

    [Fact]
    public async Task Tick_ThirdConsecutiveMiss_ReportsDownOnce()
    {
        var (monitor, probe) = Create();
        probe.Alive["h1"] = false;
        await monitor.TickAsync(default);
        await monitor.TickAsync(default);
        var verdict = Assert.Single(await monitor.TickAsync(default));
        Assert.Equal("h1", verdict.Hostname);
        Assert.True(verdict.Down);
        Assert.Empty(await monitor.TickAsync(default)); // still down: not reported again
        Assert.True(monitor.IsDown("h1"));
        Assert.False(monitor.IsDown("h2"));
    }

    [Fact]
    public async Task Tick_AnswerAfterDown_ReportsUpWithNewEventId()
    {
        var (monitor, probe) = Create(misses: 1);
        probe.Alive["h2"] = false;
        var down = Assert.Single(await monitor.TickAsync(default));
        probe.Alive["h2"] = true;
        var up = Assert.Single(await monitor.TickAsync(default));
        Assert.False(up.Down);
        Assert.NotEqual(down.EventId, up.EventId);
        Assert.False(monitor.IsDown("h2"));
    }

    [Fact]
    public async Task RunAsync_TicksOnTheClock()
    {
        var time = new ManualTimeProvider();
        var probe = new ScriptedProbe { Alive = { ["h1"] = false } };
        var monitor = new HostMonitor([new ProbeTarget("h1", "127.0.0.1", 1)], probe, new MonitorOptions { Misses = 3, Interval = TimeSpan.FromMilliseconds(20) }, time);
        var verdicts = new List<HostVerdict>();
        using var stop = new CancellationTokenSource();
        var running = monitor.RunAsync(v => { verdicts.Add(v); return Task.CompletedTask; }, stop.Token);

        // The first round runs at once; each later round needs the clock to pass one interval. Two advances made
        // while a round is still running count as one tick (PeriodicTimer coalesces), so keep advancing until the
        // third miss: the host stays dead, and later rounds add no second verdict.
        await WaitForTimerAsync(time);
        for (var i = 0; i < 500 && verdicts.Count == 0; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(20));
            await Task.Delay(10);
        }

        await Eventually(() => verdicts.Count == 1);
        Assert.True(verdicts[0].Down);
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
    }

    private static async Task WaitForTimerAsync(ManualTimeProvider time) => await Eventually(() => time.PendingTimers > 0);

    private static async Task Eventually(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
            await Task.Delay(10);
        Assert.True(condition());
    }
}
