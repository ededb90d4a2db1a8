using System.Collections.Immutable;
using System.Text.Json;
using Doctor.Core.Tests.Support;
using Doctor.Inventory;
using Doctor.Maintenance;
using Doctor.Notification;
using Doctor.Subscriptions;
using Doctor.Testing;

namespace Doctor.Core.Tests.Notification;

public sealed class MaintenanceNotificationTests
{
    private static readonly SubscriptionFilter MaintenanceOnly = new() { NotificationTypes = [NotificationType.Maintenance] };
    private static readonly SubscriptionFilter FaultsOnly = new() { NotificationTypes = [NotificationType.Fault] };

    private static readonly Subscription[] Subscriptions =
    [
        TestMap.Subscription("sub-a", TestMap.ProjectA, MaintenanceOnly),
        TestMap.Subscription("sub-a-faults", TestMap.ProjectA, FaultsOnly),
        TestMap.Subscription("sub-b", TestMap.ProjectB),
        TestMap.Subscription("sub-admin", null),
    ];

    private static Notice Notice(MaintenanceMessage message) => new(
        NotificationType.Maintenance, "maintenance/s1/1",
        [new NoticeResource(ResourceType.Server, "vm-a1", TestMap.ProjectA, "compute-1", "normal", HostStatus.Up, "hid", [])], null) { Maintenance = message };

    [Fact]
    public void Publish_ProjectMessage_GoesToThatProjectsMaintenanceSubscriptionsOnly()
    {
        var sink = new CapturingDeliverySink();
        var message = new MaintenanceMessage("s1", TestMap.ProjectA, null, "PLANNED_MAINTENANCE", ["vm-a1"], ["MIGRATE"],
            TestMap.Start, TestMap.Start.AddMinutes(2), ImmutableSortedDictionary<string, string>.Empty.Add("k", "v"));

        new Notifier(sink, new ManualTimeProvider()).Publish([Notice(message)], TestMap.State(Subscriptions));

        var (subscription, delivery) = Assert.Single(sink.Items);
        Assert.Equal("sub-a", subscription.SubscriptionId);
        using var body = JsonDocument.Parse(delivery.Body);
        var root = body.RootElement;
        Assert.Equal("maintenance", root.GetProperty("notification_type").GetString());
        Assert.Equal("vm-a1", root.GetProperty("resources")[0].GetProperty("resource_id").GetString());
        Assert.False(root.GetProperty("resources")[0].TryGetProperty("host", out _)); // tenants never see host names
        var m = root.GetProperty("maintenance");
        Assert.Equal("maintenance.scheduled", m.GetProperty("event_type").GetString());
        Assert.Equal("PLANNED_MAINTENANCE", m.GetProperty("state").GetString());
        Assert.Equal("/v1/maintenance/s1/project-a", m.GetProperty("reply_url").GetString());
        Assert.Equal("2026-01-01T00:02:00.0000000Z", m.GetProperty("reply_at").GetString());
        Assert.Equal("MIGRATE", m.GetProperty("allowed_actions")[0].GetString());
        Assert.Equal("v", m.GetProperty("metadata").GetProperty("k").GetString());
    }

    [Fact]
    public void Publish_HostMessage_GoesToGlobalAdminSubscriptionsOnly()
    {
        var sink = new CapturingDeliverySink();
        var message = new MaintenanceMessage("s1", null, "compute-1", "IN_MAINTENANCE", [], [], null, null, ImmutableSortedDictionary<string, string>.Empty);

        new Notifier(sink, new ManualTimeProvider()).Publish([Notice(message) with { Resources = [] }], TestMap.State(Subscriptions));

        var (subscription, delivery) = Assert.Single(sink.Items);
        Assert.Equal("sub-admin", subscription.SubscriptionId);
        using var body = JsonDocument.Parse(delivery.Body);
        var m = body.RootElement.GetProperty("maintenance");
        Assert.Equal("maintenance.host", m.GetProperty("event_type").GetString());
        Assert.Equal("compute-1", m.GetProperty("host").GetString());
        Assert.Equal("IN_MAINTENANCE", m.GetProperty("state").GetString());
        Assert.Equal("s1", m.GetProperty("session_id").GetString());
    }
}
