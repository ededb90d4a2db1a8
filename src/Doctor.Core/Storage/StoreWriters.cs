using Doctor.Events;

namespace Doctor.Storage;

/// <summary>
/// The two single writers every store runs: the event log's (group commit; a caller's 202 waits for it) and the
/// state's (background; the engine's batches and the outbox). A store supplies how to commit and how to fail a
/// group; queueing, refusal once closed and the drain order on dispose are the same for all of them.
/// </summary>
internal sealed class StoreWriters : IDisposable
{
    private readonly GroupCommitter<AppendRequest> _log;
    private readonly GroupCommitter<ChangeBatch> _state;

    public StoreWriters(
        Action<List<AppendRequest>> commitAppends, Action<List<AppendRequest>, Exception> failAppends,
        Action<List<ChangeBatch>> commitChanges, Action<List<ChangeBatch>, Exception> failChanges)
    {
        _log = new GroupCommitter<AppendRequest>("doctor-log-writer", commitAppends, failAppends, r => r.Events.Count, DoctorConstants.StoreBatchEvents);
        _state = new GroupCommitter<ChangeBatch>(
            "doctor-state-writer", commitChanges, failChanges, b => b.Changes.Count + b.Deliveries.Count + 1, DoctorConstants.StoreBatchEvents, background: true);
    }

    /// <summary>Queues events for the log; the task completes once they are durable.</summary>
    public static Task<AppendResult> Append(StoreWriters? writers, IReadOnlyList<RawEvent> events, long receivedTicks)
    {
        var request = new AppendRequest(events, receivedTicks);
        if (writers is null || !writers._log.TryAdd(request))
            throw new StoreUnavailableException("the event log is not open");
        return request.Done.Task;
    }

    /// <summary>Queues a batch for the state; a closed store fails it rather than losing it silently.</summary>
    public static void Persist(StoreWriters? writers, ChangeBatch batch)
    {
        if (writers is null || !writers._state.TryAdd(batch))
            batch.Fail(new StoreUnavailableException("the state store is not open"));
    }

    /// <summary>The log first: whatever it accepted reaches the engine; then the state writer drains what the engine made.</summary>
    public void Dispose()
    {
        _log.Dispose();
        _state.Dispose();
    }
}
