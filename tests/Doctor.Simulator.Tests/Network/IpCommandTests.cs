using Doctor.Simulator.Network;

namespace Doctor.Simulator.Tests.Network;

/// <summary>The runner, with stand-ins for <c>ip</c> (no root needed).</summary>
public sealed class IpCommandTests
{
    [Fact]
    public async Task Run_ArgumentsPassedAsIsWithoutAShell()
    {
        var output = await new IpCommand("/bin/echo").RunAsync(CancellationToken.None, "a b", "$HOME", ";", "ls");
        Assert.Equal("a b $HOME ; ls\n", output);
    }

    [Fact]
    public async Task Run_NonZeroExit_ThrowsWithFirstLineOfComplaint()
    {
        var ex = await Assert.ThrowsAsync<IpCommandException>(() =>
            new IpCommand("/bin/sh").RunAsync(CancellationToken.None, "-c", "echo 'RTNETLINK answers: File exists' >&2; echo more >&2; exit 2"));
        Assert.EndsWith(": RTNETLINK answers: File exists", ex.Message);
        Assert.StartsWith("ip -c", ex.Message);
    }

    [Fact]
    public async Task Run_Cancelled_KillsAndThrows()
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new IpCommand("/bin/sleep").RunAsync(cancel.Token, "30"));
    }
}
