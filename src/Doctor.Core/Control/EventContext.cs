using Doctor.Events;
using Doctor.Faults;
using Doctor.Inventory;
using Doctor.Profiling;
using Doctor.Silences;
using Doctor.State;

namespace Doctor.Control;

/// <summary>
/// One event being applied on the engine's writer: the working state, the event, and the fault ids it hands out
/// (shared by every fault tree the event raises, so an escalation never reuses an id).
/// </summary>
internal sealed class EventContext(StateEditor state, EventRecord record, TimelineBook timelines)
{
    private FaultIds _ids = new(record.Seq);
    private bool _timelineStarted;

    // A host failure asks about the same host once per derived fault (thousands on a big host): remember the last answer.
    private string? _lastHost;
    private bool _lastInMaintenance;

    public StateEditor State { get; } = state;
    public ResourceMapEditor Map => State.Map;
    public EventRecord Record { get; } = record;
    public RawEvent Event => Record.Event;

    /// <summary>Recording time of the event: the <c>raised_at</c>/<c>cleared_at</c> of everything it does, stable on replay.</summary>
    public DateTimeOffset At => Record.RecordedAt;

    /// <summary>The profiler's timeline, owned by the first fault the event raises; null on replay.</summary>
    public Timeline? Timeline { get; private set; }

    public string NextId() => _ids.Next();

    private bool InMaintenance(string host)
    {
        if (!ReferenceEquals(host, _lastHost) && host != _lastHost)
        {
            _lastHost = host;
            _lastInMaintenance = Map.Host(host)?.Maintenance is { State: MaintenanceState.InMaintenance };
        }

        return _lastInMaintenance;
    }

    /// <summary>Starts the timeline under <paramref name="rootId"/> (the first root only: one timeline per event).</summary>
    public Timeline? StartTimeline(string rootId)
    {
        if (_timelineStarted)
            return Timeline;
        _timelineStarted = true;
        if (Record.ReceivedTicks == 0)
            return null; // replayed after a restart: the original clock is gone
        Timeline = new Timeline(rootId, Record.ReceivedTicks, Record.RecordedTicks);
        timelines.Add(Timeline);
        return Timeline;
    }

    /// <summary>
    /// Why tenants must not hear of a fault: its host is in maintenance (down on purpose), or an admin silence active
    /// at the event's recording time matches it (so a replay suppresses exactly what the first run did); null when
    /// they must.
    /// </summary>
    public string? SuppressionFor(string? host, string? deviceId, ResourceType type, string resourceId, string faultType)
    {
        if (host is not null && InMaintenance(host))
            return Suppressions.Maintenance;
        var silences = State.Base.Silences;
        if (silences.All.Count == 0)
            return null; // the usual case: no lookup on the fault path
        return silences.Find(At, new SilenceSubject(host, deviceId, resourceId, faultType)) is { } silence
            ? Suppressions.Silence(silence.SilenceId)
            : null;
    }
}

/// <summary>Values of <see cref="Fault.SuppressedBy"/>.</summary>
public static class Suppressions
{
    public const string Maintenance = "maintenance";

    public static string Silence(string silenceId) => "silence:" + silenceId;
}
