using Doctor.Simulator.Network;
using Doctor.Testing;

namespace Doctor.Simulator.Tests.Network;

public sealed class MachineLockTests
{
    [Fact]
    public async Task Acquire_WhileHeld_WaitsUntilReleased()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "lock");
        var first = await MachineLock.AcquireAsync(path, TimeSpan.FromSeconds(5), TimeProvider.System, CancellationToken.None);
        var second = MachineLock.AcquireAsync(path, TimeSpan.FromSeconds(30), TimeProvider.System, CancellationToken.None);
        await Task.Delay(200);
        Assert.False(second.IsCompleted);
        first.Dispose();
        (await second).Dispose();
    }

    [Fact]
    public async Task Acquire_HeldTooLong_TimesOut()
    {
        using var dir = new TempDirectory();
        var path = Path.Combine(dir.Path, "lock");
        using var held = await MachineLock.AcquireAsync(path, TimeSpan.FromSeconds(5), TimeProvider.System, CancellationToken.None);
        await Assert.ThrowsAsync<TimeoutException>(() => MachineLock.AcquireAsync(path, TimeSpan.FromMilliseconds(200), TimeProvider.System, CancellationToken.None));
    }
}
