namespace Doctor.Testing;

/// <summary>
/// Bounded waiting for what background work reaches (never a fixed sleep, never a bound on how fast): a condition that
/// does not hold within the limit fails the test with a <see cref="TimeoutException"/> naming what was awaited.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);

    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        await TrueAsync(() => Task.FromResult(condition()), what, timeout);

    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Limit);
        var pause = 2;
        while (true)
        {
            if (await condition())
                return;
            if (DateTime.UtcNow >= deadline)
                throw new TimeoutException($"timed out after {(timeout ?? Limit).TotalSeconds:0.#} s waiting for {what}");
            await Task.Delay(pause);
            pause = Math.Min(pause * 2, 50);
        }
    }

    /// <summary>
    /// Moves <paramref name="time"/> forward by <paramref name="step"/> at a time, letting the background catch up in
    /// between, until <paramref name="condition"/> holds; at most <paramref name="steps"/> steps.
    /// </summary>
    public static async Task AdvanceUntilAsync(ManualTimeProvider time, Func<bool> condition, string what, TimeSpan step, int steps = 400)
    {
        for (var i = 0; i < steps; i++)
        {
            if (condition())
                return;
            time.Advance(step);
            // Let continuations that the timers released run (they hop to the thread pool).
            for (var k = 0; k < 20 && !condition(); k++)
                await Task.Delay(1);
        }

        if (!condition())
            throw new TimeoutException($"{what}: not reached after {steps} steps of {step.TotalSeconds} s of the manual clock");
    }

    /// <summary>Waits for <paramref name="task"/> with a bound, so a hang fails the test instead of the run.</summary>
    public static async Task<T> Within<T>(Task<T> task, string what, TimeSpan? timeout = null)
    {
        try
        {
            return await task.WaitAsync(timeout ?? Limit);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"timed out waiting for {what}");
        }
    }

    public static async Task Within(Task task, string what, TimeSpan? timeout = null)
    {
        try
        {
            await task.WaitAsync(timeout ?? Limit);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"timed out waiting for {what}");
        }
    }
}
