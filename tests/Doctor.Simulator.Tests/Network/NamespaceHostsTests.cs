using System.Diagnostics;
using Doctor.Simulator.Monitoring;
using Doctor.Simulator.Network;
using Xunit.Abstractions;

namespace Doctor.Simulator.Tests.Network;

/// <summary>
/// The real thing where it can run (root, iproute2: CI); elsewhere the same test checks that creation refuses
/// cleanly with a reason and leaves nothing behind. The reason is written to the test output either way.
/// </summary>
public sealed class NamespaceHostsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Create_TwoHosts_ProbedAcrossTheVethLinkDownTimesOutLinkUpAnswers()
    {
        NamespaceHosts hosts;
        try
        {
            hosts = await NamespaceHosts.CreateAsync(["h1", "h2"], TimeProvider.System, CancellationToken.None);
        }
        catch (LinkUnavailableException ex)
        {
            output.WriteLine($"SKIPPED (namespaces cannot be created here): {ex.Message}");
            Assert.False(string.IsNullOrWhiteSpace(ex.Message));
            if (!Environment.IsPrivilegedProcess)
                Assert.Contains("root", ex.Message, StringComparison.Ordinal);
            return;
        }

        string[] names;
        await using (hosts)
        {
            names = [.. hosts.Links.Values.Select(l => l.Namespace)];
            Assert.Equal("link", hosts.Kind);
            var h1 = hosts.TargetOf("h1");
            var h2 = hosts.TargetOf("h2");
            Assert.NotEqual(h1.Address, h2.Address);
            Assert.StartsWith("10.213.", h1.Address, StringComparison.Ordinal);
            var probe = new TcpProbe();
            var interval = new MonitorOptions().Interval;
            Assert.True(await AnswersAsync(probe, h1, interval), "h1 should answer across its veth");
            Assert.True(await AnswersAsync(probe, h2, interval), "h2 should answer across its veth");

            await hosts.FailAsync("h1", CancellationToken.None);
            Assert.False(await probe.IsAliveAsync(h1, interval, CancellationToken.None));
            // No refusal, no route error: the SYN dies in the veth and the connect runs into its timeout, as for a dead host.
            // Asserted on how the connect ends, not on elapsed time (timers may fire a little early on a busy machine).
            Assert.Equal("timed out", await HowConnectEndsAsync(h1, interval));
            Assert.True(await AnswersAsync(probe, h2, interval), "h2 must not be affected");

            await hosts.RecoverAsync("h1", CancellationToken.None);
            Assert.True(await AnswersAsync(probe, h1, interval), "h1 should answer again after link up");
        }

        var left = await new IpCommand(IpCommand.Find()!.Path).RunAsync(CancellationToken.None, "netns", "list");
        Assert.All(names, n => Assert.DoesNotContain(n, left, StringComparison.Ordinal));
    }

    private static async Task<string> HowConnectEndsAsync(ProbeTarget target, TimeSpan timeout)
    {
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await socket.ConnectAsync(target.Address, target.Port, deadline.Token);
            return "connected";
        }
        catch (OperationCanceledException)
        {
            return "timed out";
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            return $"failed: {ex.SocketErrorCode}";
        }
    }

    // A probe may race the link coming up, or wait for ARP; the monitor, too, just keeps knocking.
    private async Task<bool> AnswersAsync(TcpProbe probe, ProbeTarget target, TimeSpan interval)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(5))
        {
            if (await probe.IsAliveAsync(target, interval, CancellationToken.None))
            {
                output.WriteLine($"{target.Address} answered after {waited.Elapsed.TotalMilliseconds:0.0} ms");
                return true;
            }
        }

        return false;
    }
}
