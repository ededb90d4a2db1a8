using System.Collections.Concurrent;
using Doctor.Events;
using Doctor.Maintenance;
using Doctor.Notification;
using Doctor.State;
using Doctor.Storage;
using Microsoft.Extensions.Logging;

namespace Doctor.Control;

/// <summary>
/// The single writer. One thread applies events (in log order) and admin commands to the in-memory state,
/// publishes each new version atomically for readers, hands notices to the notifier, and queues the row
/// changes for the store. Nothing else ever mutates the state, so the hot path takes no locks.
/// </summary>
public sealed partial class DoctorEngine : IAsyncDisposable
{
    private readonly IDoctorStore _store;
    private readonly FaultProcessor _processor;
    private readonly INoticeSink _notifier;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly BlockingCollection<object> _inbox = new(new ConcurrentQueue<object>());
    private readonly ConcurrentDictionary<long, TaskCompletionSource> _waiters = new();
    private DoctorState _state = DoctorState.Empty;
    private Thread? _thread;
    private long _processedSeq;
    private int _disposed;

    public DoctorEngine(IDoctorStore store, FaultProcessor processor, INoticeSink notifier, TimeProvider time, ILogger<DoctorEngine> logger)
    {
        _store = store;
        _processor = processor;
        _notifier = notifier;
        _time = time;
        _logger = logger;
    }

    /// <summary>Cleared faults kept before the oldest are dropped. Default <see cref="DoctorConstants.ClearedFaultsKept"/>.</summary>
    public int ClearedFaultsKept { get; init; } = DoctorConstants.ClearedFaultsKept;

    /// <summary>Where the notifier's deliveries are recorded for the store's outbox. Null: deliveries live only in memory.</summary>
    public DeliveryOutbox? Outbox { get; init; }

    /// <summary>Carries out what maintenance steps ask of the cloud (OpenStack mode). Null: the embedded controller, whose
    /// steps act on the map alone.</summary>
    public IMaintenanceController? Maintenance { get; init; }

    /// <summary>The current version; a reader keeps using the one it took, unaffected by later writes.</summary>
    public DoctorState State => Volatile.Read(ref _state);

    /// <summary>True once the persisted state is loaded and the log replayed.</summary>
    public bool IsReady { get; private set; }

    /// <summary>Whether the store was created by this start (the first start of a data directory).</summary>
    public bool IsNewStore { get; private set; }

    /// <summary>Loads the store, replays every recorded event not yet processed, and starts the writer thread.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var loaded = await _store.LoadAsync(cancellationToken);
        IsNewStore = loaded.IsNew;
        _state = loaded.State;
        _processedSeq = loaded.State.ProcessedSeq;
        _store.OnCommitted(Enqueue);
        // What was left undelivered goes first: it is older than anything the replay or new events produce.
        Outbox?.Restore(loaded.Outbox, loaded.State);
        if (loaded.Unprocessed.Count > 0)
        {
            LogReplaying(loaded.Unprocessed.Count, loaded.State.ProcessedSeq);
            foreach (var chunk in loaded.Unprocessed.Chunk(DoctorConstants.EngineBatchSize))
                Apply([.. chunk]);
        }

        Outbox?.EndRestore();

        _thread = new Thread(Run) { IsBackground = true, Name = "doctor-engine" };
        _thread.Start();
        IsReady = true;
    }

    /// <summary>Events just committed to the log, in log order.</summary>
    public void Enqueue(IReadOnlyList<EventRecord> records)
    {
        try
        {
            foreach (var record in records)
                _inbox.TryAdd(record);
        }
        catch (InvalidOperationException)
        {
            // Stopped (completed or disposed; ObjectDisposedException derives from it). The events are already durable in
            // the log and the next start replays them; throwing here would make the store refuse an append it has committed.
        }
    }

    /// <summary>
    /// Runs <paramref name="command"/> on the writer thread against the current state and completes once its
    /// changes are committed. The command must validate before it edits: if it throws, none of its edits stay.
    /// </summary>
    public Task<T> ExecuteAsync<T>(Func<StateEditor, T> command)
    {
        var work = new Command<T>(command);
        bool added;
        try
        {
            added = _inbox.TryAdd(work);
        }
        catch (InvalidOperationException)
        {
            added = false; // BlockingCollection throws, rather than returning false, once completed or disposed
        }

        if (!added)
            throw new StoreUnavailableException("the engine is shutting down");
        return work.Done.Task;
    }

    /// <summary>Completes when the event at <paramref name="seq"/> has been applied in memory.</summary>
    public Task WhenProcessedAsync(long seq)
    {
        if (Volatile.Read(ref _processedSeq) >= seq)
            return Task.CompletedTask;
        var waiter = _waiters.GetOrAdd(seq, static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (Volatile.Read(ref _processedSeq) >= seq)
            waiter.TrySetResult();
        return waiter.Task;
    }

    private void Run()
    {
        var batch = new List<object>(DoctorConstants.EngineBatchSize);
        while (true)
        {
            batch.Clear();
            try
            {
                if (!_inbox.TryTake(out var first, Timeout.Infinite))
                    return;
                batch.Add(first);
            }
            catch (InvalidOperationException)
            {
                return;
            }

            while (batch.Count < DoctorConstants.EngineBatchSize && _inbox.TryTake(out var more))
                batch.Add(more);
            try
            {
                Apply(batch);
            }
            catch (Exception ex)
            {
                LogBatchFailed(ex);
            }
        }
    }

    private void Apply(List<object> batch)
    {
        var state = _state;
        var changes = new List<RowChange>();
        var outcomes = new List<EventOutcome>();
        var notices = new List<Notice>();
        var calls = new List<MaintenanceCall>();
        var commands = new List<ICommand>();
        foreach (var item in batch)
        {
            var editor = new StateEditor(state, _time.GetUtcNow());
            if (item is EventRecord record)
            {
                if (record.Seq <= state.ProcessedSeq)
                    continue; // already applied (the log and the live stream overlap right after a restart)
                editor.ProcessedSeq = record.Seq;
                try
                {
                    var result = _processor.Process(editor, record);
                    state = editor.Build();
                    changes.AddRange(editor.Changes);
                    outcomes.Add(result.Outcome);
                    if (result.Notice is not null)
                        notices.Add(result.Notice);
                }
                catch (Exception ex)
                {
                    // A bug must not wedge the log: the event is marked ignored with the reason, and the engine moves on.
                    LogEventFailed(ex, record.Event.Id);
                    state = state with { ProcessedSeq = record.Seq };
                    outcomes.Add(new EventOutcome(record.Seq, EventStatus.Ignored, [], "internal error: " + ex.Message));
                }
            }
            else if (item is ICommand command)
            {
                try
                {
                    command.Run(editor);
                    state = editor.Build();
                    changes.AddRange(editor.Changes);
                    notices.AddRange(editor.Notices);
                    calls.AddRange(editor.MaintenanceCalls);
                    commands.Add(command);
                }
                catch (Exception ex)
                {
                    command.Fail(ex);
                }
            }
        }

        if (state.Faults.Cleared.Count > ClearedFaultsKept)
        {
            // Retention: the history is bounded, so a long-lived service does not grow without end.
            var editor = new StateEditor(state, _time.GetUtcNow());
            editor.Faults.Evict(ClearedFaultsKept, most: 10_000);
            state = editor.Build();
            changes.AddRange(editor.Changes);
        }

        Volatile.Write(ref _state, state);
        if (notices.Count > 0)
            _notifier.Publish(notices, state);
        if (calls.Count > 0 && Maintenance is { } controller)
        {
            try
            {
                controller.Submit(calls, state);
            }
            catch (Exception ex)
            {
                // The session's deadlines still hold: a call that never left fails its session in time, nothing wedges.
                LogMaintenanceSubmitFailed(ex, calls.Count);
            }
        }

        // Publish has handed every delivery to the dispatcher (sending already); the outbox rows ride with this batch.
        var deliveries = Outbox?.TakeRecorded() ?? [];

        if (changes.Count > 0 || outcomes.Count > 0 || deliveries.Count > 0)
        {
            var persisted = new ChangeBatch(changes, outcomes, state.ProcessedSeq, durable: commands.Count > 0) { Deliveries = deliveries };
            _store.Persist(persisted);
            foreach (var command in commands)
                command.CompleteWhen(persisted.Committed);
        }
        else
        {
            foreach (var command in commands)
                command.CompleteWhen(Task.CompletedTask);
        }

        Volatile.Write(ref _processedSeq, state.ProcessedSeq);
        if (!_waiters.IsEmpty)
        {
            foreach (var (seq, waiter) in _waiters)
            {
                if (seq <= state.ProcessedSeq && _waiters.TryRemove(seq, out _))
                    waiter.TrySetResult();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _inbox.CompleteAdding();
        if (_thread is not null)
            await Task.Run(() => _thread.Join(TimeSpan.FromSeconds(10)));
        _inbox.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Replaying {Count} recorded events after log position {Seq}")]
    private partial void LogReplaying(int count, long seq);

    [LoggerMessage(Level = LogLevel.Error, Message = "Processing event {EventId} failed; it is marked ignored")]
    private partial void LogEventFailed(Exception error, string eventId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handing {Count} maintenance calls to the controller failed")]
    private partial void LogMaintenanceSubmitFailed(Exception error, int count);

    [LoggerMessage(Level = LogLevel.Critical, Message = "An engine batch failed")]
    private partial void LogBatchFailed(Exception error);

    private interface ICommand
    {
        void Run(StateEditor editor);
        void Fail(Exception error);
        void CompleteWhen(Task committed);
    }

    private sealed class Command<T>(Func<StateEditor, T> body) : ICommand
    {
        private T _result = default!;

        public TaskCompletionSource<T> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Run(StateEditor editor) => _result = body(editor);

        public void Fail(Exception error) => Done.TrySetException(error);

        public void CompleteWhen(Task committed)
        {
            if (committed.IsCompletedSuccessfully)
            {
                Done.TrySetResult(_result);
                return;
            }

            committed.ContinueWith(
                static (task, state) =>
                {
                    var self = (Command<T>)state!;
                    if (task.IsCompletedSuccessfully)
                        self.Done.TrySetResult(self._result);
                    else
                        self.Done.TrySetException(task.Exception?.InnerException ?? new StoreUnavailableException("commit failed"));
                },
                this,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }
}
