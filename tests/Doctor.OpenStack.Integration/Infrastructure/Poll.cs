using System.Diagnostics;

namespace Doctor.OpenStack.Integration.Infrastructure;

/// <summary>
/// Waiting for something a user would look for. Every wait is bounded in time and in attempts; the bound is a generous
/// timeout on a shared 2-core machine, never the thing under test (the measured time is returned and printed instead).
/// </summary>
public static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);

    /// <summary>Asks <paramref name="probe"/> until it answers non-null; fails the test naming <paramref name="what"/> (and
    /// whatever <paramref name="explain"/> adds) when <paramref name="limit"/> passes first.</summary>
    public static async Task<(T Value, TimeSpan Elapsed)> UntilAsync<T>(Func<Task<T?>> probe, string what, TimeSpan limit, Func<Task<string>>? explain = null)
        where T : class
    {
        var watch = Stopwatch.StartNew();
        var attempts = (int)(limit / Interval) + 1;
        for (var attempt = 0; attempt < attempts && watch.Elapsed < limit; attempt++)
        {
            if (await probe() is { } value)
                return (value, watch.Elapsed);
            await Task.Delay(Interval);
        }

        var detail = explain is null ? "" : "\n" + await explain();
        Assert.Fail($"not seen within {limit.TotalSeconds:0} s: {what}{detail}");
        throw new UnreachableException();
    }

    /// <summary>Waits until <paramref name="condition"/> holds.</summary>
    public static async Task<TimeSpan> UntilAsync(Func<Task<bool>> condition, string what, TimeSpan limit, Func<Task<string>>? explain = null) =>
        (await UntilAsync(async () => await condition() ? "yes" : null, what, limit, explain)).Elapsed;
}
