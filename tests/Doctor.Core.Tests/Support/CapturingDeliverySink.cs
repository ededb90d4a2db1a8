using Doctor.Notification;
using Doctor.Subscriptions;

namespace Doctor.Core.Tests.Support;

/// <summary>Keeps what the notifier would hand to the webhook dispatcher.</summary>
public sealed class CapturingDeliverySink : IDeliverySink
{
    private readonly List<(Subscription Subscription, Delivery Delivery)> _items = [];

    public IReadOnlyList<(Subscription Subscription, Delivery Delivery)> Items
    {
        get
        {
            lock (_items)
                return [.. _items];
        }
    }

    public void Enqueue(Subscription subscription, Delivery delivery)
    {
        lock (_items)
            _items.Add((subscription, delivery));
    }
}
