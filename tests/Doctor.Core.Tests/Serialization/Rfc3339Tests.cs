using Doctor.Serialization;

namespace Doctor.Core.Tests.Serialization;

public class Rfc3339Tests
{
    [Theory]
    [InlineData("2026-01-31T12:00:00Z", "2026-01-31T12:00:00.0000000Z")]
    [InlineData("2026-01-31T12:00:00.5Z", "2026-01-31T12:00:00.5000000Z")]
    [InlineData("2026-01-31T12:00:00.123+02:00", "2026-01-31T10:00:00.1230000Z")]
    [InlineData("2026-01-31T01:30:00-05:30", "2026-01-31T07:00:00.0000000Z")]
    [InlineData("2026-01-31T23:30:00-01:00", "2026-02-01T00:30:00.0000000Z")]
    [InlineData("2026-01-31t12:00:00z", "2026-01-31T12:00:00.0000000Z")]
    [InlineData("2026-01-31T12:00:00+00:00", "2026-01-31T12:00:00.0000000Z")]
    public void TryParse_WithOffset_ConvertsToUtc(string text, string expectedUtc)
    {
        Assert.True(Rfc3339.TryParse(text, out var value));

        Assert.Equal(TimeSpan.Zero, value.Offset);
        Assert.Equal(expectedUtc, Rfc3339.Format(value));
    }

    [Fact]
    public void TryParse_NoOffset_ReadsAsUtc()
    {
        Assert.True(Rfc3339.TryParse("2026-01-31T12:00:00", out var value));

        Assert.Equal(new DateTimeOffset(2026, 1, 31, 12, 0, 0, TimeSpan.Zero), value);
    }

    [Fact]
    public void TryParse_SpaceSeparator_AcceptedAsFenixSends()
    {
        Assert.True(Rfc3339.TryParse("2026-01-31 12:00:00", out var value));

        Assert.Equal(new DateTimeOffset(2026, 1, 31, 12, 0, 0, TimeSpan.Zero), value);
    }

    [Fact]
    public void TryParse_NineFractionDigits_KeepsTicksAndDropsTheRest()
    {
        Assert.True(Rfc3339.TryParse("2026-01-31T12:00:00.123456789Z", out var value));

        Assert.Equal(new DateTimeOffset(2026, 1, 31, 12, 0, 0, TimeSpan.Zero).AddTicks(1_234_567), value);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("2026-01-31")]
    [InlineData("12:00:00")]
    [InlineData("2026-13-01T00:00:00Z")]
    [InlineData("2026-02-30T00:00:00Z")]
    [InlineData("2026-01-31T24:00:01Z")]
    [InlineData("2026-01-31T12:60:00Z")]
    [InlineData("2026-01-31T12:00:00+0200")]
    [InlineData("2026-01-31T12:00:00+2:00")]
    [InlineData("2026-01-31T12:00:00Z ")]
    [InlineData(" 2026-01-31T12:00:00Z")]
    [InlineData("2026-01-31T12:00:00.Z")]
    [InlineData("2026-01-31T12:00:00.1234567890Z")]
    [InlineData("2026-1-31T12:00:00Z")]
    [InlineData("31/01/2026 12:00:00")]
    [InlineData("Sat, 31 Jan 2026 12:00:00 GMT")]
    [InlineData("2026-01-31T12:00:00Z\n")]
    [InlineData("٢٠٢٦-٠١-٣١T12:00:00Z")] // Arabic-Indic digits match \d but are no RFC 3339 digits
    public void TryParse_NotRfc3339_ReturnsFalse(string? text)
    {
        Assert.False(Rfc3339.TryParse(text, out _));
    }

    [Fact]
    public void TryParse_VeryLongInput_ReturnsFalse()
    {
        Assert.False(Rfc3339.TryParse("2026-01-31T12:00:00." + new string('1', 100) + "Z", out _));
    }

    [Fact]
    public void Format_NonUtcOffset_WritesUtcWithSevenFractionDigits()
    {
        var value = new DateTimeOffset(2026, 7, 4, 14, 5, 6, TimeSpan.FromHours(2)).AddTicks(42);

        Assert.Equal("2026-07-04T12:05:06.0000042Z", Rfc3339.Format(value));
    }

    [Fact]
    public void Format_ThenTryParse_RoundTripsExactly()
    {
        var value = new DateTimeOffset(2026, 3, 1, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_999);

        Assert.True(Rfc3339.TryParse(Rfc3339.Format(value), out var back));
        Assert.Equal(value, back);
    }

    [Fact]
    public void Format_TimesInOrder_SortAsTextInTheSameOrder()
    {
        // The store compares formatted times as text.
        var earlier = new DateTimeOffset(2026, 1, 1, 9, 0, 0, TimeSpan.Zero);
        var later = earlier.AddTicks(1);

        Assert.True(string.CompareOrdinal(Rfc3339.Format(earlier), Rfc3339.Format(later)) < 0);
        Assert.True(string.CompareOrdinal(Rfc3339.Format(later), Rfc3339.Format(earlier.AddSeconds(10))) < 0);
    }
}
