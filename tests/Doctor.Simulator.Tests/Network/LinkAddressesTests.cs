using System.Net;
using Doctor.Simulator.Network;

namespace Doctor.Simulator.Tests.Network;

public sealed class LinkAddressesTests
{
    [Theory]
    [InlineData(0, "10.213.0.1", "10.213.0.2")]
    [InlineData(1, "10.213.0.5", "10.213.0.6")]
    [InlineData(64, "10.213.1.1", "10.213.1.2")]
    [InlineData(16383, "10.213.255.253", "10.213.255.254")]
    public void Block_HostSideDotOneNamespaceSideDotTwo(int block, string host, string ns)
    {
        Assert.Equal(IPAddress.Parse(host), LinkAddresses.HostSide(block));
        Assert.Equal(IPAddress.Parse(ns), LinkAddresses.NamespaceSide(block));
        Assert.Equal(block, LinkAddresses.BlockOf(LinkAddresses.HostSide(block)));
        Assert.Equal(block, LinkAddresses.BlockOf(LinkAddresses.NamespaceSide(block)));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(16384)]
    public void Block_OutsideTheSlash16_Throws(int block) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => LinkAddresses.HostSide(block));

    [Fact]
    public void EveryAddress_InsideTheTestRangeAndNeverNetworkOrBroadcast()
    {
        var range = IPNetwork.Parse("10.213.0.0/16");
        for (var block = 0; block < LinkAddresses.Blocks; block++)
        {
            var host = LinkAddresses.HostSide(block);
            var ns = LinkAddresses.NamespaceSide(block);
            Assert.True(range.Contains(host) && range.Contains(ns));
            Assert.True(IPNetwork.Parse($"{host.GetAddressBytes()[0]}.{host.GetAddressBytes()[1]}.{host.GetAddressBytes()[2]}.{host.GetAddressBytes()[3] & ~3}/30").Contains(ns));
            Assert.InRange(host.GetAddressBytes()[3] & 3, 1, 2);
            Assert.InRange(ns.GetAddressBytes()[3] & 3, 1, 2);
        }
    }

    [Theory]
    [InlineData("10.212.255.255")]
    [InlineData("10.214.0.0")]
    [InlineData("192.168.1.1")]
    [InlineData("::1")]
    public void BlockOf_OutsideTheRange_Null(string address) => Assert.Null(LinkAddresses.BlockOf(IPAddress.Parse(address)));

    [Fact]
    public void ReadRoutes_OurVethsUsedOtherRoutesIntoTheRangeForeignTheRestIgnored()
    {
        var (used, foreign) = LinkAddresses.ReadRoutes(
        [
            "default via 192.0.2.1 dev eth0 ",
            "10.0.0.0/8 via 192.0.2.9 dev eth0 ",
            "10.213.0.0/30 dev dr77-0 proto kernel scope link src 10.213.0.1 ",
            "10.213.0.4/30 dev dr77-1 proto kernel scope link src 10.213.0.5 linkdown ",
            "192.0.2.0/24 dev eth0 proto kernel scope link src 192.0.2.2 ",
            "",
        ]);
        Assert.Equal([0, 1], used.Order());
        Assert.Empty(foreign);

        (_, foreign) = LinkAddresses.ReadRoutes(["10.213.0.0/16 dev wg0 scope link ", "blackhole 10.213.9.0/24 ", "10.213.3.7 via 192.0.2.1 dev eth0 "]);
        Assert.Equal(3, foreign.Count);
    }

    [Fact]
    public void Free_LowestUnusedBlocks()
    {
        Assert.Equal([1, 3, 4], LinkAddresses.Free(new HashSet<int> { 0, 2 }, 3));
        Assert.Empty(LinkAddresses.Free(new HashSet<int>(), 0));
    }

    [Fact]
    public void Free_NotEnough_Throws() =>
        Assert.Throws<InvalidOperationException>(() => LinkAddresses.Free(Enumerable.Range(1, LinkAddresses.Blocks - 1).ToHashSet(), 2));
}
