using Doctor.Profiling;
using Doctor.Subscriptions;

namespace Doctor.Notification;

/// <summary>Where a delivery stands.</summary>
public enum DeliveryState
{
    Pending,
    Delivered,
    Dead,
}

/// <summary>One notification on its way to one subscription's callback.</summary>
public sealed class Delivery(string notificationId, NotificationType type, byte[] body, string? signature, DateTimeOffset createdAt, Timeline? timeline)
{
    public string NotificationId { get; } = notificationId;
    public NotificationType Type { get; } = type;
    public byte[] Body { get; } = body;
    public string? Signature { get; } = signature;
    public DateTimeOffset CreatedAt { get; } = createdAt;
    public Timeline? Timeline { get; } = timeline;

    public int Attempts { get; set; }
    public int? LastStatus { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset? LastAttemptAt { get; set; }
    public DateTimeOffset? NextAttemptAt { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }
    public DeliveryState State { get; set; } = DeliveryState.Pending;

    /// <summary>A copy for readers (the dispatcher keeps mutating the original).</summary>
    public DeliveryInfo Snapshot() => new(NotificationId, Type, State, Attempts, LastStatus, LastError, CreatedAt, LastAttemptAt, NextAttemptAt, DeliveredAt);
}

/// <summary>What <c>GET /v1/subscriptions/{id}/deliveries</c> shows of a delivery.</summary>
public sealed record DeliveryInfo(
    string NotificationId,
    NotificationType NotificationType,
    DeliveryState State,
    int Attempts,
    int? LastStatus,
    string? LastError,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastAttemptAt,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset? DeliveredAt);
