using System.Data.Common;
using System.Text.Json;
using Doctor.Events;
using Doctor.Secrets;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Doctor.Storage.Postgres;

/// <summary>
/// The production store: the same tables and semantics as <see cref="Sqlite.SqliteStore"/> in one PostgreSQL database.
/// Two writer connections, each with its own group commit: the log commits with <c>synchronous_commit=on</c>, so a 202
/// means "in the server's WAL on disk"; the state checkpoint commits with it off unless a batch carries an acknowledged
/// admin command, because anything else it holds can be replayed from the log. One Doctor owns a database (schema) at
/// a time: the log writer holds an advisory lock, so a second one refuses to start instead of interleaving log positions.
/// </summary>
public sealed partial class PostgresStore : IDoctorStore
{
    private readonly NpgsqlDataSource _readers;
    private readonly string _writerConnection;
    private readonly string _dataDirectory;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private SecretSealer? _secrets;
    private NpgsqlConnection? _log;
    private NpgsqlConnection? _state;
    private StoreWriters? _writers;
    private Action<IReadOnlyList<EventRecord>> _sink = static _ => { };
    private int _disposed;
    private long _nextSeq;
    private bool _owner;

    /// <param name="connectionString">Npgsql connection string (<c>Doctor:Connection</c>).</param>
    /// <param name="dataDirectory">Holds <c>secret.key</c> when <paramref name="secrets"/> is null.</param>
    /// <param name="secrets">Seals webhook secrets in the records table. Null: the key file in <paramref name="dataDirectory"/>.</param>
    /// <exception cref="ArgumentException">The connection string is not valid.</exception>
    public PostgresStore(string connectionString, string dataDirectory, TimeProvider time, ILogger<PostgresStore> logger, SecretSealer? secrets = null)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        Target = Describe(builder);
        _readers = NpgsqlDataSource.Create(builder);
        // The writers hold their connection (and the owner lock) for the store's lifetime: no pool in between.
        _writerConnection = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ToString();
        _dataDirectory = dataDirectory;
        _secrets = secrets;
        _time = time;
        _logger = logger;
    }

    /// <summary>Where the store points, without credentials: <c>user@host:port/database</c>.</summary>
    public string Target { get; }

    /// <summary>Dead deliveries kept per subscription in the outbox. Default <see cref="DoctorConstants.DeliveryDeadKept"/>.</summary>
    public int DeadKept { get; init; } = DoctorConstants.DeliveryDeadKept;

    /// <summary>Null when <paramref name="connectionString"/> is a valid Npgsql connection string, else why not.</summary>
    public static string? CheckConnectionString(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
            return "is required with the postgres store";
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            return string.IsNullOrEmpty(builder.Host) ? "names no Host" : null;
        }
        catch (ArgumentException ex)
        {
            return "is not a valid connection string: " + ex.Message;
        }
    }

    /// <summary>Opens and closes one connection: null when the server answers, else the error a start would report.</summary>
    /// <remarks>Lets <c>doctor serve</c> refuse an unreachable database in one line before the host starts.</remarks>
    public async Task<string?> ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(_writerConnection);
            await connection.OpenAsync(cancellationToken);
            return null;
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            return Unreachable(ex);
        }
    }

    private string Unreachable(Exception error) =>
        $"cannot connect to PostgreSQL at {Target} (Doctor:Connection, DOCTOR_CONNECTION): {error.Message}";

    public void OnCommitted(Action<IReadOnlyList<EventRecord>> sink) => _sink = sink;

    public Task<LoadedState> LoadAsync(CancellationToken cancellationToken)
    {
        if (_secrets is null)
        {
            StoreSecrets.CreateDataDirectory(_dataDirectory);
            _secrets = StoreSecrets.OpenKeyFile(_dataDirectory, _logger);
        }

        _log = OpenWriter(synchronousCommit: true);
        TakeOwnership(_log);
        var isNew = PostgresSchema.Migrate(_log);
        _state = OpenWriter(synchronousCommit: false);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var loaded = StoreLoader.Load(_state, _log, isNew, _secrets);
        LogLoaded(Target, loaded.State.Map.Hosts.Count, loaded.State.Map.Servers.Count, loaded.State.Faults.All.Count,
            loaded.State.Subscriptions.All.Count, loaded.Unprocessed.Count, watch.Elapsed.TotalSeconds);
        using (var next = new NpgsqlCommand("SELECT coalesce(max(seq), 0) + 1 FROM events", _log))
            _nextSeq = (long)next.ExecuteScalar()!;
        _writers = new StoreWriters(CommitAppends, FailAppends, CommitChanges, FailChanges);
        return Task.FromResult(loaded);
    }

    private NpgsqlConnection OpenWriter(bool synchronousCommit)
    {
        var connection = new NpgsqlConnection(_writerConnection);
        try
        {
            connection.Open();
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            connection.Dispose();
            throw new StoreUnavailableException(Unreachable(ex), ex);
        }

        // Set per connection, not trusted from the server's default: the log's 202 depends on it.
        using var command = new NpgsqlCommand($"SET synchronous_commit = {(synchronousCommit ? "on" : "off")}", connection);
        command.ExecuteNonQuery();
        return connection;
    }

    private const string OwnerLockKey = "hashtext('doctor:' || current_schema())";

    private void TakeOwnership(NpgsqlConnection log)
    {
        using var command = new NpgsqlCommand($"SELECT pg_try_advisory_lock({OwnerLockKey})", log);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (command.ExecuteScalar() is not true)
        {
            if (waited.Elapsed >= DoctorConstants.StoreOwnerLockWait)
                throw new StoreUnavailableException($"another Doctor is using the database at {Target} (it holds the store's advisory lock); one Doctor per database");
            Thread.Sleep(50);
        }

        _owner = true;
    }

    /// <summary>Released explicitly: closing the connection releases it too, but only once the server has ended the
    /// session, which a restart right after a stop can beat.</summary>
    private void ReleaseOwnership(NpgsqlConnection log)
    {
        try
        {
            using var command = new NpgsqlCommand($"SELECT pg_advisory_unlock({OwnerLockKey})", log);
            command.ExecuteNonQuery();
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException)
        {
            // a broken connection: the server drops the lock with the session
        }
    }

    public Task<AppendResult> AppendAsync(IReadOnlyList<RawEvent> events, long receivedTicks, CancellationToken cancellationToken) =>
        StoreWriters.Append(_writers, events, receivedTicks);

    public void Persist(ChangeBatch batch) => StoreWriters.Persist(_writers, batch);

    /// <summary>
    /// Three round trips for the whole group: which ids and monitor keys are already recorded, one multi-row insert of
    /// the new events, and the commit. Only this writer inserts (the owner lock), so the check cannot go stale.
    /// </summary>
    private void CommitAppends(List<AppendRequest> requests)
    {
        var log = LogConnection();
        var recordedAt = _time.GetUtcNow();
        var first = _nextSeq;
        try
        {
            using var transaction = log.BeginTransaction();
            var (byId, byKey) = Known(requests, transaction);
            var seqs = new List<long>();
            var ids = new List<string>();
            var keys = new List<string?>();
            var types = new List<string>();
            var times = new List<long>();
            var bodies = new List<string>();
            foreach (var request in requests)
            {
                request.Reset();
                foreach (var e in request.Events)
                {
                    if (byId.Contains(e.Id))
                    {
                        request.Ids.Add(e.Id); // a repeat: same answer, not processed again
                        continue;
                    }

                    if (e.MonitorKey is { } key && byKey.TryGetValue(key, out var original))
                    {
                        request.Ids.Add(original);
                        continue;
                    }

                    byId.Add(e.Id);
                    if (e.MonitorKey is { } newKey)
                        byKey[newKey] = e.Id;
                    seqs.Add(_nextSeq);
                    ids.Add(e.Id);
                    keys.Add(e.MonitorKey);
                    types.Add(e.Type);
                    times.Add(e.Time.UtcTicks);
                    bodies.Add(JsonSerializer.Serialize(e, StoreJson.Default.RawEvent));
                    request.Ids.Add(e.Id);
                    request.Recorded.Add(new EventRecord(_nextSeq++, e, recordedAt, request.ReceivedTicks, 0));
                }
            }

            if (seqs.Count > 0)
            {
                using var insert = new NpgsqlCommand(
                    "INSERT INTO events (seq, id, monitor_key, type, time, recorded_at, body) " +
                    "SELECT s, i, k, t, tm, $6, b FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $7::text[]) AS u(s, i, k, t, tm, b)",
                    _log, transaction);
                insert.Parameters.Add(new NpgsqlParameter { Value = seqs.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
                insert.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                insert.Parameters.Add(new NpgsqlParameter { Value = keys.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                insert.Parameters.Add(new NpgsqlParameter { Value = types.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                insert.Parameters.Add(new NpgsqlParameter { Value = times.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
                insert.Parameters.Add(new NpgsqlParameter { Value = recordedAt.UtcTicks, NpgsqlDbType = NpgsqlDbType.Bigint });
                insert.Parameters.Add(new NpgsqlParameter { Value = bodies.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
                insert.ExecuteNonQuery();
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

    /// <summary>
    /// The log connection, opened again (with the owner lock) when the server or the network broke it. A commit whose
    /// answer was lost may still have committed: the events past the last position this writer knows are read back
    /// and handed to the engine (their callers got an error and will retry; the retry is answered with the same id).
    /// </summary>
    private NpgsqlConnection LogConnection()
    {
        var log = _log!;
        if (!log.FullState.HasFlag(System.Data.ConnectionState.Broken) && log.State == System.Data.ConnectionState.Open)
            return log;
        log.Dispose();
        _owner = false;
        var fresh = OpenWriter(synchronousCommit: true);
        try
        {
            TakeOwnership(fresh);
        }
        catch
        {
            fresh.Dispose(); // not ours: the next commit tries again from scratch
            throw;
        }

        _log = log = fresh;
        LogReconnected("log");
        var recovered = new List<EventRecord>();
        using (var command = new NpgsqlCommand("SELECT seq, body, recorded_at FROM events WHERE seq >= $1 ORDER BY seq", log))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = _nextSeq });
            using var reader = command.ExecuteReader();
            while (reader.Read())
                recovered.Add(new EventRecord(reader.GetInt64(0), JsonSerializer.Deserialize(reader.GetString(1), StoreJson.Default.RawEvent)!, StoreLoader.Ticks(reader.GetInt64(2)), 0, 0));
        }

        if (recovered.Count > 0)
        {
            _nextSeq = recovered[^1].Seq + 1;
            _sink(recovered);
        }

        return log;
    }

    /// <summary>Ids and monitor keys of the group that the log already holds (monitor key → the original event's id).</summary>
    private (HashSet<string> ById, Dictionary<string, string> ByKey) Known(List<AppendRequest> requests, NpgsqlTransaction transaction)
    {
        var ids = requests.SelectMany(r => r.Events).Select(e => e.Id).Distinct().ToArray();
        var keys = requests.SelectMany(r => r.Events).Select(e => e.MonitorKey).OfType<string>().Distinct().ToArray();
        var byId = new HashSet<string>(StringComparer.Ordinal);
        var byKey = new Dictionary<string, string>(StringComparer.Ordinal);
        using var command = new NpgsqlCommand("SELECT id, monitor_key FROM events WHERE id = ANY($1) OR monitor_key = ANY($2)", _log, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = ids, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = keys, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var id = reader.GetString(0);
            byId.Add(id);
            if (!reader.IsDBNull(1))
                byKey[reader.GetString(1)] = id;
        }

        return (byId, byKey);
    }

    private void FailAppends(List<AppendRequest> requests, Exception error)
    {
        LogWriteFailed(error, "events", requests.Count);
        EventAppends.Fail(requests, error);
    }

    private void CommitChanges(List<ChangeBatch> batches)
    {
        if (_state!.FullState.HasFlag(System.Data.ConnectionState.Broken) || _state.State != System.Data.ConnectionState.Open)
        {
            _state.Dispose();
            _state = OpenWriter(synchronousCommit: false);
            LogReconnected("state");
        }

        using (var transaction = _state.BeginTransaction())
        {
            using var batch = new NpgsqlBatch(_state, transaction);
            if (batches.Any(b => b.Durable))
                batch.BatchCommands.Add(new NpgsqlBatchCommand("SET LOCAL synchronous_commit = on"));
            ChangeWrites.Apply(batches, new PostgresStateRows(batch), _secrets!, DeadKept);
            if (batch.BatchCommands.Count > 0)
                batch.ExecuteNonQuery();
            transaction.Commit();
        }

        ChangeWrites.Complete(batches);
    }

    private void FailChanges(List<ChangeBatch> batches, Exception error)
    {
        LogWriteFailed(error, "state", batches.Count);
        ChangeWrites.Fail(batches, error);
    }

    public Task<StoredEvent?> GetEventAsync(string id, CancellationToken cancellationToken) =>
        EventReads.GetAsync(OpenReaderAsync, OpenReaderAsync, id, cancellationToken);

    public Task<IReadOnlyList<StoredEvent>> ListEventsAsync(EventQuery query, CancellationToken cancellationToken) =>
        EventReads.ListAsync(OpenReaderAsync, OpenReaderAsync, query, cancellationToken);

    private async Task<DbConnection> OpenReaderAsync(CancellationToken cancellationToken) => await _readers.OpenConnectionAsync(cancellationToken);

    private static string Describe(NpgsqlConnectionStringBuilder builder) =>
        $"{builder.Username ?? Environment.UserName}@{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username ?? Environment.UserName}";

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _writers?.Dispose();
        if (_log is not null)
        {
            if (_owner)
                ReleaseOwnership(_log);
            await _log.DisposeAsync();
        }
        if (_state is not null)
            await _state.DisposeAsync();
        await _readers.DisposeAsync();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded from PostgreSQL {Target}: {Hosts} hosts, {Servers} servers, {Faults} faults, {Subscriptions} subscriptions and {Pending} events to replay in {Seconds:0.00} s")]
    private partial void LogLoaded(string target, int hosts, int servers, int faults, int subscriptions, int pending, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The PostgreSQL {Writer} connection was broken and is open again")]
    private partial void LogReconnected(string writer);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Could not commit a batch of {Count} writes to the PostgreSQL {Table} tables; they were refused")]
    private partial void LogWriteFailed(Exception error, string table, int count);
}
