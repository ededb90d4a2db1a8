using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Doctor.Access;
using Doctor.Events;
using Doctor.Faults;
using Doctor.Inventory;
using Doctor.Secrets;
using Doctor.Serialization;
using Doctor.State;
using Doctor.Subscriptions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Doctor.Storage.Sqlite;

/// <summary>
/// The embedded store: two SQLite files in WAL mode, each with its own writer thread and group commit.
/// <c>events.db</c> is the log and syncs every commit, so a 202 means "on disk". <c>state.db</c> is the engine's
/// checkpoint: it syncs only when a batch carries an acknowledged admin command, because anything else it holds
/// can be replayed from the log. Keeping them apart means an event never waits behind a state write.
/// </summary>
public sealed partial class SqliteStore : IDoctorStore
{
    private readonly string _dataDirectory;
    private readonly string _logPath;
    private readonly string _statePath;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private SecretSealer? _secrets;
    private SqliteConnection? _log;
    private SqliteConnection? _state;
    private LogStatements? _logStatements;
    private StateStatements? _stateStatements;
    private OutboxStatements? _outboxStatements;
    private GroupCommitter<AppendRequest>? _logWriter;
    private GroupCommitter<ChangeBatch>? _stateWriter;
    private Action<IReadOnlyList<EventRecord>> _sink = static _ => { };
    private int _disposed;
    private long _nextSeq;
    private Thread? _checkpoints;
    private readonly CancellationTokenSource _stopping = new();

    /// <param name="secrets">Seals webhook secrets in <c>state.db</c>. Null: the key in the data directory's
    /// <c>secret.key</c>, created on the first start.</param>
    public SqliteStore(string dataDirectory, TimeProvider time, ILogger<SqliteStore> logger, SecretSealer? secrets = null)
    {
        // A new data directory is private to the service's user: it holds the token hashes and the secret key.
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(dataDirectory);
        else
            Directory.CreateDirectory(dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        _dataDirectory = dataDirectory;
        _secrets = secrets;
        _logPath = Path.Combine(dataDirectory, "events.db");
        _statePath = Path.Combine(dataDirectory, "state.db");
        _time = time;
        _logger = logger;
    }

    /// <summary>Dead deliveries kept per subscription in the outbox. Default <see cref="DoctorConstants.DeliveryDeadKept"/>.</summary>
    public int DeadKept { get; init; } = DoctorConstants.DeliveryDeadKept;

    public void OnCommitted(Action<IReadOnlyList<EventRecord>> sink) => _sink = sink;

    public Task<LoadedState> LoadAsync(CancellationToken cancellationToken)
    {
        _secrets ??= OpenKeyFile();
        _log = Open(_logPath, synchronous: "FULL");
        _state = Open(_statePath, synchronous: "NORMAL");
        var isNew = Migrate(_log, SqliteSchema.Log);
        Migrate(_state, SqliteSchema.State);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var loaded = SqliteLoader.Load(_state, _log, isNew, _secrets) with { Outbox = OutboxStatements.Load(_state) };
        LogLoaded(loaded.State.Map.Hosts.Count, loaded.State.Map.Servers.Count, loaded.State.Map.Ports.Count, loaded.State.Faults.All.Count,
            loaded.State.Subscriptions.All.Count, loaded.Unprocessed.Count, watch.Elapsed.TotalSeconds);
        _logStatements = new LogStatements(_log);
        _nextSeq = _logStatements.NextSeq();
        _stateStatements = new StateStatements(_state, _secrets);
        _outboxStatements = new OutboxStatements(_state);
        _logWriter = new GroupCommitter<AppendRequest>("doctor-log-writer", CommitAppends, FailAppends, r => r.Events.Count, DoctorConstants.StoreBatchEvents);
        _stateWriter = new GroupCommitter<ChangeBatch>("doctor-state-writer", CommitChanges, FailChanges, b => b.Changes.Count + b.Deliveries.Count + 1, DoctorConstants.StoreBatchEvents, background: true);
        _checkpoints = new Thread(CheckpointLoop) { IsBackground = true, Name = "doctor-checkpoint" };
        _checkpoints.Start();
        return Task.FromResult(loaded);
    }

    private SecretSealer OpenKeyFile()
    {
        var key = SecretKeys.LoadOrCreate(_dataDirectory, out var created);
        if (created)
            LogKeyCreated(Path.Combine(_dataDirectory, SecretKeys.FileName));
        else if (SecretKeys.IsExposed(_dataDirectory))
            LogKeyExposed(Path.Combine(_dataDirectory, SecretKeys.FileName));
        return new SecretSealer(key);
    }

    public Task<AppendResult> AppendAsync(IReadOnlyList<RawEvent> events, long receivedTicks, CancellationToken cancellationToken)
    {
        var request = new AppendRequest(events, receivedTicks);
        if (_logWriter is null || !_logWriter.TryAdd(request))
            throw new StoreUnavailableException("the event log is not open");
        return request.Done.Task;
    }

    public void Persist(ChangeBatch batch)
    {
        if (_stateWriter is null || !_stateWriter.TryAdd(batch))
            batch.Fail(new StoreUnavailableException("the state store is not open"));
    }

    private void CommitAppends(List<AppendRequest> requests)
    {
        var s = _logStatements!;
        var recordedAt = _time.GetUtcNow();
        var first = _nextSeq;
        try
        {
            using var transaction = _log!.BeginTransaction();
            s.Enlist(transaction);
            foreach (var request in requests)
            {
                request.Ids.Clear();
                request.Recorded.Clear();
                foreach (var e in request.Events)
                {
                    if (!s.Insert(_nextSeq, e, recordedAt.UtcTicks))
                    {
                        request.Ids.Add(s.ExistingId(e) ?? e.Id); // a repeat: same answer, not processed again
                        continue;
                    }

                    request.Ids.Add(e.Id);
                    request.Recorded.Add(new EventRecord(_nextSeq++, e, recordedAt, request.ReceivedTicks, 0));
                }
            }

            transaction.Commit();
        }
        catch
        {
            _nextSeq = first; // rolled back: the positions are free again
            throw;
        }

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
            _sink(all);
        foreach (var request in requests)
            request.Done.TrySetResult(new AppendResult(request.Ids.ToArray(), request.Recorded.ToArray()));
    }

    private void FailAppends(List<AppendRequest> requests, Exception error)
    {
        LogWriteFailed(error, "events.db", requests.Count);
        var refused = new StoreUnavailableException("the event log could not be written: " + error.Message, error);
        foreach (var request in requests)
            request.Done.TrySetException(refused);
    }

    private void CommitChanges(List<ChangeBatch> batches)
    {
        var s = _stateStatements!;
        s.SetSynchronous(batches.Any(b => b.Durable) ? "FULL" : "NORMAL");
        long processed = 0;
        using (var transaction = _state!.BeginTransaction())
        {
            s.Enlist(transaction);
            var outbox = _outboxStatements!;
            outbox.Enlist(transaction);
            foreach (var batch in batches)
            {
                foreach (var change in batch.Changes)
                    s.WriteRow(change);
                // In the same transaction as processed_seq: an event is either replayed (and its notifications rebuilt
                // with the same ids) or its undelivered notifications are in the outbox, never neither.
                foreach (var delivery in batch.Deliveries)
                    outbox.Write(delivery, DeadKept);
                foreach (var outcome in batch.Outcomes)
                {
                    if (outcome.Reason != EventOutcome.NoRuleReason)
                        s.WriteOutcome(outcome);
                }
                processed = Math.Max(processed, batch.ProcessedSeq);
            }

            if (processed > 0)
                s.SetMeta("processed_seq", processed.ToString(CultureInfo.InvariantCulture));
            transaction.Commit();
        }

        foreach (var batch in batches)
            batch.Complete();
    }

    private void FailChanges(List<ChangeBatch> batches, Exception error)
    {
        LogWriteFailed(error, "state.db", batches.Count);
        var refused = new StoreUnavailableException("the state could not be written: " + error.Message, error);
        foreach (var batch in batches)
            batch.Fail(refused);
    }

    /// <summary>
    /// Moves WAL content into the database files once a second from separate connections (PASSIVE: never blocks
    /// the writers), so the WAL stays small without any commit paying for a checkpoint.
    /// </summary>
    private void CheckpointLoop()
    {
        ThreadNiceness.Lower();
        using var log = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _logPath, Pooling = false }.ToString());
        using var state = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _statePath, Pooling = false }.ToString());
        log.Open();
        state.Open();
        while (!_stopping.Token.WaitHandle.WaitOne(TimeSpan.FromSeconds(1)))
        {
            try
            {
                Execute(log, "PRAGMA wal_checkpoint(PASSIVE)");
                Execute(state, "PRAGMA wal_checkpoint(PASSIVE)");
            }
            catch (SqliteException ex)
            {
                LogCheckpointFailed(ex);
            }
        }
    }

    public async Task<StoredEvent?> GetEventAsync(string id, CancellationToken cancellationToken)
    {
        var list = await QueryEventsAsync(" WHERE id = $id", [("$id", id)], 1, cancellationToken);
        return list.Count == 0 ? null : list[0];
    }

    public Task<IReadOnlyList<StoredEvent>> ListEventsAsync(EventQuery query, CancellationToken cancellationToken)
    {
        var where = new List<string>();
        var parameters = new List<(string, object)>();
        if (query.Type is not null)
        {
            where.Add("type = $type");
            parameters.Add(("$type", query.Type));
        }

        if (query.Since is { } since)
        {
            where.Add("time >= $since");
            parameters.Add(("$since", since.UtcTicks));
        }

        if (query.Marker is not null)
        {
            where.Add("seq > coalesce((SELECT seq FROM events WHERE id = $marker), 9223372036854775807)");
            parameters.Add(("$marker", query.Marker));
        }

        var sql = where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : string.Empty;
        return QueryEventsAsync(sql, parameters, query.Limit, cancellationToken);
    }

    private async Task<IReadOnlyList<StoredEvent>> QueryEventsAsync(string where, List<(string Name, object Value)> parameters, int limit, CancellationToken cancellationToken)
    {
        var rows = new List<(long Seq, RawEvent Event, DateTimeOffset RecordedAt)>();
        await using (var log = OpenReader(_logPath))
        {
            await using var command = log.CreateCommand();
            command.CommandText = "SELECT seq, body, recorded_at FROM events" + where + " ORDER BY seq LIMIT $limit";
            foreach (var (name, value) in parameters)
                command.Parameters.AddWithValue(name, value);
            command.Parameters.AddWithValue("$limit", limit);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                rows.Add((reader.GetInt64(0), JsonSerializer.Deserialize(reader.GetString(1), StoreJson.Default.RawEvent)!, Ticks(reader.GetInt64(2))));
        }

        var outcomes = new Dictionary<long, (EventStatus, string[], string?)>();
        long processed = 0;
        if (rows.Count > 0)
        {
            await using var state = OpenReader(_statePath);
            await using (var meta = state.CreateCommand())
            {
                meta.CommandText = "SELECT value FROM meta WHERE key = 'processed_seq'";
                if (await meta.ExecuteScalarAsync(cancellationToken) is string text)
                    processed = long.Parse(text, CultureInfo.InvariantCulture);
            }

            await using var command = state.CreateCommand();
            command.CommandText = "SELECT seq, status, fault_ids, reason FROM event_outcomes WHERE seq BETWEEN $first AND $last";
            command.Parameters.AddWithValue("$first", rows[0].Seq);
            command.Parameters.AddWithValue("$last", rows[^1].Seq);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                outcomes[reader.GetInt64(0)] = (
                    Enum.Parse<EventStatus>(reader.GetString(1), ignoreCase: true),
                    JsonSerializer.Deserialize(reader.GetString(2), StoreJson.Default.StringArray) ?? [],
                    reader.IsDBNull(3) ? null : reader.GetString(3));
            }
        }

        // Events that no policy rule matched get no outcome row (bulk ingest of unknown types would double the
        // writes); one the engine has passed without a row was therefore ignored for that reason.
        return [.. rows.Select(r => outcomes.TryGetValue(r.Seq, out var o)
            ? new StoredEvent(r.Seq, r.Event, r.RecordedAt, o.Item1, o.Item2, o.Item3)
            : r.Seq <= processed
                ? new StoredEvent(r.Seq, r.Event, r.RecordedAt, EventStatus.Ignored, [], EventOutcome.NoRuleReason)
                : new StoredEvent(r.Seq, r.Event, r.RecordedAt, EventStatus.Pending, [], null))];
    }

    internal static DateTimeOffset Ticks(long utcTicks) => new(utcTicks, TimeSpan.Zero);

    private static SqliteConnection Open(string path, string synchronous)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        // Checkpoints run on their own timer (CheckpointLoop), not inside a commit: an automatic checkpoint would
        // make the unlucky event that crosses the threshold wait for a database-file fsync.
        Execute(connection, $"PRAGMA journal_mode=WAL; PRAGMA synchronous={synchronous}; PRAGMA busy_timeout=5000; PRAGMA wal_autocheckpoint=0;");
        return connection;
    }

    private static SqliteConnection OpenReader(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>Applies the migrations not yet applied; true when the file was new.</summary>
    private static bool Migrate(SqliteConnection connection, string[] migrations)
    {
        Execute(connection, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT max(version) FROM schema_version";
        var current = read.ExecuteScalar() is long v ? (int)v : 0;
        if (current > migrations.Length)
            throw new InvalidOperationException($"{connection.DataSource} has schema version {current}, newer than this Doctor ({migrations.Length}); refusing to start");
        for (var version = current + 1; version <= migrations.Length; version++)
        {
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = migrations[version - 1] + $"; INSERT INTO schema_version VALUES ({version});";
            command.ExecuteNonQuery();
            transaction.Commit();
        }

        return current == 0;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return ValueTask.CompletedTask;
        _stopping.Cancel();
        _checkpoints?.Join(TimeSpan.FromSeconds(10));
        // The log first: whatever it accepted reaches the engine; then the state writer drains what the engine made.
        _logWriter?.Dispose();
        _stateWriter?.Dispose();
        _logStatements?.Dispose();
        _stateStatements?.Dispose();
        _outboxStatements?.Dispose();
        foreach (var connection in new[] { _log, _state })
        {
            if (connection is null)
                continue;
            Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
            connection.Dispose();
        }

        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Hosts} hosts, {Servers} servers, {Ports} ports, {Faults} faults, {Subscriptions} subscriptions and {Pending} events to replay in {Seconds:0.00} s")]
    private partial void LogLoaded(int hosts, int servers, int ports, int faults, int subscriptions, int pending, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Created {Path}, the key that encrypts webhook secrets at rest; back it up apart from state.db")]
    private partial void LogKeyCreated(string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Path} is readable by other users; it should be mode 0600 (chmod 600)")]
    private partial void LogKeyExposed(string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A WAL checkpoint failed; it is retried in a second")]
    private partial void LogCheckpointFailed(Exception error);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Could not commit a batch of {Count} writes to {File}; they were refused")]
    private partial void LogWriteFailed(Exception error, string file, int count);

    private sealed class AppendRequest(IReadOnlyList<RawEvent> events, long receivedTicks)
    {
        public IReadOnlyList<RawEvent> Events { get; } = events;
        public long ReceivedTicks { get; } = receivedTicks;
        public List<string> Ids { get; } = new(events.Count);
        public List<EventRecord> Recorded { get; } = new(events.Count);
        public TaskCompletionSource<AppendResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
