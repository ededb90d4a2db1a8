using System.Diagnostics;

namespace Doctor.Core.Tests.Support;

/// <summary>
/// Bounded polling for work that runs on other threads (engine, store writers, delivery on the thread pool):
/// the test waits for an observable condition, never for a fixed time, and fails with a reason after the bound.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var start = Stopwatch.GetTimestamp();
        while (!condition())
        {
            if (Stopwatch.GetElapsedTime(start) > limit)
                Assert.Fail($"timed out after {limit.TotalSeconds:0.#} s waiting for {what}");
            await Task.Delay(5);
        }
    }

    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var start = Stopwatch.GetTimestamp();
        while (!await condition())
        {
            if (Stopwatch.GetElapsedTime(start) > limit)
                Assert.Fail($"timed out after {limit.TotalSeconds:0.#} s waiting for {what}");
            await Task.Delay(5);
        }
    }

    /// <summary>Waits for <paramref name="task"/> with a bound, so a hang fails the test instead of the run.</summary>
    public static async Task<T> Within<T>(Task<T> task, string what, TimeSpan? timeout = null)
    {
        try
        {
            return await task.WaitAsync(timeout ?? DefaultTimeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"timed out waiting for {what}");
            throw;
        }
    }

    public static async Task Within(Task task, string what, TimeSpan? timeout = null)
    {
        try
        {
            await task.WaitAsync(timeout ?? DefaultTimeout);
        }
        catch (TimeoutException)
        {
            Assert.Fail($"timed out waiting for {what}");
            throw;
        }
    }
}
