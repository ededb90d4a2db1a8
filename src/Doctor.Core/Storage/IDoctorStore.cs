using Doctor.Events;
using Doctor.Notification;
using Doctor.State;

namespace Doctor.Storage;

/// <summary>
/// The durable side of Doctor, behind one narrow seam: an append-only event log with group commit, and the
/// persisted state the engine rebuilds its in-memory map from at start.
/// </summary>
public interface IDoctorStore : IAsyncDisposable
{
    /// <summary>Opens (and migrates) the store and returns the persisted state plus the events still to process.</summary>
    Task<LoadedState> LoadAsync(CancellationToken cancellationToken);

    /// <summary>Receives every newly committed event, in log order, right after its commit.</summary>
    void OnCommitted(Action<IReadOnlyList<EventRecord>> sink);

    /// <summary>Makes the events durable (one fsync shared with concurrent callers) and returns their ids;
    /// a repeated id or monitor key yields the original id and is not processed again.</summary>
    Task<AppendResult> AppendAsync(IReadOnlyList<RawEvent> events, long receivedTicks, CancellationToken cancellationToken);

    /// <summary>Queues the engine's changes (and outbox writes); they commit in order, <paramref name="batch"/>'s completion says when.</summary>
    void Persist(ChangeBatch batch);

    Task<StoredEvent?> GetEventAsync(string id, CancellationToken cancellationToken);

    Task<IReadOnlyList<StoredEvent>> ListEventsAsync(EventQuery query, CancellationToken cancellationToken);
}

/// <summary>What the store held at start.</summary>
/// <param name="Outbox">Deliveries not delivered (pending and dead) of subscriptions that still exist, oldest first.</param>
public sealed record LoadedState(DoctorState State, IReadOnlyList<EventRecord> Unprocessed, bool IsNew)
{
    public IReadOnlyList<OutboxRecord> Outbox { get; init; } = [];
}

/// <summary>
/// One delivery to write to the outbox as it stands <em>when the write commits</em>: pending and dead ones are
/// upserted, a delivered one is deleted (or never written). Reading the state at commit time, not at queue time,
/// is what lets the dispatcher finish a delivery before the engine's batch that created it has committed.
/// </summary>
public sealed record OutboxRecord(string SubscriptionId, Delivery Delivery);

/// <summary>Ids of an append, in request order, and which of them were new.</summary>
public sealed record AppendResult(IReadOnlyList<string> EventIds, IReadOnlyList<EventRecord> Recorded);

/// <summary>The engine's changes for one batch of work, with the log position they bring the state to.</summary>
/// <param name="durable">Holds an acknowledged admin command: must be synced (events can be replayed from the log instead).</param>
public sealed class ChangeBatch(IReadOnlyList<RowChange> changes, IReadOnlyList<EventOutcome> outcomes, long processedSeq, bool durable = false)
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<RowChange> Changes { get; } = changes;
    public IReadOnlyList<EventOutcome> Outcomes { get; } = outcomes;
    public long ProcessedSeq { get; } = processedSeq;
    public bool Durable { get; } = durable;

    /// <summary>Deliveries to record in the same transaction (the outbox): those the batch's events produced, or
    /// a dispatcher's progress on earlier ones.</summary>
    public IReadOnlyList<OutboxRecord> Deliveries { get; init; } = [];

    /// <summary>Completes when the batch is committed (or faults with the storage error).</summary>
    public Task Committed => _done.Task;

    internal void Complete() => _done.TrySetResult();

    internal void Fail(Exception error) => _done.TrySetException(error);
}

/// <summary>A recorded event with what became of it.</summary>
public sealed record StoredEvent(long Seq, RawEvent Event, DateTimeOffset RecordedAt, EventStatus Status, IReadOnlyList<string> FaultIds, string? Reason);

/// <summary>Filters of <c>GET /v1/events</c>.</summary>
public sealed record EventQuery(string? Type, DateTimeOffset? Since, string? Marker, int Limit);

/// <summary>The store could not make data durable; the request must not be acknowledged.</summary>
public sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
