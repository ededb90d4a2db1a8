using Doctor.Inspection;

namespace Doctor.Core.Tests.Inspection;

public sealed class PolicyDurationTests
{
    [Theory]
    [InlineData("60s", 60_000)]
    [InlineData("2m", 120_000)]
    [InlineData("500ms", 500)]
    [InlineData("1h", 3_600_000)]
    [InlineData("90", 90_000)]
    [InlineData("1.5", 1_500)]
    [InlineData(" 30s ", 30_000)]
    [InlineData("0.5m", 30_000)]
    [InlineData("24h", 86_400_000)]
    public void TryParse_Forms_GiveTheDuration(string text, long milliseconds)
    {
        Assert.True(PolicyDuration.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("ten seconds")]
    [InlineData("2d")]
    [InlineData("1,5")]
    [InlineData("25h")]
    [InlineData("1e400")]
    [InlineData("NaN")]
    [InlineData("00:01:00")]
    public void TryParse_NotADuration_IsRefused(string? text)
    {
        Assert.False(PolicyDuration.TryParse(text, out _));
    }

    [Theory]
    [InlineData(60_000, "60s")]
    [InlineData(120_000, "120s")]
    [InlineData(3_600_000, "1h")]
    [InlineData(500, "500ms")]
    [InlineData(1_500, "1500ms")]
    public void Format_Duration_ReadsBackTheSame(long milliseconds, string text)
    {
        var duration = TimeSpan.FromMilliseconds(milliseconds);

        Assert.Equal(text, PolicyDuration.Format(duration));
        Assert.True(PolicyDuration.TryParse(text, out var again));
        Assert.Equal(duration, again);
    }
}
