using Doctor.Simulator.Network;

namespace Doctor.Simulator.Tests.Network;

public sealed class LinkNamesTests
{
    [Fact]
    public void Names_CarryProcessAndSerial()
    {
        Assert.Equal("dr-4242-7", LinkNames.Namespace(4242, 7));
        Assert.Equal("dr4242-7", LinkNames.HostVeth(4242, 7));
    }

    [Fact]
    public void HostVeth_LargestLinuxPidAndManyHosts_FitsAnInterfaceName()
    {
        // pid_max can be 2^22 (7 digits); 99999 hosts is far beyond the 16384 /30 blocks there are.
        var name = LinkNames.HostVeth(4_194_304, 99_999);
        Assert.True(name.Length <= LinkNames.MaxInterfaceName, name);
        Assert.True(LinkNames.IsHostVeth(name));
    }

    [Fact]
    public void HostVeth_TooLong_Throws() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => LinkNames.HostVeth(41_943_040, 999_999));

    [Theory]
    [InlineData("dr-123-0", 123)]
    [InlineData("dr-4194304-16383", 4194304)]
    public void OwnerOfNamespace_OurName_ItsPid(string name, int pid) => Assert.Equal(pid, LinkNames.OwnerOfNamespace(name));

    [Theory]
    [InlineData("dr-abc-1")]
    [InlineData("dr-1-2-3")]
    [InlineData("drx-1-2")]
    [InlineData("dr123-0")]
    [InlineData("my-netns")]
    [InlineData("")]
    public void OwnerOfNamespace_NotOurs_Null(string name) => Assert.Null(LinkNames.OwnerOfNamespace(name));

    [Fact]
    public void Stale_OnlyOursWhoseProcessIsGone()
    {
        var alive = new HashSet<int> { 10, 20 };
        var stale = LinkNames.Stale(["dr-10-0", "dr-11-0", "dr-11-1", "dr-20-5", "dr-30-0", "customer-ns", "dr-x-1"], alive.Contains);
        Assert.Equal(["dr-11-0", "dr-11-1", "dr-30-0"], stale);
    }

    [Theory]
    [InlineData("dr123-4", true)]
    [InlineData("dr-123-4", false)]
    [InlineData("eth0", false)]
    [InlineData("dr123-4x", false)]
    public void IsHostVeth_OnlyOurPattern(string name, bool ours) => Assert.Equal(ours, LinkNames.IsHostVeth(name));
}
