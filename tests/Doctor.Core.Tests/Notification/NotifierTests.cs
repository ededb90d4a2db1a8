using System.Text;
using System.Text.Json;
using Doctor.Core.Tests.Support;
using Doctor.Faults;
using Doctor.Inventory;
using Doctor.Notification;
using Doctor.Profiling;
using Doctor.Serialization;
using Doctor.Subscriptions;
using Doctor.Testing;

namespace Doctor.Core.Tests.Notification;

public class NotifierTests
{
    private readonly ManualTimeProvider _clock = new(TestMap.Start.AddMinutes(3));
    private readonly CapturingDeliverySink _sink = new();
    private readonly ProcessorHarness _doctor = new();

    private IReadOnlyList<(Subscription Subscription, Delivery Delivery)> Publish(RawEventKind kind, params Subscription[] subscriptions)
    {
        var result = kind switch
        {
            RawEventKind.HostDown => _doctor.Apply(TestMap.HostEvent("compute.host.down", "compute-1", "e-down")),
            RawEventKind.HostUp => _doctor.Apply(TestMap.HostEvent("compute.host.up", "compute-1", "e-up")),
            RawEventKind.NicDown => _doctor.Apply(TestMap.HostEvent("compute.host.nic.down", "compute-1", "e-nic")),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var state = _doctor.State with { Subscriptions = SubscriptionBook.From(subscriptions) };
        var before = _sink.Items.Count;
        new Notifier(_sink, _clock).Publish([result.Notice!], state);
        return [.. _sink.Items.Skip(before)];
    }

    public enum RawEventKind
    {
        HostDown,
        HostUp,
        NicDown,
    }

    private static JsonElement Body(Delivery delivery) => JsonDocument.Parse(delivery.Body).RootElement;

    private static string[] ResourceIds(Delivery delivery) =>
        [.. Body(delivery).GetProperty("resources").EnumerateArray().Select(r => r.GetProperty("resource_id").GetString()!)];

    private static Delivery For(IEnumerable<(Subscription Subscription, Delivery Delivery)> items, string subscriptionId) =>
        Assert.Single(items, i => i.Subscription.SubscriptionId == subscriptionId).Delivery;

    [Fact]
    public void Publish_ManySubscriptions_WrittenInParallelEachStillGetsExactlyItsOwn()
    {
        // Past Notifier.ParallelFrom the notifications of one event are written on several threads.
        var subscriptions = Enumerable.Range(0, Notifier.ParallelFrom).Select(i => TestMap.Subscription($"sub-a-{i:00}", TestMap.ProjectA))
            .Concat(Enumerable.Range(0, Notifier.ParallelFrom).Select(i => TestMap.Subscription($"sub-b-{i:00}", TestMap.ProjectB)))
            .Append(TestMap.Subscription("sub-admin", null))
            .ToArray();

        var sent = Publish(RawEventKind.HostDown, subscriptions);

        Assert.Equal(subscriptions.Length, sent.Count);
        Assert.Equal(subscriptions.Select(s => s.SubscriptionId).Order(), sent.Select(s => s.Subscription.SubscriptionId).Order());
        foreach (var (subscription, delivery) in sent.Where(s => s.Subscription.ProjectId == TestMap.ProjectA))
            Assert.Equal(["vm-a1", "vm-a2", "vm-a3", "port-a1", "port-a2"], ResourceIds(delivery));
        foreach (var (subscription, delivery) in sent.Where(s => s.Subscription.ProjectId == TestMap.ProjectB))
            Assert.Equal(["vm-b1", "port-b1"], ResourceIds(delivery));
        Assert.Equal(sent.Count, sent.Select(s => s.Delivery.NotificationId).Distinct().Count());
    }

    [Fact]
    public void Publish_HostDown_OneNotificationPerSubscriptionWithAllOfItsProjectsResources()
    {
        var sent = Publish(RawEventKind.HostDown,
            TestMap.Subscription("sub-a", TestMap.ProjectA), TestMap.Subscription("sub-a2", TestMap.ProjectA), TestMap.Subscription("sub-b", TestMap.ProjectB));

        Assert.Equal(3, sent.Count);
        Assert.Equal(["vm-a1", "vm-a2", "vm-a3", "port-a1", "port-a2"], ResourceIds(For(sent, "sub-a")));
        Assert.Equal(["vm-a1", "vm-a2", "vm-a3", "port-a1", "port-a2"], ResourceIds(For(sent, "sub-a2")));
        Assert.Equal(["vm-b1", "port-b1"], ResourceIds(For(sent, "sub-b")));
    }

    [Fact]
    public void Publish_ProjectWithNothingAffected_GetsNothing()
    {
        var sent = Publish(RawEventKind.HostDown, TestMap.Subscription("sub-c", "project-c"));

        Assert.Empty(sent);
    }

    [Fact]
    public void Publish_TenantNotification_NeverShowsTheHostNameOrRawDetails()
    {
        var delivery = For(Publish(RawEventKind.HostDown, TestMap.Subscription("sub-b", TestMap.ProjectB)), "sub-b");

        var text = Encoding.UTF8.GetString(delivery.Body);
        Assert.DoesNotContain("compute-1", text);
        Assert.DoesNotContain("ipmi-monitor-7", text);
        Assert.DoesNotContain("PSU2", text);
        foreach (var resource in Body(delivery).GetProperty("resources").EnumerateArray())
        {
            Assert.False(resource.TryGetProperty("host", out _));
            Assert.Equal(HostIdentity.For(TestMap.ProjectB, "compute-1"), resource.GetProperty("host_id").GetString());
            Assert.Equal("DOWN", resource.GetProperty("host_status").GetString());
            var fault = Assert.Single(resource.GetProperty("faults").EnumerateArray());
            Assert.Empty(fault.GetProperty("details").EnumerateObject());
            Assert.Equal("host failure", fault.GetProperty("probable_cause").GetString());
        }
    }

    [Fact]
    public void Publish_TenantNotification_NeverShowsOtherProjectsResourcesOrTheSharedRootFault()
    {
        var delivery = For(Publish(RawEventKind.HostDown, TestMap.Subscription("sub-b", TestMap.ProjectB)), "sub-b");

        var root = Assert.Single(_doctor.State.Faults.All.After(null), f => f.IsRootCause);
        var foreign = _doctor.State.Faults.All.After(null).Where(f => f.ProjectId != TestMap.ProjectB).Select(f => f.FaultId);
        var text = Encoding.UTF8.GetString(delivery.Body);
        Assert.DoesNotContain(root.FaultId, text);
        Assert.All(foreign, id => Assert.DoesNotContain(id, text));
        Assert.DoesNotContain("vm-a", text);
        Assert.DoesNotContain(HostIdentity.For(TestMap.ProjectA, "compute-1")!, text);
    }

    [Fact]
    public void Publish_TenantNotification_HasTheSpecFields()
    {
        var delivery = For(Publish(RawEventKind.HostDown, TestMap.Subscription("sub-b", TestMap.ProjectB)), "sub-b");

        var body = Body(delivery);
        Assert.Equal(delivery.NotificationId, body.GetProperty("notification_id").GetString());
        Assert.Equal("fault", body.GetProperty("notification_type").GetString());
        Assert.Equal("sub-b", body.GetProperty("subscription_id").GetString());
        Assert.Equal(TestMap.ProjectB, body.GetProperty("project_id").GetString());
        Assert.Equal(Rfc3339.Format(_clock.GetUtcNow()), body.GetProperty("generated_at").GetString());
        var server = body.GetProperty("resources")[0];
        Assert.Equal("server", server.GetProperty("resource_type").GetString());
        Assert.Equal("error", server.GetProperty("state").GetString());
        var fault = server.GetProperty("faults")[0];
        var stored = _doctor.State.Faults.All.After(null).Single(f => f.ResourceId == "vm-b1");
        Assert.Equal(stored.FaultId, fault.GetProperty("fault_id").GetString());
        Assert.Equal("compute.host.down", fault.GetProperty("fault_type").GetString());
        Assert.Equal("critical", fault.GetProperty("severity").GetString());
        Assert.Equal(Rfc3339.Format(stored.EventTime), fault.GetProperty("event_time").GetString());
        Assert.Equal(Rfc3339.Format(stored.RaisedAt), fault.GetProperty("raised_at").GetString());
        Assert.Equal(JsonValueKind.Null, fault.GetProperty("cleared_at").ValueKind);
        Assert.False(fault.GetProperty("is_root_cause").GetBoolean());
        Assert.Equal("DOWN", body.GetProperty("resources")[1].GetProperty("state").GetString());
    }

    [Fact]
    public void Publish_GlobalAdminSubscription_GetsTheHostEveryProjectAndTheDetails()
    {
        var delivery = For(Publish(RawEventKind.HostDown, TestMap.Subscription("sub-admin", project: null)), "sub-admin");

        var body = Body(delivery);
        Assert.Equal(JsonValueKind.Null, body.GetProperty("project_id").ValueKind);
        Assert.Equal(["compute-1", "vm-a1", "vm-a2", "vm-a3", "vm-b1", "port-a1", "port-a2", "port-b1"], ResourceIds(delivery));
        var host = body.GetProperty("resources")[0];
        Assert.Equal("host", host.GetProperty("resource_type").GetString());
        Assert.Equal("compute-1", host.GetProperty("host").GetString());
        var root = host.GetProperty("faults")[0];
        Assert.True(root.GetProperty("is_root_cause").GetBoolean());
        Assert.Equal(7, root.GetProperty("correlated_fault_ids").GetArrayLength());
        Assert.Equal("ipmi-monitor-7", root.GetProperty("details").GetProperty("source").GetString());
        var server = body.GetProperty("resources")[4];
        Assert.Equal(TestMap.ProjectB, server.GetProperty("project_id").GetString());
        Assert.Equal(root.GetProperty("fault_id").GetString(), server.GetProperty("faults")[0].GetProperty("correlated_fault_ids")[0].GetString());
    }

    [Fact]
    public void Publish_AdminSubscriptionForAProject_IsTreatedAsThatTenant()
    {
        var delivery = For(Publish(RawEventKind.HostDown, TestMap.Subscription("sub-admin-b", TestMap.ProjectB)), "sub-admin-b");

        Assert.Equal(["vm-b1", "port-b1"], ResourceIds(delivery));
        Assert.DoesNotContain("compute-1", Encoding.UTF8.GetString(delivery.Body));
    }

    [Fact]
    public void Publish_ResourceTypesFilter_KeepsOnlyThoseTypes()
    {
        var filter = new SubscriptionFilter { ResourceTypes = [ResourceType.Server] };

        var delivery = For(Publish(RawEventKind.HostDown, TestMap.Subscription("sub-a", TestMap.ProjectA, filter)), "sub-a");

        Assert.Equal(["vm-a1", "vm-a2", "vm-a3"], ResourceIds(delivery));
    }

    [Fact]
    public void Publish_TenantFilteringOnHosts_GetsNothing()
    {
        var filter = new SubscriptionFilter { ResourceTypes = [ResourceType.Host] };

        Assert.Empty(Publish(RawEventKind.HostDown, TestMap.Subscription("sub-a", TestMap.ProjectA, filter)));
    }

    [Fact]
    public void Publish_ResourceIdsFilter_KeepsOnlyThoseResources()
    {
        var filter = new SubscriptionFilter { ResourceIds = ["vm-a2", "port-a2"] };

        var delivery = For(Publish(RawEventKind.HostDown, TestMap.Subscription("sub-a", TestMap.ProjectA, filter)), "sub-a");

        Assert.Equal(["vm-a2", "port-a2"], ResourceIds(delivery));
    }

    [Fact]
    public void Publish_FaultTypesFilterNotMatching_SendsNothing()
    {
        var filter = new SubscriptionFilter { FaultTypes = ["compute.instance.*"] };

        Assert.Empty(Publish(RawEventKind.HostDown, TestMap.Subscription("sub-a", TestMap.ProjectA, filter)));
    }

    [Fact]
    public void Publish_FaultTypesFilterMatching_Sends()
    {
        var filter = new SubscriptionFilter { FaultTypes = ["compute.host.*"] };

        Assert.Single(Publish(RawEventKind.HostDown, TestMap.Subscription("sub-a", TestMap.ProjectA, filter)));
    }

    [Fact]
    public void Publish_MinSeverityCritical_SkipsAMajorNicFault()
    {
        var filter = new SubscriptionFilter { MinSeverity = Severity.Critical };

        Assert.Empty(Publish(RawEventKind.NicDown, TestMap.Subscription("sub-a", TestMap.ProjectA, filter)));
    }

    [Fact]
    public void Publish_MinSeverityMajor_SendsTheMajorNicFault()
    {
        var filter = new SubscriptionFilter { MinSeverity = Severity.Major };

        var delivery = For(Publish(RawEventKind.NicDown, TestMap.Subscription("sub-a", TestMap.ProjectA, filter)), "sub-a");

        Assert.Equal(["port-a1", "port-a2"], ResourceIds(delivery));
    }

    [Fact]
    public void Publish_OnlyFaultClearedWanted_SkipsTheFaultAndSendsTheClearing()
    {
        var subscription = TestMap.Subscription("sub-a", TestMap.ProjectA, new SubscriptionFilter { NotificationTypes = [NotificationType.FaultCleared] });

        var onFault = Publish(RawEventKind.HostDown, subscription);
        var onClear = Publish(RawEventKind.HostUp, subscription);

        Assert.Empty(onFault);
        var delivery = Assert.Single(onClear).Delivery;
        Assert.Equal(NotificationType.FaultCleared, delivery.Type);
        var body = Body(delivery);
        Assert.Equal("fault_cleared", body.GetProperty("notification_type").GetString());
        var server = body.GetProperty("resources")[0];
        Assert.Equal("normal", server.GetProperty("state").GetString());
        Assert.Equal("UP", server.GetProperty("host_status").GetString());
        Assert.NotEqual(JsonValueKind.Null, server.GetProperty("faults")[0].GetProperty("cleared_at").ValueKind);
    }

    [Fact]
    public void Publish_SubscriptionWithSecret_SignsTheExactBody()
    {
        var delivery = For(Publish(RawEventKind.HostDown, TestMap.Subscription("sub-a", TestMap.ProjectA, secret: "s3cret")), "sub-a");

        Assert.Equal(Signatures.Sign("s3cret", delivery.Body), delivery.Signature);
        Assert.True(Signatures.Verify("s3cret", delivery.Body, delivery.Signature));
        Assert.False(Signatures.Verify("other", delivery.Body, delivery.Signature));
    }

    [Fact]
    public void Publish_SubscriptionWithoutSecret_IsUnsigned()
    {
        var delivery = For(Publish(RawEventKind.HostDown, TestMap.Subscription("sub-a", TestMap.ProjectA)), "sub-a");

        Assert.Null(delivery.Signature);
    }

    [Fact]
    public void Publish_NotificationId_IsDerivedFromEventSubscriptionAndType()
    {
        var sent = Publish(RawEventKind.HostDown, TestMap.Subscription("sub-a", TestMap.ProjectA), TestMap.Subscription("sub-b", TestMap.ProjectB));

        Assert.Equal(NotificationIds.For("e-down", "sub-a", "fault"), For(sent, "sub-a").NotificationId);
        Assert.Equal(NotificationIds.For("e-down", "sub-b", "fault"), For(sent, "sub-b").NotificationId);
    }

    [Fact]
    public void Publish_SameNoticeTwice_GivesTheSameNotificationId()
    {
        // What a replay after a crash does: the consumer can drop the duplicate by notification_id.
        var subscription = TestMap.Subscription("sub-a", TestMap.ProjectA);
        var notice = _doctor.Apply(TestMap.HostEvent("compute.host.down", "compute-1", "e-down")).Notice!;
        var state = _doctor.State with { Subscriptions = SubscriptionBook.From([subscription]) };
        var notifier = new Notifier(_sink, _clock);

        notifier.Publish([notice], state);
        _clock.Advance(TimeSpan.FromSeconds(5));
        notifier.Publish([notice], state);

        Assert.Equal(2, _sink.Items.Count);
        Assert.Equal(_sink.Items[0].Delivery.NotificationId, _sink.Items[1].Delivery.NotificationId);
    }

    [Fact]
    public void Publish_Delivery_CarriesTypeCreationTimeAndTimeline()
    {
        var notice = _doctor.Apply(TestMap.HostEvent("compute.host.down", "compute-1", "e-down"), receivedTicks: 1000).Notice!;
        var state = _doctor.State with { Subscriptions = SubscriptionBook.From([TestMap.Subscription("sub-a", TestMap.ProjectA)]) };

        new Notifier(_sink, _clock).Publish([notice], state);

        var delivery = Assert.Single(_sink.Items).Delivery;
        Assert.Equal(NotificationType.Fault, delivery.Type);
        Assert.Equal(_clock.GetUtcNow(), delivery.CreatedAt);
        Assert.Same(notice.Timeline, delivery.Timeline);
        Assert.NotEqual(0, notice.Timeline![Checkpoint.NotificationBuilt]);
        Assert.Equal(DeliveryState.Pending, delivery.State);
    }

    [Fact]
    public void Publish_SeveralNotices_OneNotificationPerNoticeInOrder()
    {
        var down = _doctor.Apply(TestMap.HostEvent("compute.host.down", "compute-1", "e-1")).Notice!;
        var up = _doctor.Apply(TestMap.HostEvent("compute.host.up", "compute-1", "e-2")).Notice!;
        var state = _doctor.State with { Subscriptions = SubscriptionBook.From([TestMap.Subscription("sub-b", TestMap.ProjectB)]) };

        new Notifier(_sink, _clock).Publish([down, up], state);

        Assert.Equal([NotificationType.Fault, NotificationType.FaultCleared], _sink.Items.Select(i => i.Delivery.Type));
    }
}
