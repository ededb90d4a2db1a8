using Doctor.Simulator.Network;

namespace Doctor.Simulator.Tests.Network;

public sealed class HostLinkTests
{
    private static readonly HostLink Link = new("compute-001", "dr-77-3", "dr77-3", 5);

    [Fact]
    public void Setup_NamespaceFirstThenPairBornInsideThenAddressesThenUp()
    {
        var steps = Link.Setup().Select(s => string.Join(' ', s)).ToList();
        Assert.Equal(
        [
            "netns add dr-77-3",
            "link add dr77-3 type veth peer name eth0 netns dr-77-3",
            "addr add 10.213.0.21/30 dev dr77-3",
            "-n dr-77-3 addr add 10.213.0.22/30 dev eth0",
            "link set dr77-3 up",
            "-n dr-77-3 link set eth0 up",
        ], steps);
    }

    [Fact]
    public void SetLink_AlwaysTheNicInsideTheNamespace()
    {
        // Taking the root-side end down would drop the /30 route and send probes out by the default route.
        Assert.Equal("-n dr-77-3 link set eth0 down", string.Join(' ', Link.SetLink(up: false)));
        Assert.Equal("-n dr-77-3 link set eth0 up", string.Join(' ', Link.SetLink(up: true)));
        Assert.Equal("neigh flush dev dr77-3", string.Join(' ', Link.ForgetNeighbour()));
    }
}
