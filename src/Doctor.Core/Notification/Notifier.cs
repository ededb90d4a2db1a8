using Doctor.Inventory;
using Doctor.Profiling;
using Doctor.State;
using Doctor.Subscriptions;

namespace Doctor.Notification;

/// <summary>
/// Turns each notice into one notification per interested subscription (all of its affected resources in one
/// message) and queues them for delivery. Only subscriptions of the projects a notice touches, plus global admin
/// subscriptions, are even looked at, so the cost follows the owners affected, not the number of subscriptions.
/// </summary>
public sealed class Notifier(IDeliverySink dispatcher, TimeProvider time) : INoticeSink
{
    public void Publish(IReadOnlyList<Notice> notices, DoctorState state)
    {
        var subscriptions = state.Subscriptions;
        foreach (var notice in notices)
        {
            var generatedAt = time.GetUtcNow();
            foreach (var id in subscriptions.ByProject.Get(SubscriptionBook.GlobalKey))
                Offer(subscriptions.All.Get(id)!, notice, notice.Resources, generatedAt);

            foreach (var (project, resources) in ByProject(notice))
            {
                foreach (var id in subscriptions.ByProject.Get(project))
                    Offer(subscriptions.All.Get(id)!, notice, resources, generatedAt);
            }

            notice.Timeline?.Mark(Checkpoint.NotificationBuilt);
        }
    }

    private void Offer(Subscription subscription, Notice notice, IReadOnlyList<NoticeResource> candidates, DateTimeOffset generatedAt)
    {
        var filter = subscription.Filter;
        if (!filter.Admits(notice.Type))
            return;
        List<NoticeResource>? selected = null;
        foreach (var resource in candidates)
        {
            if (!subscription.IsGlobal && (resource.Type.IsPhysical() || resource.ProjectId != subscription.ProjectId))
                continue;
            if (!filter.Admits(resource.Type, resource.Id) || !resource.Faults.Any(filter.Admits))
                continue;
            (selected ??= []).Add(resource);
        }

        if (selected is null)
            return;
        var type = notice.Type.Name();
        var notificationId = NotificationIds.For(notice.EventId, subscription.SubscriptionId, type);
        var body = NotificationWriter.Write(notificationId, notice.Type, subscription, generatedAt, selected, filter.Admits);
        var signature = subscription.Secret is null ? null : Signatures.Sign(subscription.Secret, body);
        dispatcher.Enqueue(subscription, new Delivery(notificationId, notice.Type, body, signature, generatedAt, notice.Timeline));
    }

    private static Dictionary<string, List<NoticeResource>> ByProject(Notice notice)
    {
        var groups = new Dictionary<string, List<NoticeResource>>(StringComparer.Ordinal);
        foreach (var resource in notice.Resources)
        {
            if (resource.ProjectId is null || resource.Type.IsPhysical())
                continue;
            if (!groups.TryGetValue(resource.ProjectId, out var list))
                groups[resource.ProjectId] = list = [];
            list.Add(resource);
        }

        return groups;
    }
}
