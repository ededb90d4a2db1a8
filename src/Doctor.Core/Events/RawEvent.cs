using System.Collections.Immutable;

namespace Doctor.Events;

/// <summary>A monitor's event as accepted (SPEC §3).</summary>
public sealed record RawEvent
{
    public required string Id { get; init; }
    public required DateTimeOffset Time { get; init; }
    public required string Type { get; init; }

    /// <summary>Details as strings (numbers and booleans keep their JSON text); <c>related_to</c> is separate.</summary>
    public ImmutableSortedDictionary<string, string> Details { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    public ImmutableArray<string> RelatedTo { get; init; } = [];

    /// <summary>Who recorded it: a monitor through the API, or Doctor itself for an admin state change.</summary>
    public EventOrigin Origin { get; init; } = EventOrigin.Monitor;

    public string? Detail(string key) => Details.GetValueOrDefault(key);

    /// <summary>Dedup key of monitors that number their own events (<c>monitor_id</c> + <c>monitor_event_id</c>).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? MonitorKey =>
        Detail("monitor_id") is { } monitor && Detail("monitor_event_id") is { } number ? monitor + "\n" + number : null;
}

/// <summary>Source of an event in the log.</summary>
public enum EventOrigin
{
    Monitor,

    /// <summary>Written by <c>POST /v1/hosts/{name}/state</c>; never accepted from the events API.</summary>
    Admin,

    /// <summary>Written by Doctor when an inventory change (an admin's, or the cloud sync's) moved a server away from
    /// the failure that hurt it (<see cref="InternalEventTypes.ServerMoved"/>); never accepted from the events API.</summary>
    Inventory,
}

/// <summary>Event types Doctor writes itself.</summary>
public static class InternalEventTypes
{
    /// <summary>An admin's StateChangeRequest: details <c>hostname</c>, <c>forced_down</c>, <c>status</c>, <c>reason</c>.</summary>
    public const string HostState = "doctor.host.state";

    /// <summary>A server is on another host than the failure it carries faults from: details <c>server_id</c>,
    /// <c>hostname</c> (the host it is on now).</summary>
    public const string ServerMoved = "doctor.server.moved";
}

/// <summary>An event after it is durable: its place in the log and its arrival times.</summary>
/// <param name="Seq">Position in the event log; the engine processes events in this order.</param>
/// <param name="RecordedAt">Wall-clock time of the commit; also the <c>raised_at</c> of its faults.</param>
/// <param name="ReceivedTicks">Stopwatch timestamp when the request arrived (0 after a restart).</param>
/// <param name="RecordedTicks">Stopwatch timestamp when the commit finished (0 after a restart).</param>
public sealed record EventRecord(long Seq, RawEvent Event, DateTimeOffset RecordedAt, long ReceivedTicks, long RecordedTicks);

/// <summary>What became of an event (SPEC §3).</summary>
public enum EventStatus
{
    Pending,
    Processed,
    Ignored,
}

/// <summary>The engine's verdict on one event, persisted with the state change it made.</summary>
public sealed record EventOutcome(long Seq, EventStatus Status, ImmutableArray<string> FaultIds, string? Reason)
{
    /// <summary>Reason of events no policy rule matched; the store keeps no row for them (see ChangeWrites).</summary>
    public const string NoRuleReason = "no policy rule for this event type";
}
