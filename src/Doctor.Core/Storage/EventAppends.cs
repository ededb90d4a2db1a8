using System.Diagnostics;
using Doctor.Events;

namespace Doctor.Storage;

/// <summary>One caller's events waiting for the log writer; a group commit takes many.</summary>
internal sealed class AppendRequest(IReadOnlyList<RawEvent> events, long receivedTicks)
{
    public IReadOnlyList<RawEvent> Events { get; } = events;
    public long ReceivedTicks { get; } = receivedTicks;
    public List<string> Ids { get; } = new(events.Count);
    public List<EventRecord> Recorded { get; } = new(events.Count);
    public TaskCompletionSource<AppendResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Clears what a previous, rolled-back attempt left.</summary>
    public void Reset()
    {
        Ids.Clear();
        Recorded.Clear();
    }
}

/// <summary>The store-independent end of a log commit: stamp, hand to the engine, answer the callers.</summary>
internal static class EventAppends
{
    /// <summary>Called once the transaction committed.</summary>
    public static void Complete(List<AppendRequest> requests, Action<IReadOnlyList<EventRecord>> sink)
    {
        var committed = Stopwatch.GetTimestamp();
        var all = new List<EventRecord>();
        foreach (var request in requests)
        {
            for (var i = 0; i < request.Recorded.Count; i++)
            {
                var record = request.Recorded[i];
                if (record.ReceivedTicks != 0)
                    request.Recorded[i] = record = record with { RecordedTicks = committed };
                all.Add(record);
            }
        }

        // The engine gets them before the callers hear "202", so processing starts as early as possible.
        if (all.Count > 0)
            sink(all);
        foreach (var request in requests)
            request.Done.TrySetResult(new AppendResult(request.Ids.ToArray(), request.Recorded.ToArray()));
    }

    /// <summary>Refuses every request of a transaction that did not commit: nothing of it is acknowledged.</summary>
    public static void Fail(List<AppendRequest> requests, Exception error)
    {
        var refused = new StoreUnavailableException("the event log could not be written: " + error.Message, error);
        foreach (var request in requests)
            request.Done.TrySetException(refused);
    }
}
