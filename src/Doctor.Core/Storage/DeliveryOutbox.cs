using System.Collections.Concurrent;
using Doctor.Notification;
using Doctor.State;
using Doctor.Subscriptions;

namespace Doctor.Storage;

/// <summary>
/// Keeps the store's outbox in step with the webhook dispatcher. The notifier's deliveries pass through here to the
/// dispatcher at once (the hot path never waits for a write) and are remembered until the engine takes them into the
/// <see cref="ChangeBatch"/> of the events that produced them, so they commit with that batch's <c>processed_seq</c>.
/// The dispatcher's later progress (failed attempt, delivered, dead, redelivered) is queued to the same writer, behind.
/// </summary>
public sealed class DeliveryOutbox : IDeliverySink
{
    private readonly WebhookDispatcher _dispatcher;
    private readonly IDoctorStore _store;
    private readonly ConcurrentQueue<OutboxRecord> _recorded = new();

    // Pending rows handed back at start, until the replay is over: a dispatcher report can commit a row just before
    // the batch that makes its event processed, and a crash in between would otherwise queue that notification twice.
    private HashSet<(string, string)>? _resumed;

    public DeliveryOutbox(WebhookDispatcher dispatcher, IDoctorStore store)
    {
        _dispatcher = dispatcher;
        _store = store;
        dispatcher.Changed = Persist;
    }

    /// <summary>Called by the notifier (on the engine's thread, or several in parallel for one notice).</summary>
    public void Enqueue(Subscription subscription, Delivery delivery)
    {
        if (_resumed is { } resumed && resumed.Contains((subscription.SubscriptionId, delivery.NotificationId)))
            return; // the replay rebuilt a notification the outbox already resumed (same id)
        _recorded.Enqueue(new OutboxRecord(subscription.SubscriptionId, delivery));
        _dispatcher.Enqueue(subscription, delivery);
    }

    /// <summary>The deliveries built since the last call; the engine calls it after each publish, on its thread.</summary>
    public IReadOnlyList<OutboxRecord> TakeRecorded()
    {
        if (_recorded.IsEmpty)
            return [];
        var taken = new List<OutboxRecord>(_recorded.Count);
        while (_recorded.TryDequeue(out var record))
            taken.Add(record);
        return taken;
    }

    /// <summary>Hands the outbox loaded at start to the dispatcher, in creation order, before any new work.</summary>
    /// <remarks>Call <see cref="EndRestore"/> once the log replay that follows is over.</remarks>
    public void Restore(IReadOnlyList<OutboxRecord> records, DoctorState state)
    {
        var resumed = new HashSet<(string, string)>();
        foreach (var record in records)
        {
            if (state.Subscriptions.All.Get(record.SubscriptionId) is not { } subscription)
                continue;
            if (record.Delivery.State == DeliveryState.Pending)
                resumed.Add((record.SubscriptionId, record.Delivery.NotificationId));
            _dispatcher.Restore(subscription, record.Delivery);
        }

        _resumed = resumed.Count > 0 ? resumed : null;
    }

    /// <summary>The replay is over: from now on every notification is new.</summary>
    public void EndRestore() => _resumed = null;

    private void Persist(string subscriptionId, Delivery delivery) =>
        _store.Persist(new ChangeBatch([], [], 0) { Deliveries = [new OutboxRecord(subscriptionId, delivery)] });
}
