using Doctor.Faults;
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
    /// <summary>From this many notifications for one event on, they are written on every core: a switch or a big
    /// host touches a hundred owners, and one thread writing a hundred bodies is the slowest step of that event.</summary>
    public const int ParallelFrom = 16;

    public void Publish(IReadOnlyList<Notice> notices, DoctorState state)
    {
        var subscriptions = state.Subscriptions;
        var offers = new List<(Subscription Subscription, IReadOnlyList<NoticeResource> Candidates)>();
        foreach (var notice in notices)
        {
            var generatedAt = time.GetUtcNow();
            if (notice.Maintenance is { } message)
            {
                OfferMaintenance(subscriptions, notice, message, generatedAt);
                continue;
            }

            offers.Clear();
            foreach (var id in subscriptions.ByProject.Get(SubscriptionBook.GlobalKey))
                offers.Add((subscriptions.All.Get(id)!, notice.Resources));

            foreach (var (project, resources) in ByProject(notice))
            {
                foreach (var id in subscriptions.ByProject.Get(project))
                    offers.Add((subscriptions.All.Get(id)!, resources));
            }

            // Each subscription gets at most one notification per notice and notices go out in order, so writing
            // one notice's notifications in parallel keeps every subscription's own order.
            if (offers.Count >= ParallelFrom)
                Parallel.ForEach(offers, offer => Offer(offer.Subscription, notice, offer.Candidates, generatedAt));
            else
            {
                foreach (var (subscription, candidates) in offers)
                    Offer(subscription, notice, candidates, generatedAt);
            }

            notice.Timeline?.Mark(Checkpoint.NotificationBuilt);
        }
    }

    private void Offer(Subscription subscription, Notice notice, IReadOnlyList<NoticeResource> candidates, DateTimeOffset generatedAt)
    {
        var filter = subscription.Filter;
        if (!filter.Admits(notice.Type))
            return;
        // A suppressed fault (host in maintenance, admin silence) is for admins only.
        Func<Fault, bool> admits = subscription.IsGlobal ? filter.Admits : fault => !fault.IsSuppressed && filter.Admits(fault);
        List<NoticeResource>? selected = null;
        foreach (var resource in candidates)
        {
            if (!subscription.IsGlobal && (resource.Type.IsPhysical() || resource.ProjectId != subscription.ProjectId))
                continue;
            if (!filter.Admits(resource.Type, resource.Id) || !resource.Faults.Any(admits))
                continue;
            (selected ??= []).Add(resource);
        }

        if (selected is null)
            return;
        var type = notice.Type.Name();
        var notificationId = NotificationIds.For(notice.EventId, subscription.SubscriptionId, type);
        var body = NotificationWriter.Write(notificationId, notice.Type, subscription, generatedAt, selected, admits);
        var signature = subscription.Secret is null ? null : Signatures.Sign(subscription.Secret, body);
        dispatcher.Enqueue(subscription, new Delivery(notificationId, notice.Type, body, signature, generatedAt, notice.Timeline));
    }

    /// <summary>A project message goes to that project's subscriptions, a host message to global admin subscriptions; only
    /// to those that admit maintenance notifications. Resource filters do not narrow them: the message is about the session.</summary>
    private void OfferMaintenance(SubscriptionBook subscriptions, Notice notice, Doctor.Maintenance.MaintenanceMessage message, DateTimeOffset generatedAt)
    {
        var key = message.ProjectId ?? SubscriptionBook.GlobalKey;
        foreach (var id in subscriptions.ByProject.Get(key))
        {
            var subscription = subscriptions.All.Get(id)!;
            if (!subscription.Filter.Admits(NotificationType.Maintenance))
                continue;
            var type = notice.Type.Name();
            var notificationId = NotificationIds.For(notice.EventId, subscription.SubscriptionId, type);
            var body = NotificationWriter.WriteMaintenance(notificationId, subscription, generatedAt, notice.Resources, message);
            var signature = subscription.Secret is null ? null : Signatures.Sign(subscription.Secret, body);
            dispatcher.Enqueue(subscription, new Delivery(notificationId, notice.Type, body, signature, generatedAt, null));
        }
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
