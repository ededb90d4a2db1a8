using Doctor.Inventory;

namespace Doctor.Core.Tests.Inventory;

public class HostIdentityTests
{
    [Fact]
    public void For_ProjectAndHost_IsSha224OfTheirConcatenation()
    {
        // python3 -c "import hashlib;print(hashlib.sha224(b'project-acompute-1').hexdigest())"
        Assert.Equal("9c54c2dc16007bb20e79973ee6c721dbb9c39685a3c93be0ad1ec65c", HostIdentity.For("project-a", "compute-1"));
    }

    [Fact]
    public void For_NoProject_HashesTheHostAlone()
    {
        Assert.Equal("76bbca53221f6760c707ad45482158287e9517331091bdead1a3ca41", HostIdentity.For(null, "compute-1"));
    }

    [Fact]
    public void For_NoHost_ReturnsNull()
    {
        Assert.Null(HostIdentity.For("project-a", null));
    }

    [Fact]
    public void For_SameHostTwoProjects_GivesDifferentIds()
    {
        // Two tenants on one host cannot tell from host_id that they share it.
        Assert.NotEqual(HostIdentity.For("project-a", "compute-1"), HostIdentity.For("project-b", "compute-1"));
    }

    [Fact]
    public void For_RepeatedCall_ReturnsTheSameLowerCaseHex()
    {
        var first = HostIdentity.For("project-x", "compute-9");
        var second = HostIdentity.For("project-x", "compute-9");

        Assert.Equal(first, second);
        Assert.Matches("^[0-9a-f]{56}$", first);
    }

    [Fact]
    public void ServerHostId_UsesProjectAndHost()
    {
        var server = new Server { Id = "vm-1", ProjectId = "project-a", Host = "compute-1" };

        Assert.Equal(HostIdentity.For("project-a", "compute-1"), server.HostId);
    }
}
