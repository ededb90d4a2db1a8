namespace Doctor.Server.Tests.Infrastructure;

/// <summary>Bounded polling for state the engine or the dispatcher reaches asynchronously (never a fixed sleep).</summary>
public static class Eventually
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Limit);
        var pause = 5;
        while (true)
        {
            if (await condition())
                return;
            if (DateTime.UtcNow >= deadline)
                Assert.Fail($"timed out after {(timeout ?? Limit).TotalSeconds:0.#} s waiting for {what}");
            await Task.Delay(pause);
            pause = Math.Min(pause * 2, 50);
        }
    }
}
