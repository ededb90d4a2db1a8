using Doctor.State;

namespace Doctor.Notification;

/// <summary>Where the engine hands what it changed; must return quickly (it runs on the engine's thread).</summary>
public interface INoticeSink
{
    void Publish(IReadOnlyList<Notice> notices, DoctorState state);
}

/// <summary>Where built notifications go to be delivered (the webhook dispatcher; a list in tests). Called from several
/// threads at once when one event notifies many subscriptions.</summary>
public interface IDeliverySink
{
    void Enqueue(Doctor.Subscriptions.Subscription subscription, Delivery delivery);
}
