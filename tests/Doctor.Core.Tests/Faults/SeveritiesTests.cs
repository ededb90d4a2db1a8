using Doctor.Faults;

namespace Doctor.Core.Tests.Faults;

public class SeveritiesTests
{
    [Theory]
    [InlineData("critical", Severity.Critical)]
    [InlineData("major", Severity.Major)]
    [InlineData("minor", Severity.Minor)]
    [InlineData("warning", Severity.Warning)]
    [InlineData("indeterminate", Severity.Indeterminate)]
    public void Severity_WireNames_RoundTrip(string name, Severity severity)
    {
        Assert.True(Severities.TryParse(name, out var parsed));
        Assert.Equal(severity, parsed);
        Assert.Equal(name, severity.Name());
    }

    [Fact]
    public void TryParse_MonitorsUpperCase_Accepted()
    {
        Assert.True(Severities.TryParse("CRITICAL", out var severity));
        Assert.Equal(Severity.Critical, severity);
    }

    [Theory]
    [InlineData("fatal")]
    [InlineData("")]
    [InlineData(null)]
    public void TryParse_Unknown_NotParsed(string? text)
    {
        Assert.False(Severities.TryParse(text, out _));
    }

    [Fact]
    public void Severity_Order_CriticalIsMostSevere()
    {
        Assert.True(Severity.Critical > Severity.Major);
        Assert.True(Severity.Major > Severity.Minor);
        Assert.True(Severity.Minor > Severity.Warning);
        Assert.True(Severity.Warning > Severity.Indeterminate);
    }
}
