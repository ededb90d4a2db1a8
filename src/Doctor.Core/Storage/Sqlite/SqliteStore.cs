using System.Data.Common;
using Doctor.Events;
using Doctor.Secrets;
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
    private StoreWriters? _writers;
    private Action<IReadOnlyList<EventRecord>> _sink = static _ => { };
    private int _disposed;
    private long _nextSeq;
    private Thread? _checkpoints;
    private readonly CancellationTokenSource _stopping = new();

    /// <param name="secrets">Seals webhook secrets in <c>state.db</c>. Null: the key in the data directory's
    /// <c>secret.key</c>, created on the first start.</param>
    public SqliteStore(string dataDirectory, TimeProvider time, ILogger<SqliteStore> logger, SecretSealer? secrets = null)
    {
        StoreSecrets.CreateDataDirectory(dataDirectory);
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
        _secrets ??= StoreSecrets.OpenKeyFile(_dataDirectory, _logger);
        _log = Open(_logPath, synchronous: "FULL");
        _state = Open(_statePath, synchronous: "NORMAL");
        var isNew = Migrate(_log, SqliteSchema.Log);
        Migrate(_state, SqliteSchema.State);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var loaded = StoreLoader.Load(_state, _log, isNew, _secrets);
        LogLoaded(loaded.State.Map.Hosts.Count, loaded.State.Map.Servers.Count, loaded.State.Map.Ports.Count, loaded.State.Faults.All.Count,
            loaded.State.Subscriptions.All.Count, loaded.Unprocessed.Count, watch.Elapsed.TotalSeconds);
        _logStatements = new LogStatements(_log);
        _nextSeq = _logStatements.NextSeq();
        _stateStatements = new StateStatements(_state);
        _writers = new StoreWriters(CommitAppends, FailAppends, CommitChanges, FailChanges);
        _checkpoints = new Thread(CheckpointLoop) { IsBackground = true, Name = "doctor-checkpoint" };
        _checkpoints.Start();
        return Task.FromResult(loaded);
    }

    public Task<AppendResult> AppendAsync(IReadOnlyList<RawEvent> events, long receivedTicks, CancellationToken cancellationToken) =>
        StoreWriters.Append(_writers, events, receivedTicks);

    public void Persist(ChangeBatch batch) => StoreWriters.Persist(_writers, batch);

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
                request.Reset();
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

        EventAppends.Complete(requests, _sink);
    }

    private void FailAppends(List<AppendRequest> requests, Exception error)
    {
        LogWriteFailed(error, "events.db", requests.Count);
        EventAppends.Fail(requests, error);
    }

    private void CommitChanges(List<ChangeBatch> batches)
    {
        var s = _stateStatements!;
        s.SetSynchronous(batches.Any(b => b.Durable) ? "FULL" : "NORMAL");
        using (var transaction = _state!.BeginTransaction())
        {
            s.Enlist(transaction);
            ChangeWrites.Apply(batches, s, _secrets!, DeadKept);
            transaction.Commit();
        }

        ChangeWrites.Complete(batches);
    }

    private void FailChanges(List<ChangeBatch> batches, Exception error)
    {
        LogWriteFailed(error, "state.db", batches.Count);
        ChangeWrites.Fail(batches, error);
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

    public Task<StoredEvent?> GetEventAsync(string id, CancellationToken cancellationToken) =>
        EventReads.GetAsync(OpenLogReader, OpenStateReader, id, cancellationToken);

    public Task<IReadOnlyList<StoredEvent>> ListEventsAsync(EventQuery query, CancellationToken cancellationToken) =>
        EventReads.ListAsync(OpenLogReader, OpenStateReader, query, cancellationToken);

    private Task<DbConnection> OpenLogReader(CancellationToken cancellationToken) => Task.FromResult<DbConnection>(OpenReader(_logPath));

    private Task<DbConnection> OpenStateReader(CancellationToken cancellationToken) => Task.FromResult<DbConnection>(OpenReader(_statePath));

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
        _writers?.Dispose();
        _logStatements?.Dispose();
        _stateStatements?.Dispose();
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "A WAL checkpoint failed; it is retried in a second")]
    private partial void LogCheckpointFailed(Exception error);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Could not commit a batch of {Count} writes to {File}; they were refused")]
    private partial void LogWriteFailed(Exception error, string file, int count);
}
