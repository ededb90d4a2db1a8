using System.Diagnostics;
using Doctor.Simulator.Cloud;
using Doctor.Simulator.Monitoring;
using Doctor.Simulator.Network;

namespace Doctor.Simulator.Tests.Cloud;

public sealed class HostAgentsTests
{
    [Fact]
    public async Task FailAndRecover_ThroughTheSeam_ProbeSeesDeadThenAlive()
    {
        await using IHostNetwork agents = new HostAgents(["h1", "h2"]);
        var probe = new TcpProbe();
        var h1 = agents.TargetOf("h1");
        Assert.Equal("agent", agents.Kind);
        Assert.Equal("127.0.0.1", h1.Address);
        Assert.True(await probe.IsAliveAsync(h1, TimeSpan.FromSeconds(2), default));

        await agents.FailAsync("h1", default);
        var started = Stopwatch.StartNew();
        Assert.False(await probe.IsAliveAsync(h1, TimeSpan.FromSeconds(2), default));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(1), "a closed agent refuses at once");
        Assert.True(await probe.IsAliveAsync(agents.TargetOf("h2"), TimeSpan.FromSeconds(2), default));

        await agents.RecoverAsync("h1", default);
        Assert.Equal(h1, agents.TargetOf("h1"));
        Assert.True(await probe.IsAliveAsync(h1, TimeSpan.FromSeconds(2), default));
    }
}
