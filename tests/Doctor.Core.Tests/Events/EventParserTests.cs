using System.Text;
using Doctor.Events;

namespace Doctor.Core.Tests.Events;

public class EventParserTests
{
    private const string HostDown =
        """{"id": "e-1", "time": "2026-01-31T12:00:00.000Z", "type": "compute.host.down", "details": {"hostname": "compute-1", "source": "ipmi"}}""";

    private static IReadOnlyList<RawEvent> Parse(string json) => EventParser.Parse(Encoding.UTF8.GetBytes(json));

    private static EventValidationException Rejects(string json) => Assert.Throws<EventValidationException>(() => Parse(json));

    private static string Event(int i, string time = "2026-01-31T12:00:00Z") =>
        $$$"""{"id": "e-{{{i}}}", "time": "{{{time}}}", "type": "compute.host.down", "details": {"hostname": "compute-{{{i}}}"}}""";

    private static void AssertHostDown(RawEvent e)
    {
        Assert.Equal("e-1", e.Id);
        Assert.Equal("compute.host.down", e.Type);
        Assert.Equal(new DateTimeOffset(2026, 1, 31, 12, 0, 0, TimeSpan.Zero), e.Time);
        Assert.Equal("compute-1", e.Detail("hostname"));
        Assert.Equal("ipmi", e.Detail("source"));
        Assert.Equal(EventOrigin.Monitor, e.Origin);
    }

    [Fact]
    public void Parse_EventWrapper_ReturnsTheEvent()
    {
        AssertHostDown(Assert.Single(Parse($$"""{"event": {{HostDown}}}""")));
    }

    [Fact]
    public void Parse_EventsWrapper_ReturnsEveryEventInOrder()
    {
        var events = Parse($$"""{"events": [{{HostDown}}, {{Event(2)}}]}""");

        Assert.Equal(2, events.Count);
        AssertHostDown(events[0]);
        Assert.Equal("e-2", events[1].Id);
    }

    [Fact]
    public void Parse_BareList_ReturnsEveryEvent()
    {
        var events = Parse($"[{HostDown}, {Event(2)}, {Event(3)}]");

        Assert.Equal(["e-1", "e-2", "e-3"], events.Select(e => e.Id));
        AssertHostDown(events[0]);
    }

    [Fact]
    public void Parse_BareEvent_ReturnsIt()
    {
        AssertHostDown(Assert.Single(Parse(HostDown)));
    }

    [Fact]
    public void Parse_NoId_GeneratesADistinctIdPerEvent()
    {
        var events = Parse("""[{"time": "2026-01-31T12:00:00Z", "type": "t"}, {"time": "2026-01-31T12:00:00Z", "type": "t"}]""");

        Assert.All(events, e => Assert.True(Guid.TryParse(e.Id, out _), $"'{e.Id}' is not a generated id"));
        Assert.NotEqual(events[0].Id, events[1].Id);
    }

    [Fact]
    public void Parse_NoDetails_GivesEmptyDetails()
    {
        var e = Assert.Single(Parse("""{"time": "2026-01-31T12:00:00Z", "type": "compute.host.down"}"""));

        Assert.Empty(e.Details);
        Assert.Empty(e.RelatedTo);
    }

    [Fact]
    public void Parse_TimeWithOffset_StoresUtc()
    {
        var e = Assert.Single(Parse("""{"time": "2026-01-31T14:00:00+02:00", "type": "t"}"""));

        Assert.Equal(new DateTimeOffset(2026, 1, 31, 12, 0, 0, TimeSpan.Zero), e.Time);
        Assert.Equal(TimeSpan.Zero, e.Time.Offset);
    }

    [Fact]
    public void Parse_BadTimeInThirdEvent_NamesItsIndex()
    {
        var error = Rejects($"[{Event(0)}, {Event(1)}, {Event(2, "yesterday")}]");

        Assert.Equal("events[2].time", error.Field);
        Assert.Contains("events[2].time", error.Message);
    }

    [Fact]
    public void Parse_BadEventInEventsWrapper_NamesItsIndex()
    {
        var error = Rejects($$"""{"events": [{{Event(0)}}, {"time": "2026-01-31T12:00:00Z"}]}""");

        Assert.Equal("events[1].type", error.Field);
    }

    [Theory]
    [InlineData("""{"type": "t"}""", "event.time")]
    [InlineData("""{"time": "2026-01-31T12:00:00Z"}""", "event.type")]
    [InlineData("""{"time": "2026-01-31T12:00:00Z", "type": ""}""", "event.type")]
    [InlineData("""{"time": "2026-01-31T12:00:00Z", "type": 7}""", "event.type")]
    [InlineData("""{"time": 1769860800, "type": "t"}""", "event.time")]
    [InlineData("""{"time": "2026-01-31T12:00:00Z", "type": "t", "id": ""}""", "event.id")]
    [InlineData("""{"time": "2026-01-31T12:00:00Z", "type": "t", "id": 5}""", "event.id")]
    [InlineData("""{"time": "2026-01-31T12:00:00Z", "type": "t", "details": "x"}""", "event.details")]
    [InlineData("""{"time": "2026-01-31T12:00:00Z", "type": "t", "details": []}""", "event.details")]
    [InlineData("""{"event": {"time": "2026-01-31T12:00:00Z"}}""", "event.type")]
    [InlineData("""{"event": 42}""", "event")]
    [InlineData("""[42]""", "events[0]")]
    [InlineData("""{"events": {"time": "2026-01-31T12:00:00Z", "type": "t"}}""", "events")]
    [InlineData("""42""", "body")]
    [InlineData("""not json""", "body")]
    [InlineData("""{"time": "2026-01-31T12:00:00Z", "type": "t",""", "body")]
    [InlineData("", "body")]
    public void Parse_InvalidEvent_NamesTheField(string json, string field)
    {
        Assert.Equal(field, Rejects(json).Field);
    }

    [Fact]
    public void Parse_IdLongerThan255_Rejected()
    {
        var error = Rejects($$"""{"id": "{{new string('x', 256)}}", "time": "2026-01-31T12:00:00Z", "type": "t"}""");

        Assert.Equal("event.id", error.Field);
    }

    [Fact]
    public void Parse_IdOf255Characters_Accepted()
    {
        var id = new string('x', 255);

        Assert.Equal(id, Assert.Single(Parse($$"""{"id": "{{id}}", "time": "2026-01-31T12:00:00Z", "type": "t"}""")).Id);
    }

    [Fact]
    public void Parse_IdWithControlCharacter_Rejected()
    {
        Assert.Equal("event.id", Rejects("""{"id": "a\u0000b", "time": "2026-01-31T12:00:00Z", "type": "t"}""").Field);
    }

    [Theory]
    [InlineData("[]", "events")]
    [InlineData("""{"events": []}""", "events")]
    public void Parse_EmptyList_Rejected(string json, string field)
    {
        Assert.Equal(field, Rejects(json).Field);
    }

    [Fact]
    public void Parse_MoreThan10000Events_Rejected()
    {
        var json = "[" + string.Join(",", Enumerable.Repeat("""{"time": "2026-01-31T12:00:00Z", "type": "t"}""", 10_001)) + "]";

        var error = Rejects(json);

        Assert.Equal("events", error.Field);
        Assert.Contains("10000", error.Message);
    }

    [Fact]
    public void Parse_Exactly10000Events_Accepted()
    {
        var json = "[" + string.Join(",", Enumerable.Repeat("""{"time": "2026-01-31T12:00:00Z", "type": "t"}""", 10_000)) + "]";

        Assert.Equal(10_000, Parse(json).Count);
    }

    [Fact]
    public void Parse_NumberAndBooleanDetails_KeepTheirJsonText()
    {
        var e = Assert.Single(Parse("""{"time": "2026-01-31T12:00:00Z", "type": "t", "details": {"temp": 91.5, "count": 3, "fatal": true, "note": null}}"""));

        Assert.Equal("91.5", e.Detail("temp"));
        Assert.Equal("3", e.Detail("count"));
        Assert.Equal("true", e.Detail("fatal"));
        Assert.Equal(string.Empty, e.Detail("note"));
    }

    [Theory]
    [InlineData("""{"nested": {"a": 1}}""", "event.details.nested")]
    [InlineData("""{"list": [1, 2]}""", "event.details.list")]
    public void Parse_NonScalarDetail_NamesTheDetail(string details, string field)
    {
        var error = Rejects($$"""{"time": "2026-01-31T12:00:00Z", "type": "t", "details": {{details}}}""");

        Assert.Equal(field, error.Field);
    }

    [Fact]
    public void Parse_HostnameLongerThan255_Rejected()
    {
        var error = Rejects($$$"""{"time": "2026-01-31T12:00:00Z", "type": "compute.host.down", "details": {"hostname": "{{{new string('h', 256)}}}"}}""");

        Assert.Equal("event.details.hostname", error.Field);
    }

    [Fact]
    public void Parse_EmptyHostname_Rejected()
    {
        var error = Rejects("""{"time": "2026-01-31T12:00:00Z", "type": "compute.host.down", "details": {"hostname": ""}}""");

        Assert.Equal("event.details.hostname", error.Field);
    }

    [Fact]
    public void Parse_HostnameInThirdEventTooLong_NamesIndexAndDetail()
    {
        var bad = $$$"""{"time": "2026-01-31T12:00:00Z", "type": "compute.host.down", "details": {"hostname": "{{{new string('h', 300)}}}"}}""";

        var error = Rejects($"[{Event(0)}, {Event(1)}, {bad}]");

        Assert.Equal("events[2].details.hostname", error.Field);
    }

    [Fact]
    public void Parse_FreeTextDetailOf4KiB_Accepted()
    {
        var cause = new string('c', 4096);

        var e = Assert.Single(Parse($$$"""{"time": "2026-01-31T12:00:00Z", "type": "t", "details": {"cause": "{{{cause}}}"}}"""));

        Assert.Equal(cause, e.Detail("cause"));
    }

    [Fact]
    public void Parse_FreeTextDetailOver4KiB_Rejected()
    {
        var error = Rejects($$$"""{"time": "2026-01-31T12:00:00Z", "type": "t", "details": {"cause": "{{{new string('c', 4097)}}}"}}""");

        Assert.Equal("event.details.cause", error.Field);
    }

    [Fact]
    public void Parse_MultiByteDetailOver4KiBInUtf8_Rejected()
    {
        // 2,000 characters, 6,000 bytes: the limit is on bytes.
        var error = Rejects($$$"""{"time": "2026-01-31T12:00:00Z", "type": "t", "details": {"cause": "{{{new string('€', 2000)}}}"}}""");

        Assert.Equal("event.details.cause", error.Field);
    }

    [Fact]
    public void Parse_DetailKeyLongerThan255_Rejected()
    {
        var error = Rejects($$$"""{"time": "2026-01-31T12:00:00Z", "type": "t", "details": {"{{{new string('k', 256)}}}": "v"}}""");

        Assert.Equal("event.details", error.Field);
    }

    [Fact]
    public void Parse_RelatedTo_KeptApartFromDetails()
    {
        var e = Assert.Single(Parse("""{"time": "2026-01-31T12:00:00Z", "type": "t", "details": {"related_to": ["e-1", "e-2"], "source": "x"}}"""));

        Assert.Equal(["e-1", "e-2"], e.RelatedTo.ToArray());
        Assert.False(e.Details.ContainsKey("related_to"));
        Assert.Equal("x", e.Detail("source"));
    }

    [Fact]
    public void Parse_RelatedToNotAList_Rejected()
    {
        var error = Rejects("""{"time": "2026-01-31T12:00:00Z", "type": "t", "details": {"related_to": "e-1"}}""");

        Assert.Equal("event.details.related_to", error.Field);
    }

    [Fact]
    public void Parse_RelatedToWithBadId_NamesTheItem()
    {
        var error = Rejects("""{"time": "2026-01-31T12:00:00Z", "type": "t", "details": {"related_to": ["e-1", 2]}}""");

        Assert.Equal("event.details.related_to[1]", error.Field);
    }

    [Fact]
    public void Parse_MonitorIds_FormTheDedupKey()
    {
        var e = Assert.Single(Parse("""{"time": "2026-01-31T12:00:00Z", "type": "t", "details": {"monitor_id": "m-1", "monitor_event_id": 17}}"""));

        Assert.Equal("m-1\n17", e.MonitorKey);
    }

    [Fact]
    public void Parse_NestingDeeperThan32_RejectedAsBody()
    {
        var deep = string.Concat(Enumerable.Repeat("[", 40)) + string.Concat(Enumerable.Repeat("]", 40));

        Assert.Equal("body", Rejects(deep).Field);
    }

    [Fact]
    public void Parse_UnknownTopLevelFields_AreIgnored()
    {
        var e = Assert.Single(Parse("""{"time": "2026-01-31T12:00:00Z", "type": "t", "severity": "major", "extra": {"a": [1]}}"""));

        Assert.Equal("t", e.Type);
        Assert.Empty(e.Details);
    }

    [Fact]
    public void Parse_OriginInBody_IsStillAMonitorEvent()
    {
        // Only Doctor itself writes admin events; a monitor cannot pose as an admin state change.
        var e = Assert.Single(Parse("""{"time": "2026-01-31T12:00:00Z", "type": "doctor.host.state", "origin": "admin", "details": {"hostname": "compute-1", "forced_down": "false"}}"""));

        Assert.Equal(EventOrigin.Monitor, e.Origin);
    }

    [Theory]
    [InlineData("""{"time": "2026-01-31T12:00:00Z", "type": "a\ud800"}""")]
    [InlineData("""{"time": "2026-01-31T12:00:00Z", "type": "t", "details": {"cause": "\udc00"}}""")]
    [InlineData("""{"time": "2026-01-31T12:00:00Z", "type": "t", "details": {"\ud800": "x"}}""")]
    public void Parse_LoneSurrogateEscape_RejectedNotThrown(string json)
    {
        // Found by the hostile-input suite: GetString threw InvalidOperationException, and POST /v1/events answered 500.
        Assert.Equal("event", Rejects(json).Field);
    }

    [Theory]
    [InlineData("""{"\ud800": "x", "time": "2026-01-31T12:00:00Z", "type": "t"}""")]
    [InlineData("""{"ev\udc00ent": {"time": "2026-01-31T12:00:00Z", "type": "t"}}""")]
    public void Parse_LoneSurrogateEscapeInATopLevelName_RejectedAsBody(string json)
    {
        // Found by the fuzz loop: the "events"/"event" lookup reads every top-level name and threw (500).
        Assert.Equal("body", Rejects(json).Field);
    }

    [Fact]
    public void Parse_InvalidUtf8InAString_RejectedNamingTheEvent()
    {
        byte[] body = [.. Encoding.UTF8.GetBytes("[{\"time\": \"2026-01-31T12:00:00Z\", \"type\": \"t\"}, {\"time\": \"2026-01-31T12:00:00Z\", \"type\": \"a"), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("\"}]")];

        Assert.Equal("events[1]", Assert.Throws<EventValidationException>(() => EventParser.Parse(body)).Field);
    }
}
