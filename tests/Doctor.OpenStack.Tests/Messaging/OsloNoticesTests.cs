using System.Collections.Immutable;
using System.Text;
using System.Text.Json.Nodes;
using Doctor.Inventory;
using Doctor.Maintenance;
using Doctor.Notification;
using Doctor.OpenStack.Messaging;
using Doctor.OpenStack.Sync;
using Doctor.OpenStack.Tests.Infrastructure;
using Doctor.State;
using Doctor.Subscriptions;
using Microsoft.Extensions.Logging.Abstractions;

namespace Doctor.OpenStack.Tests.Messaging;

/// <summary>
/// What Doctor publishes on the cloud's bus (<see cref="OsloNotices"/>, <see cref="OsloPublisher.Envelope"/>): per project
/// only that project's resources, suppressed faults left out, maintenance messages as Fenix sends them, in the oslo v2
/// envelope. No broker is involved: the publisher's queue is read directly.
/// </summary>
public sealed class OsloNoticesTests
{
    private readonly Engine _engine = new();
    private readonly OsloPublisher _publisher = new(new OpenStackOptions(), NullLogger<OsloPublisher>.Instance);
    private readonly RecordingSink _inner = new();

    private OsloNotices Notices(string? doctorUrl = null) => new(_inner, _publisher, doctorUrl);

    private List<OsloMessage> Published()
    {
        var list = new List<OsloMessage>();
        while (_publisher.Queued.TryRead(out var message))
            list.Add(message);
        return list;
    }

    private sealed class RecordingSink : INoticeSink
    {
        public List<Notice> Notices { get; } = [];

        public void Publish(IReadOnlyList<Notice> notices, DoctorState state) => Notices.AddRange(notices);
    }

    // ---- faults ---------------------------------------------------------------------------------------------------------

    [Fact]
    public void Publish_HostDown_OneMessagePerProjectWithOnlyItsResources()
    {
        var notice = _engine.HostDown("compute-1");

        Notices().Publish([notice], _engine.State);

        Assert.Same(notice, Assert.Single(_inner.Notices)); // the owners' notifier gets the notice first, unchanged
        var messages = Published().OrderBy(m => m.ProjectId, StringComparer.Ordinal).ToList();
        Assert.Equal(["tenant-a", "tenant-b"], messages.Select(m => m.ProjectId));
        Assert.All(messages, m => Assert.Equal(OsloNotices.FaultEvent, m.EventType));

        var a = messages[0].Payload;
        Assert.Equal(("tenant-a", "tenant-a"), ((string?)a["project_id"], (string?)a["tenant_id"]));
        var ids = a["resources"]!.AsArray().Select(r => (string?)r!["resource_id"]).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["port-a1", "port-a2", "port-a3", "vm-a1", "vm-a2", "vm-a3"], ids);
        Assert.Equal(["port-b1", "vm-b1"], messages[1].Payload["resources"]!.AsArray().Select(r => (string?)r!["resource_id"]).Order(StringComparer.Ordinal));
        Assert.StartsWith("vm-a", (string?)a["instance_id"]);
        var vm = a["resources"]!.AsArray().First(r => (string?)r!["resource_id"] == "vm-a1")!;
        Assert.Equal(("server", "error", "DOWN"), ((string?)vm["resource_type"], (string?)vm["state"], (string?)vm["host_status"]));
        Assert.Equal(_engine.State.Map.Servers.Get("vm-a1")!.HostId, (string?)vm["host_id"]);
        var fault = vm["faults"]![0]!;
        Assert.Equal(("compute.host.down", "critical", "active"), ((string?)fault["fault_type"], (string?)fault["severity"], (string?)fault["state"]));
    }

    [Fact]
    public void Publish_HostDown_NoHostNameNoRawDetailsNoForeignIds()
    {
        // The monitor names the host in its own event id and details; tenants must see none of it.
        var notice = _engine.Apply("compute.host.down", ("hostname", "compute-1"), ("cause", "BMC of compute-1 says PSU2 lost"), ("source", "ipmi-compute-1"));
        notice = notice! with { EventId = "compute-1-psu-event-77" };

        Notices().Publish([notice], _engine.State);

        foreach (var message in Published())
        {
            var text = message.Payload.ToJsonString();
            Assert.DoesNotContain("compute-1", text);
            Assert.DoesNotContain("PSU2", text);
            var other = message.ProjectId == "tenant-a" ? "tenant-b" : "tenant-a";
            Assert.DoesNotContain(other, text);
            Assert.DoesNotContain(message.ProjectId == "tenant-a" ? "vm-b1" : "vm-a1", text);
        }
    }

    [Fact]
    public void Publish_SameNoticeTwice_SameNotificationIdPerProject()
    {
        var notice = _engine.HostDown("compute-1");

        Notices().Publish([notice], _engine.State);
        Notices().Publish([notice], _engine.State);

        var byProject = Published().GroupBy(m => m.ProjectId).ToList();
        Assert.All(byProject, g => Assert.Single(g.Select(m => (string?)m.Payload["notification_id"]).Distinct()));
        Assert.NotEqual((string?)byProject[0].First().Payload["notification_id"], (string?)byProject[1].First().Payload["notification_id"]);
    }

    [Fact]
    public void Publish_Recovery_FaultClearedEvent()
    {
        _engine.HostDown("compute-1");
        var notice = _engine.HostUp("compute-1");

        Notices().Publish([notice], _engine.State);

        var messages = Published();
        Assert.Equal(2, messages.Count);
        Assert.All(messages, m => Assert.Equal(OsloNotices.ClearedEvent, m.EventType));
        Assert.All(messages, m => Assert.Equal("cleared", (string?)m.Payload["resources"]![0]!["faults"]![0]!["state"]));
    }

    [Fact]
    public void Publish_FaultOnAHostInMaintenance_SuppressedSoNothingForTenants()
    {
        _engine.Edit(map => map.PutHost(map.Host("compute-1")! with
        {
            Enabled = false, Maintenance = new HostMaintenance(MaintenanceState.InMaintenance, "session-1", Engine.Start),
        }));
        var notice = _engine.HostDown("compute-1");
        Assert.All(notice.Resources.SelectMany(r => r.Faults), f => Assert.True(f.IsSuppressed));

        Notices().Publish([notice], _engine.State);

        Assert.Empty(Published());
        Assert.Single(_inner.Notices); // admins still hear of it through the notifier
    }

    [Fact]
    public void FaultPayloads_SuppressedFaultsOfOneResource_LeftOutOthersKept()
    {
        var notice = _engine.HostDown("compute-1");
        var vmA1 = notice.Resources.First(r => r.Id == "vm-a1");
        var suppressed = vmA1 with { Faults = [.. vmA1.Faults.Select(f => f with { SuppressedBy = "silence:s-1" })] };
        notice = notice with { Resources = [.. notice.Resources.Select(r => r.Id == "vm-a1" ? suppressed : r)] };

        var payloads = OsloNotices.FaultPayloads(notice).ToDictionary(p => p.Project, p => p.Payload);

        Assert.DoesNotContain("vm-a1", payloads["tenant-a"].ToJsonString());
        Assert.Contains("vm-a2", payloads["tenant-a"].ToJsonString());
    }

    [Fact]
    public void Publish_Warning_PublishedWithItsSeverity()
    {
        Notices().Publish([_engine.Apply("compute.host.temperature.high", ("hostname", "compute-2"))!], _engine.State);

        var message = Assert.Single(Published());
        Assert.Equal(("tenant-a", OsloNotices.FaultEvent), (message.ProjectId, message.EventType));
        Assert.Equal("warning", (string?)message.Payload["resources"]![0]!["faults"]![0]!["severity"]);
    }

    [Fact]
    public void Publish_PortOnlyNotice_PublishedWithoutAnInstance()
    {
        Notices().Publish([_engine.Apply("compute.host.nic.down", ("hostname", "compute-2"))!], _engine.State);

        var message = Assert.Single(Published());
        Assert.Null(message.Payload["instance_id"]);
        Assert.Equal("port", (string?)message.Payload["resources"]![0]!["resource_type"]);
    }

    // ---- maintenance ------------------------------------------------------------------------------------------------------

    private static MaintenanceMessage ProjectMessage() => new(
        "session-7", "tenant-a", null, "PLANNED_MAINTENANCE", ["vm-a1", "vm-a2"], ["MIGRATE", "LIVE_MIGRATE", "OWN_ACTION"],
        new DateTimeOffset(2026, 3, 1, 10, 30, 0, TimeSpan.Zero), new DateTimeOffset(2026, 3, 1, 10, 32, 5, 250, TimeSpan.FromHours(2)),
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("openstack_version", "Zed")]));

    [Fact]
    public void Publish_ProjectMaintenanceMessage_AsFenixSendsIt()
    {
        var notice = new Notice(NotificationType.Maintenance, "m-1", [], null) { Maintenance = ProjectMessage() };

        Notices("http://doctor.example:12345/").Publish([notice], _engine.State);

        var message = Assert.Single(Published());
        Assert.Equal((MaintenanceMessage.ProjectEvent, "tenant-a"), (message.EventType, message.ProjectId));
        var p = message.Payload;
        Assert.Equal("session-7", (string?)p["session_id"]);
        Assert.Equal("tenant-a", (string?)p["project_id"]);
        Assert.Equal("PLANNED_MAINTENANCE", (string?)p["state"]);
        Assert.Equal(["vm-a1", "vm-a2"], p["instance_ids"]!.AsArray().Select(i => (string?)i));
        Assert.Equal(["MIGRATE", "LIVE_MIGRATE", "OWN_ACTION"], p["allowed_actions"]!.AsArray().Select(i => (string?)i));
        // Fenix's format: what an app manager written for Fenix parses (it splits the text at the space).
        Assert.Equal("2026-03-01 10:30:00", (string?)p["actions_at"]);
        Assert.Equal("2026-03-01 08:32:05", (string?)p["reply_at"]); // in UTC
        Assert.Equal("http://doctor.example:12345/v1/maintenance/session-7/tenant-a", (string?)p["reply_url"]);
        Assert.Equal("Zed", (string?)p["metadata"]!["openstack_version"]);
    }

    [Fact]
    public void Publish_ProjectMaintenanceMessageWithoutDoctorUrl_ReplyUrlIsThePath()
    {
        var payload = OsloNotices.MaintenancePayload(ProjectMessage() with { ActionsAt = null, ReplyAt = null }, null);

        Assert.Equal("/v1/maintenance/session-7/tenant-a", (string?)payload["reply_url"]);
        Assert.Null(payload["actions_at"]);
        Assert.Null(payload["reply_at"]);
    }

    [Fact]
    public void Publish_HostMaintenanceMessage_AsFenixSendsIt()
    {
        var host = new MaintenanceMessage("session-7", null, "compute-2", "IN_MAINTENANCE", [], [], null, null, ImmutableSortedDictionary<string, string>.Empty);

        Notices().Publish([new Notice(NotificationType.Maintenance, "m-2", [], null) { Maintenance = host }], _engine.State);

        var message = Assert.Single(Published());
        Assert.Equal((MaintenanceMessage.HostEvent, (string?)null), (message.EventType, message.ProjectId));
        Assert.Equal(
            JsonNode.Parse("""{"host":"compute-2","state":"IN_MAINTENANCE","session_id":"session-7","project_id":null}"""),
            message.Payload, JsonNode.DeepEquals);
    }

    // ---- the envelope ---------------------------------------------------------------------------------------------------

    [Fact]
    public void Envelope_IsOsloV2WithTheMessageAsAString()
    {
        var at = new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);
        var message = new OsloMessage("doctor.fault", new JsonObject { ["project_id"] = "tenant-a", ["resources"] = new JsonArray() }, "tenant-a", at);

        var outer = JsonNode.Parse(OsloPublisher.Envelope(message))!.AsObject();

        Assert.Equal(["oslo.version", "oslo.message"], outer.Select(p => p.Key));
        Assert.Equal("2.0", (string?)outer["oslo.version"]);
        var inner = JsonNode.Parse((string)outer["oslo.message"]!)!;
        Assert.Equal("doctor.fault", (string?)inner["event_type"]);
        Assert.Equal("INFO", (string?)inner["priority"]);
        Assert.StartsWith("doctor.", (string?)inner["publisher_id"]);
        Assert.Equal("2026-01-02 03:04:05.678000", (string?)inner["timestamp"]);
        Assert.Equal("tenant-a", (string?)inner["_context_project_id"]);
        Assert.Equal("tenant-a", (string?)inner["_context_tenant"]);
        Assert.True(Guid.TryParse((string?)inner["message_id"], out _));
        Assert.Equal(32, ((string?)inner["_unique_id"])!.Length);
        Assert.Equal("tenant-a", (string?)inner["payload"]!["project_id"]);
    }

    [Fact]
    public void Envelope_EachMessageItsOwnIds()
    {
        var message = new OsloMessage("doctor.fault", [], null, DateTimeOffset.UnixEpoch);

        var first = JsonNode.Parse((string)JsonNode.Parse(OsloPublisher.Envelope(message))!["oslo.message"]!)!;
        var second = JsonNode.Parse((string)JsonNode.Parse(OsloPublisher.Envelope(message))!["oslo.message"]!)!;

        Assert.NotEqual((string?)first["message_id"], (string?)second["message_id"]);
        Assert.NotEqual((string?)first["_unique_id"], (string?)second["_unique_id"]);
    }

    [Fact]
    public void Envelope_ReadBackByDoctorsOwnReader()
    {
        var bytes = OsloPublisher.Envelope(new OsloMessage("port.delete.end", new JsonObject { ["port_id"] = "port-1" }, null, DateTimeOffset.UnixEpoch));

        var (type, changes) = OsloNotification.Read(bytes);

        Assert.Equal("port.delete.end", type);
        Assert.Equal(new CloudChange.PortGone("port-1"), Assert.Single(changes));
        Assert.Contains("\"oslo.message\":\"", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
    }
}
