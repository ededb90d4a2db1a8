using System.Text.Json;
using Doctor.Server.Tests.Infrastructure;

namespace Doctor.Server.Tests.Events;

/// <summary>The southbound API (SPEC §3): <c>POST /v1/events</c>, <c>PUT /events</c>, and the admin's view of recorded events.</summary>
public sealed class EventEndpointsTests : ApiTest
{
    private static string Event(string id, string type = "vendor.test.ping", string? time = null) =>
        $$$"""{"id": "{{{id}}}", "time": "{{{time ?? DoctorHost.Now()}}}", "type": "{{{type}}}", "details": {"hostname": "compute-zulu-3", "source": "test"}}""";

    [Theory]
    [InlineData("single-wrapped")]
    [InlineData("list-wrapped")]
    [InlineData("bare-list")]
    [InlineData("bare-event")]
    public async Task Post_EachBodyShape_Returns202WithEventIds(string shape)
    {
        var body = shape switch
        {
            "single-wrapped" => $$"""{"event": {{Event("e-1")}}}""",
            "list-wrapped" => $$"""{"events": [{{Event("e-1")}}, {{Event("e-2")}}]}""",
            "bare-list" => $"[{Event("e-1")}, {Event("e-2")}]",
            _ => Event("e-1"),
        };
        var expected = shape is "list-wrapped" or "bare-list" ? new[] { "e-1", "e-2" } : ["e-1"];

        var accepted = await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/events", body), 202);

        Assert.Equal(expected.Length, accepted.GetProperty("accepted").GetInt32());
        Assert.Equal(expected, accepted.GetProperty("event_ids").EnumerateArray().Select(e => e.GetString()));
        foreach (var id in expected)
        {
            var recorded = await Doctor.WaitForEventAsync(id);
            Assert.Equal("vendor.test.ping", recorded.GetProperty("type").GetString());
        }
    }

    [Fact]
    public async Task Post_WithoutId_AssignsOne()
    {
        var accepted = await Doctor.PostEventsAsync(new { time = DoctorHost.Now(), type = "vendor.test.ping" });
        var id = accepted.GetProperty("event_ids")[0].GetString()!;
        Assert.False(string.IsNullOrEmpty(id));
        Assert.Equal(id, (await Doctor.WaitForEventAsync(id)).GetProperty("id").GetString());
    }

    [Fact]
    public async Task PutLegacyEvents_WithMonitorToken_Returns202AndProcesses()
    {
        await SeedCloudAsync();
        var monitor = await Doctor.CreateTokenAsync("monitor");
        var body = new { @event = new { id = "legacy-1", time = DoctorHost.Now(), type = "compute.host.down", details = new { hostname = Cloud.Host1 } } };

        var accepted = await DoctorHost.JsonAsync(await Doctor.SendAsync(HttpMethod.Put, "/events", monitor, body, openStackHeader: true), 202);

        Assert.Equal(["legacy-1"], accepted.GetProperty("event_ids").EnumerateArray().Select(e => e.GetString()));
        var recorded = await Doctor.WaitForEventAsync("legacy-1");
        Assert.Equal("processed", recorded.GetProperty("status").GetString());
        Assert.Equal("down", (await Doctor.GetJsonAsync($"/v1/hosts/{Cloud.Host1}")).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Post_RepeatedId_ReturnsSameIdAndIsProcessedOnce()
    {
        await SeedCloudAsync();
        var first = await Doctor.PostEventAndWaitAsync("compute.host.down", new { hostname = Cloud.Host1 }, id: "evt-dup");
        Assert.Equal("processed", first.GetProperty("status").GetString());

        // The monitor retries: once alone, once inside a bulk body.
        var again = await Doctor.PostEventsAsync(new { id = "evt-dup", time = DoctorHost.Now(), type = "compute.host.down", details = new { hostname = Cloud.Host1 } });
        Assert.Equal(["evt-dup"], again.GetProperty("event_ids").EnumerateArray().Select(e => e.GetString()));
        var bulk = await Doctor.PostEventsAsync(new
        {
            events = new object[]
            {
                new { id = "evt-dup", time = DoctorHost.Now(), type = "compute.host.down", details = new { hostname = Cloud.Host1 } },
                new { id = "evt-marker", time = DoctorHost.Now(), type = "vendor.test.ping" },
            },
        });
        Assert.Equal(["evt-dup", "evt-marker"], bulk.GetProperty("event_ids").EnumerateArray().Select(e => e.GetString()));
        await Doctor.WaitForEventAsync("evt-marker"); // everything before it has been applied

        var events = await Doctor.GetJsonAsync("/v1/events?type=compute.host.down");
        Assert.Equal(["evt-dup"], Ids(events.GetProperty("events")));
        var roots = await Doctor.GetJsonAsync("/v1/faults?resource_type=host&state=all");
        Assert.Single(roots.GetProperty("faults").EnumerateArray());
        var servers = await Doctor.GetJsonAsync("/v1/faults?resource_type=server&state=all");
        Assert.Equal(3, servers.GetProperty("faults").GetArrayLength());
    }

    [Fact]
    public async Task Post_RepeatedMonitorKey_ReturnsOriginalId()
    {
        var details = new { hostname = Cloud.Host3, monitor_id = "mon-7", monitor_event_id = "42" };
        var first = await Doctor.PostEventsAsync(new { id = "mon-a", time = DoctorHost.Now(), type = "vendor.test.ping", details });
        var second = await Doctor.PostEventsAsync(new { id = "mon-b", time = DoctorHost.Now(), type = "vendor.test.ping", details });

        Assert.Equal("mon-a", first.GetProperty("event_ids")[0].GetString());
        Assert.Equal("mon-a", second.GetProperty("event_ids")[0].GetString());
        await Doctor.WaitForEventAsync("mon-a");
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/events/mon-b"), 404);
    }

    [Theory]
    [InlineData("events")]
    [InlineData("bare")]
    public async Task Post_BulkWithOneBadEvent_Returns400NamingIndexAndRecordsNothing(string shape)
    {
        var events = $$"""[{{Event("ok-0")}}, {"id": "bad-1", "type": "vendor.test.ping"}, {{Event("ok-2")}}]""";
        var body = shape == "events" ? $$"""{"events": {{events}}}""" : events;

        var problem = await Problem.AssertAsync(await Doctor.PostAsync("/v1/events", body), 400, "events[1].time");

        Assert.DoesNotContain("events[0]", problem.GetProperty("detail").GetString());
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/events/ok-0"), 404);
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/events/ok-2"), 404);
        Assert.Empty((await Doctor.GetJsonAsync("/v1/events")).GetProperty("events").EnumerateArray());
    }

    [Theory]
    [InlineData("""{"time": "2026-01-31T12:00:00Z"}""", "event.type")]
    [InlineData("""{"type": "compute.host.down"}""", "event.time")]
    [InlineData("""{"type": "compute.host.down", "time": "yesterday"}""", "event.time")]
    [InlineData("""{"type": "compute.host.down", "time": 1769860800}""", "event.time")]
    [InlineData("""{"type": 5, "time": "2026-01-31T12:00:00Z"}""", "event.type")]
    [InlineData("""{"type": "", "time": "2026-01-31T12:00:00Z"}""", "event.type")]
    [InlineData("""{"id": "", "type": "x", "time": "2026-01-31T12:00:00Z"}""", "event.id")]
    [InlineData("""{"id": null, "type": "x", "time": "2026-01-31T12:00:00Z"}""", "event.id")]
    [InlineData("""{"type": "x", "time": "2026-01-31T12:00:00Z", "details": "host-1"}""", "event.details")]
    [InlineData("""{"type": "x", "time": "2026-01-31T12:00:00Z", "details": {"hostname": {"name": "h"}}}""", "event.details.hostname")]
    [InlineData("""{"type": "x", "time": "2026-01-31T12:00:00Z", "details": {"hostname": ""}}""", "event.details.hostname")]
    [InlineData("""{"type": "x", "time": "2026-01-31T12:00:00Z", "details": {"related_to": "vm-1"}}""", "event.details.related_to")]
    [InlineData("""{"event": [1]}""", "event")]
    [InlineData("""{"events": {"type": "x"}}""", "events")]
    [InlineData("""{"events": []}""", "event")]
    [InlineData("""[]""", "event")]
    [InlineData("""[42]""", "events[0]")]
    [InlineData("\"compute.host.down\"", "body")]
    [InlineData("""{"type": "x", "time": "2026-01-31T12:00:00Z",""", "body")]
    public async Task Post_InvalidEvent_Returns400NamingField(string body, string field)
    {
        await Problem.AssertAsync(await Doctor.PostAsync("/v1/events", body), 400, field);
        Assert.Empty((await Doctor.GetJsonAsync("/v1/events")).GetProperty("events").EnumerateArray());
    }

    [Fact]
    public async Task Post_OverlongValues_Returns400NamingField()
    {
        await Problem.AssertAsync(await Doctor.PostAsync("/v1/events", new { type = new string('t', 256), time = DoctorHost.Now() }), 400, "event.type");
        await Problem.AssertAsync(await Doctor.PostAsync("/v1/events", new { type = "x", time = DoctorHost.Now(), details = new { cause = new string('c', 4097) } }), 400, "event.details.cause");
        await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/events", new { type = new string('t', 255), time = DoctorHost.Now(), details = new { cause = new string('c', 4096) } }), 202);
    }

    [Fact]
    public async Task Post_10000Events_AreAllRecorded()
    {
        var body = "[" + string.Join(",", Enumerable.Range(0, 10_000).Select(i => $$"""{"id":"bulk-{{i:D5}}","type":"vendor.bulk","time":"2026-01-31T12:00:00Z"}""")) + "]";
        var accepted = await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/events", body), 202);

        Assert.Equal(10_000, accepted.GetProperty("accepted").GetInt32());
        Assert.Equal(10_000, accepted.GetProperty("event_ids").GetArrayLength());
        Assert.Equal("bulk-09999", accepted.GetProperty("event_ids")[9_999].GetString());
        await Doctor.WaitForEventAsync("bulk-09999");
        var page = await Doctor.GetJsonAsync("/v1/events?type=vendor.bulk&limit=1000");
        Assert.Equal(1000, page.GetProperty("events").GetArrayLength());
        Assert.Equal("bulk-00999", page.GetProperty("next").GetString());
    }

    [Fact]
    public async Task Post_MoreThan10000Events_Returns400()
    {
        var body = "[" + string.Join(",", Enumerable.Repeat("""{"type":"x","time":"2026-01-31T12:00:00Z"}""", 10_001)) + "]";
        await Problem.AssertAsync(await Doctor.PostAsync("/v1/events", body), 400, "events");
        Assert.Empty((await Doctor.GetJsonAsync("/v1/events")).GetProperty("events").EnumerateArray());
    }

    [Fact]
    public async Task Post_DeeplyNestedBody_Returns400()
    {
        var body = "{\"type\": \"x\", \"time\": \"2026-01-31T12:00:00Z\", \"extra\": " + new string('[', 64) + new string(']', 64) + "}";
        await Problem.AssertAsync(await Doctor.PostAsync("/v1/events", body), 400);
    }

    [Fact]
    public async Task Post_BodyOver4MiB_Returns413()
    {
        var body = "[" + string.Join(",", Enumerable.Repeat("""{"type":"x","time":"2026-01-31T12:00:00Z","details":{"cause":"PADDING-PADDING-PADDING-PADDING-PADDING-PADDING-PADDING-PADDING"}}""", 40_000)) + "]";
        Assert.True(body.Length > 4 * 1024 * 1024);
        await Problem.AssertAsync(await Doctor.PostAsync("/v1/events", body), 413);
    }

    [Fact]
    public async Task Post_NonJsonContentType_Returns415()
    {
        await Problem.AssertAsync(await Doctor.SendAsync(HttpMethod.Post, "/v1/events", Admin, Event("e-1"), "text/plain"), 415);
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/events/e-1"), 404);
    }

    [Fact]
    public async Task Post_UnknownType_IsRecordedAndIgnored()
    {
        var accepted = await Doctor.PostEventsAsync(new
        {
            id = "odd-1", time = "2026-01-31T12:00:00", type = "vendor.fan.noise",
            details = new { hostname = Cloud.Host3, severity = "minor", rpm = 9000, loud = true, related_to = new[] { "odd-0" } },
        });
        Assert.Equal(1, accepted.GetProperty("accepted").GetInt32());

        var recorded = await Doctor.WaitForEventAsync("odd-1");

        Assert.Equal("odd-1", recorded.GetProperty("id").GetString());
        Assert.Equal("vendor.fan.noise", recorded.GetProperty("type").GetString());
        Assert.Equal("ignored", recorded.GetProperty("status").GetString());
        Assert.Equal("2026-01-31T12:00:00.0000000Z", recorded.GetProperty("time").GetString()); // no offset: read as UTC
        Assert.Empty(recorded.GetProperty("fault_ids").EnumerateArray());
        var details = recorded.GetProperty("details");
        Assert.Equal(Cloud.Host3, details.GetProperty("hostname").GetString());
        Assert.Equal("9000", details.GetProperty("rpm").GetString());
        Assert.Equal("true", details.GetProperty("loud").GetString());
        Assert.Equal(["odd-0"], details.GetProperty("related_to").EnumerateArray().Select(e => e.GetString()));
        Assert.EndsWith("Z", recorded.GetProperty("recorded_at").GetString());
    }

    [Fact]
    public async Task Get_ProcessedFaultEvent_ShowsItsFaultIds()
    {
        await SeedCloudAsync();
        var recorded = await Doctor.PostEventAndWaitAsync("compute.host.down", new { hostname = Cloud.Host1 }, id: "evt-f");

        Assert.Equal("processed", recorded.GetProperty("status").GetString());
        var faultId = Assert.Single(recorded.GetProperty("fault_ids").EnumerateArray()).GetString()!;
        var fault = await Doctor.GetJsonAsync($"/v1/faults/{faultId}");
        Assert.Equal(Cloud.Host1, fault.GetProperty("resource_id").GetString());
        Assert.Equal("evt-f", fault.GetProperty("event_id").GetString());
    }

    [Fact]
    public async Task Post_SecondReportOfActiveFault_IsCorrelatedWithoutNewFault()
    {
        await SeedCloudAsync();
        var first = await Doctor.PostEventAndWaitAsync("compute.host.down", new { hostname = Cloud.Host1 }, id: "report-1");
        var second = await Doctor.PostEventAndWaitAsync("compute.host.down", new { hostname = Cloud.Host1 }, id: "report-2");

        Assert.Equal("processed", second.GetProperty("status").GetString());
        Assert.Equal(first.GetProperty("fault_ids")[0].GetString(), second.GetProperty("fault_ids")[0].GetString());
        Assert.Equal(7, (await Doctor.GetJsonAsync("/v1/faults?state=all")).GetProperty("faults").GetArrayLength());
    }

    [Fact]
    public async Task Post_EventForUnknownHost_IsIgnoredWithReason()
    {
        var recorded = await Doctor.PostEventAndWaitAsync("compute.host.down", new { hostname = "compute-ghost" });
        Assert.Equal("ignored", recorded.GetProperty("status").GetString());
        Assert.Contains("compute-ghost", recorded.GetProperty("reason").GetString());
        Assert.Empty((await Doctor.GetJsonAsync("/v1/faults?state=all")).GetProperty("faults").EnumerateArray());
    }

    [Theory]
    [InlineData("2026-01-31 12:00:00", "2026-01-31T12:00:00.0000000Z")]
    [InlineData("2026-01-31T14:00:00.5+02:00", "2026-01-31T12:00:00.5000000Z")]
    [InlineData("2026-01-31T12:00:00.123456789Z", "2026-01-31T12:00:00.1234567Z")]
    public async Task Post_OtherTimeForms_AreStoredInUtc(string time, string stored)
    {
        var accepted = await Doctor.PostEventsAsync(new { time, type = "vendor.test.ping" });
        var recorded = await Doctor.WaitForEventAsync(accepted.GetProperty("event_ids")[0].GetString()!);
        Assert.Equal(stored, recorded.GetProperty("time").GetString());
    }

    [Fact]
    public async Task Get_UnknownEvent_Returns404()
    {
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/events/never-posted"), 404);
    }

    [Fact]
    public async Task List_FiltersByTypeSinceAndLimit()
    {
        await Doctor.PostEventsAsync($"[{Event("l-1", "vendor.a", "2026-01-01T00:00:00Z")}, {Event("l-2", "vendor.b", "2026-01-02T00:00:00Z")}, {Event("l-3", "vendor.a", "2026-01-03T00:00:00Z")}]");
        await Doctor.WaitForEventAsync("l-3");

        Assert.Equal(["l-1", "l-2", "l-3"], Ids((await Doctor.GetJsonAsync("/v1/events")).GetProperty("events")));
        Assert.Equal(["l-1", "l-3"], Ids((await Doctor.GetJsonAsync("/v1/events?type=vendor.a")).GetProperty("events")));
        Assert.Equal(["l-2", "l-3"], Ids((await Doctor.GetJsonAsync("/v1/events?since=2026-01-02T00:00:00Z")).GetProperty("events")));
        Assert.Equal(["l-3"], Ids((await Doctor.GetJsonAsync("/v1/events?type=vendor.a&since=2026-01-01T12:00:00%2B00:00")).GetProperty("events")));
        Assert.Empty((await Doctor.GetJsonAsync("/v1/events?type=vendor.c")).GetProperty("events").EnumerateArray());

        var first = await Doctor.GetJsonAsync("/v1/events?limit=2");
        Assert.Equal(["l-1", "l-2"], Ids(first.GetProperty("events")));
        var next = first.GetProperty("next").GetString();
        Assert.Equal("l-2", next);
        var second = await Doctor.GetJsonAsync($"/v1/events?limit=2&marker={next}");
        Assert.Equal(["l-3"], Ids(second.GetProperty("events")));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next").ValueKind);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("since=last-week", "since")]
    public async Task List_InvalidQuery_Returns400NamingParameter(string query, string field)
    {
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/events?" + query), 400, field);
    }

    [Fact]
    public async Task PostAndGet_WithMonitorToken_PostAcceptedReadForbidden()
    {
        var monitor = await Doctor.CreateTokenAsync("monitor");
        var accepted = await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/events", Event("m-1"), monitor), 202);
        Assert.Equal("m-1", accepted.GetProperty("event_ids")[0].GetString());

        await Problem.AssertAsync(await Doctor.GetAsync("/v1/events", monitor), 403);
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/events/m-1", monitor), 403);
        await Doctor.WaitForEventAsync("m-1");
    }
}
