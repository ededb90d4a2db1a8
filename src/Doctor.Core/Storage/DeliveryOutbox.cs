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

    public DeliveryOutbox(WebhookDispatcher dispatcher, IDoctorStore store)
    {
        _dispatcher = dispatcher;
        _store = store;
        dispatcher.Changed = Persist;
    }

    /// <summary>Called by the notifier (on the engine's thread, or several in parallel for one notice).</summary>
    public void Enqueue(Subscription subscription, Delivery delivery)
    {
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
    public void Restore(IReadOnlyList<OutboxRecord> records, DoctorState state)
    {
        foreach (var record in records)
        {
            if (state.Subscriptions.All.Get(record.SubscriptionId) is { } subscription)
                _dispatcher.Restore(subscription, record.Delivery);
        }
    }

    private void Persist(string subscriptionId, Delivery delivery) =>
        _store.Persist(new ChangeBatch([], [], 0) { Deliveries = [new OutboxRecord(subscriptionId, delivery)] });
}
