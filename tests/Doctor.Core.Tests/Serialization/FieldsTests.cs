using Doctor.Serialization;

namespace Doctor.Core.Tests.Serialization;

public class FieldsTests
{
    [Theory]
    [InlineData("compute-1")]
    [InlineData("a")]
    [InlineData("host with spaces")]
    [InlineData("ホスト-1")]
    [InlineData("emoji-😀")]
    public void IsIdentifier_PrintableText_Accepted(string value)
    {
        Assert.True(Fields.IsIdentifier(value));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("a\u0000b")]
    [InlineData("line\nbreak")]
    [InlineData("tab\t")]
    [InlineData("\u007f")]
    public void IsIdentifier_EmptyControlOrBrokenSurrogate_Refused(string? value)
    {
        Assert.False(Fields.IsIdentifier(value));
    }

    [Fact]
    public void IsIdentifier_LoneSurrogate_Refused()
    {
        // Built in code: theory data would be re-encoded (and the lone surrogate replaced) before it reached the test.
        Assert.False(Fields.IsIdentifier("lone-" + '\ud83d'));
        Assert.False(Fields.IsIdentifier('\ude00' + "-lone"));
        Assert.False(Fields.IsIdentifier("pair-reversed-" + '\ude00' + '\ud83d'));
    }

    [Fact]
    public void IsIdentifier_LengthLimit_255Accepted256Refused()
    {
        Assert.True(Fields.IsIdentifier(new string('x', 255)));
        Assert.False(Fields.IsIdentifier(new string('x', 256)));
    }

    [Theory]
    [InlineData("hostname", true)]
    [InlineData("server_id", true)]
    [InlineData("monitor_event_id", true)]
    [InlineData("cause", false)]
    [InlineData("source", false)]
    public void IsIdentifierDetail_ResourceNamingDetails_FollowIdentifierRules(string key, bool identifier)
    {
        Assert.Equal(identifier, Fields.IsIdentifierDetail(key));
    }
}
