using System.Collections.Concurrent;
using System.Diagnostics;

namespace Doctor.Profiling;

/// <summary>Checkpoints of the profiler (SPEC §7), as Stopwatch timestamps of one process.</summary>
public enum Checkpoint
{
    Received,
    Recorded,
    FoundAffected,
    MarkedHostDown,
    SetVmError,
    NotificationBuilt,
}

/// <summary>Monotonic checkpoints of one fault's journey from request to each consumer.</summary>
public sealed class Timeline
{
    private readonly long[] _marks = new long[Enum.GetValues<Checkpoint>().Length];

    public Timeline(string faultId, long received, long recorded)
    {
        FaultId = faultId;
        _marks[(int)Checkpoint.Received] = received;
        _marks[(int)Checkpoint.Recorded] = recorded;
    }

    public string FaultId { get; }

    /// <summary>Per subscription: when the POST started and when its 2xx answer arrived.</summary>
    public ConcurrentDictionary<string, (long Sent, long Delivered)> Deliveries { get; } = new(StringComparer.Ordinal);

    /// <summary>Calls an external controller (OpenStack) made for this fault, in completion order. They run after the
    /// owners were told, never before.</summary>
    public ConcurrentQueue<ControllerCall> ControllerCalls { get; } = new();

    public void CallCompleted(string action, string target, bool succeeded, string? error) =>
        ControllerCalls.Enqueue(new ControllerCall(action, target, Stopwatch.GetTimestamp(), succeeded, error));

    public void Mark(Checkpoint checkpoint) => _marks[(int)checkpoint] = Stopwatch.GetTimestamp();

    public long this[Checkpoint checkpoint] => Volatile.Read(ref _marks[(int)checkpoint]);

    public void Sent(string subscriptionId) => Deliveries[subscriptionId] = (Stopwatch.GetTimestamp(), 0);

    public void Delivered(string subscriptionId) =>
        Deliveries.AddOrUpdate(subscriptionId, static (_, now) => (now, now), static (_, old, now) => (old.Sent, now), Stopwatch.GetTimestamp());

    /// <summary>Milliseconds from <see cref="Checkpoint.Received"/> to <paramref name="timestamp"/> (null when unset).</summary>
    public double? MillisecondsAt(long timestamp)
    {
        var start = this[Checkpoint.Received];
        return timestamp == 0 || start == 0 ? null : Stopwatch.GetElapsedTime(start, timestamp).TotalMilliseconds;
    }
}

/// <summary>One controller call of a fault: what was done to which resource, when it completed and how.</summary>
public sealed record ControllerCall(string Action, string Target, long CompletedAt, bool Succeeded, string? Error);

/// <summary>The newest timelines, bounded; they live in memory only (a restart starts a new clock).</summary>
public sealed class TimelineBook
{
    private readonly ConcurrentDictionary<string, Timeline> _byFault = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();
    private readonly int _capacity;

    public TimelineBook(int capacity = DoctorConstants.TimelinesKept) => _capacity = capacity;

    public void Add(Timeline timeline)
    {
        if (!_byFault.TryAdd(timeline.FaultId, timeline))
            return;
        _order.Enqueue(timeline.FaultId);
        while (_byFault.Count > _capacity && _order.TryDequeue(out var oldest))
            _byFault.TryRemove(oldest, out _);
    }

    public Timeline? Get(string faultId) => _byFault.GetValueOrDefault(faultId);
}
