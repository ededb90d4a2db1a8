using Doctor.Subscriptions;

namespace Doctor.Core.Tests.Subscriptions;

public class GlobTests
{
    [Theory]
    [InlineData("compute.host.down", "compute.host.down")]
    [InlineData("*", "")]
    [InlineData("*", "anything.at.all")]
    [InlineData("compute.host.*", "compute.host.down")]
    [InlineData("compute.host.*", "compute.host.nic.down")]
    [InlineData("compute.host.*", "compute.host.")]
    [InlineData("compute.*.down", "compute.host.nic.down")]
    [InlineData("*.down", "power.pdu.down")]
    [InlineData("compute.host.?ic.down", "compute.host.nic.down")]
    [InlineData("a*b*c", "aXXbYYbZZc")]
    [InlineData("*ab", "aaab")]
    [InlineData("**", "x")]
    [InlineData("", "")]
    public void IsMatch_MatchingText_ReturnsTrue(string pattern, string text)
    {
        Assert.True(Glob.IsMatch(pattern, text));
    }

    [Theory]
    [InlineData("compute.host.down", "compute.host.up")]
    [InlineData("compute.host.*", "compute.hostx.down")]
    [InlineData("compute.host.*", "network.switch.down")]
    [InlineData("compute.host.down", "compute.host.down.extra")]
    [InlineData("compute.host.down", "Compute.Host.Down")]
    [InlineData("?", "")]
    [InlineData("?", "ab")]
    [InlineData("a*b*c", "aXXbYYbZZ")]
    [InlineData("", "x")]
    [InlineData("*.down", "power.pdu.up")]
    public void IsMatch_OtherText_ReturnsFalse(string pattern, string text)
    {
        Assert.False(Glob.IsMatch(pattern, text));
    }

    [Fact]
    public void IsMatch_ManyStarsAgainstLongMismatch_FinishesQuickly()
    {
        // A pathological pattern must not backtrack exponentially (the notifier runs it on the hot path).
        var text = new string('a', 10_000);
        var pattern = string.Concat(Enumerable.Repeat("*a", 50)) + "b";

        Assert.False(Glob.IsMatch(pattern, text));
    }
}
