using System.Net;
using Doctor.Notification;

namespace Doctor.Core.Tests.Notification;

public class CallbackPolicyTests
{
    [Theory]
    [InlineData("http://127.0.0.1:8080/notify")]
    [InlineData("http://localhost:8080/notify")]
    [InlineData("http://[::1]:8080/notify")]
    [InlineData("http://10.1.2.3/cb")]
    [InlineData("http://172.16.0.5/cb")]
    [InlineData("http://192.168.1.20:9000/cb")]
    [InlineData("https://vnfm.example.net/doctor")]
    [InlineData("http://[fd12:3456::1]/cb")]
    public void Check_DefaultPolicyLoopbackPrivateOrName_Allowed(string url)
    {
        Assert.Null(CallbackPolicy.Default.Check(url));
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://169.254.1.1/")]
    [InlineData("http://2852039166/")] // 169.254.169.254 as one decimal number
    [InlineData("http://0251.0376.0251.0376/")] // the same in octal
    [InlineData("http://[fe80::1]/cb")]
    [InlineData("http://[FE80::abcd:1]:8080/cb")]
    [InlineData("http://[fe80::1%25eth0]/cb")] // with a zone id
    [InlineData("http://[::ffff:169.254.169.254]/")] // IPv4-mapped IPv6
    [InlineData("http://0.0.0.0:8080/")]
    [InlineData("http://100.100.100.200/")]
    [InlineData("http://[fd00:ec2::254]/")]
    public void Check_DefaultPolicyLinkLocalOrMetadata_Refused(string url)
    {
        var reason = CallbackPolicy.Default.Check(url);

        Assert.NotNull(reason);
        Assert.Contains("callback_url", reason);
    }

    [Theory]
    [InlineData("ftp://127.0.0.1/cb")]
    [InlineData("file:///etc/passwd")]
    [InlineData("gopher://127.0.0.1:70/")]
    [InlineData("javascript:alert(1)")]
    [InlineData("/relative/path")]
    [InlineData("127.0.0.1:8080/cb")]
    [InlineData("")]
    [InlineData(null)]
    public void Check_NotAnAbsoluteHttpUrl_Refused(string? url)
    {
        Assert.NotNull(CallbackPolicy.Default.Check(url));
    }

    [Fact]
    public void Check_CredentialsInUrl_Refused()
    {
        Assert.NotNull(CallbackPolicy.Default.Check("http://user:pass@127.0.0.1/cb"));
    }

    [Fact]
    public void Check_UrlLongerThan2048_Refused()
    {
        Assert.NotNull(CallbackPolicy.Default.Check("http://127.0.0.1/" + new string('a', 2048)));
    }

    [Fact]
    public void Check_AllowedList_OnlyThoseNetworks()
    {
        var policy = new CallbackPolicy(allowed: ["10.20.0.0/16", "2001:db8::/32"]);

        Assert.Null(policy.Check("http://10.20.3.4/cb"));
        Assert.Null(policy.Check("http://[2001:db8::5]/cb"));
        Assert.NotNull(policy.Check("http://10.21.0.1/cb"));
        Assert.NotNull(policy.Check("http://127.0.0.1/cb"));
        Assert.NotNull(policy.Check("http://192.168.1.1/cb"));
    }

    [Fact]
    public void IsAllowed_AllowedListOverlappingDenied_DeniedStillWins()
    {
        var policy = new CallbackPolicy(allowed: ["169.254.0.0/16"]);

        Assert.False(policy.IsAllowed(IPAddress.Parse("169.254.169.254")));
    }

    [Fact]
    public void IsAllowed_ReplacedDeniedList_AllowsWhatTheDefaultRefused()
    {
        var policy = new CallbackPolicy(denied: ["10.0.0.0/8"]);

        Assert.True(policy.IsAllowed(IPAddress.Parse("169.254.169.254")));
        Assert.False(policy.IsAllowed(IPAddress.Parse("10.9.8.7")));
    }

    [Fact]
    public void IsAllowed_EmptyAllowedList_MeansAnythingNotDenied()
    {
        var policy = new CallbackPolicy(allowed: []);

        Assert.True(policy.IsAllowed(IPAddress.Parse("8.8.8.8")));
        Assert.False(policy.IsAllowed(IPAddress.Parse("169.254.169.254")));
    }

    [Fact]
    public void IsAllowed_MappedAddress_JudgedAsItsIPv4()
    {
        Assert.False(CallbackPolicy.Default.IsAllowed(IPAddress.Parse("::ffff:169.254.169.254")));
        Assert.True(CallbackPolicy.Default.IsAllowed(IPAddress.Parse("::ffff:127.0.0.1")));
    }
}
