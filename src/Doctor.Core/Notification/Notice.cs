using System.Collections.Immutable;
using Doctor.Faults;
using Doctor.Inventory;
using Doctor.Profiling;
using Doctor.Subscriptions;

namespace Doctor.Notification;

/// <summary>
/// What one raw event changed, captured when the engine applied it: the notifier turns it into one
/// notification per interested subscription.
/// </summary>
public sealed record Notice(NotificationType Type, string EventId, ImmutableArray<NoticeResource> Resources, Timeline? Timeline)
{
    /// <summary>Set on maintenance notices: who they go to and the <c>maintenance</c> object they carry.</summary>
    public Doctor.Maintenance.MaintenanceMessage? Maintenance { get; init; }
}

/// <summary>A resource as the notification shows it, with the faults of this event on it.</summary>
public sealed record NoticeResource(
    ResourceType Type,
    string Id,
    string? ProjectId,
    string? Host,
    string State,
    HostStatus HostStatus,
    string? HostId,
    ImmutableArray<Fault> Faults);
