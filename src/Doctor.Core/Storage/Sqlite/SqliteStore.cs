using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Doctor.Access;
using Doctor.Events;
using Doctor.Faults;
using Doctor.Inventory;
using Doctor.Serialization;
using Doctor.State;
using Doctor.Subscriptions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Doctor.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode with <c>synchronous=FULL</c>. A single writer thread takes
/// every pending append and change batch, writes them in one transaction and commits once, so concurrent
/// requests share one fsync (group commit). Readers use their own connections and never wait for it.
/// </summary>
public sealed partial class SqliteStore : IDoctorStore
{
    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly BlockingCollection<object> _queue = new(new ConcurrentQueue<object>());
    private Thread? _writer;
    private SqliteConnection? _connection;
    private Action<IReadOnlyList<EventRecord>> _sink = static _ => { };
    private WriterCommands? _commands;

    public SqliteStore(string dataDirectory, TimeProvider time, ILogger<SqliteStore> logger)
    {
        Directory.CreateDirectory(dataDirectory);
        _path = Path.Combine(dataDirectory, "doctor.db");
        _time = time;
        _logger = logger;
    }

    private string ReadConnectionString => new SqliteConnectionStringBuilder
    {
        DataSource = _path, Mode = SqliteOpenMode.ReadOnly, Pooling = true,
    }.ToString();

    public void OnCommitted(Action<IReadOnlyList<EventRecord>> sink) => _sink = sink;

    public Task<LoadedState> LoadAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = _path, Pooling = false }.ToString());
        connection.Open();
        Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000; PRAGMA foreign_keys=OFF;");
        var isNew = Migrate(connection);
        var loaded = Load(connection, isNew);
        _connection = connection;
        _commands = new WriterCommands(connection);
        _writer = new Thread(WriterLoop) { IsBackground = true, Name = "doctor-store-writer" };
        _writer.Start();
        return Task.FromResult(loaded);
    }

    public Task<AppendResult> AppendAsync(IReadOnlyList<RawEvent> events, long receivedTicks, CancellationToken cancellationToken)
    {
        var request = new AppendRequest(events, receivedTicks);
        if (!_queue.TryAdd(request))
            throw new StoreUnavailableException("the store is shutting down");
        return request.Done.Task;
    }

    public void Persist(ChangeBatch batch)
    {
        if (!_queue.TryAdd(batch))
            batch.Fail(new StoreUnavailableException("the store is shutting down"));
    }

    private void WriterLoop()
    {
        var work = new List<object>();
        var recorded = new List<EventRecord>();
        while (true)
        {
            work.Clear();
            recorded.Clear();
            object? first;
            try
            {
                if (!_queue.TryTake(out first, Timeout.Infinite))
                    return;
            }
            catch (InvalidOperationException)
            {
                return; // completed and empty
            }

            work.Add(first);
            var events = first is AppendRequest a ? a.Events.Count : 0;
            while (events < DoctorConstants.StoreBatchEvents && _queue.TryTake(out var more))
            {
                work.Add(more);
                if (more is AppendRequest m)
                    events += m.Events.Count;
            }

            try
            {
                WriteBatch(work, recorded);
            }
            catch (Exception ex)
            {
                LogWriteFailed(ex, work.Count);
                var error = new StoreUnavailableException("the event log could not be written: " + ex.Message, ex);
                foreach (var item in work)
                {
                    if (item is AppendRequest r)
                        r.Done.TrySetException(error);
                    else if (item is ChangeBatch b)
                        b.Fail(error);
                }

                continue;
            }

            foreach (var item in work)
            {
                if (item is AppendRequest r)
                    r.Done.TrySetResult(new AppendResult(r.Ids, r.Recorded));
                else if (item is ChangeBatch b)
                    b.Complete();
            }

            if (recorded.Count > 0)
                _sink(recorded.ToArray());
        }
    }

    private void WriteBatch(List<object> work, List<EventRecord> recorded)
    {
        var c = _commands!;
        using var transaction = _connection!.BeginTransaction();
        c.Enlist(transaction);
        var recordedAt = _time.GetUtcNow();
        var recordedText = Rfc3339.Format(recordedAt);
        foreach (var item in work)
        {
            if (item is AppendRequest append)
            {
                foreach (var e in append.Events)
                {
                    var seq = c.InsertEvent(e, recordedText);
                    if (seq is null)
                    {
                        append.Ids.Add(c.ExistingId(e) ?? e.Id);
                        continue;
                    }

                    append.Ids.Add(e.Id);
                    var record = new EventRecord(seq.Value, e, recordedAt, append.ReceivedTicks, 0);
                    append.Recorded.Add(record);
                    recorded.Add(record);
                }
            }
            else if (item is ChangeBatch batch)
            {
                foreach (var change in batch.Changes)
                    c.WriteRow(change);
                foreach (var outcome in batch.Outcomes)
                    c.WriteOutcome(outcome);
                if (batch.ProcessedSeq > 0)
                    c.SetMeta("processed_seq", batch.ProcessedSeq.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        transaction.Commit();
        if (recorded.Count > 0)
        {
            var now = Stopwatch.GetTimestamp();
            for (var i = 0; i < recorded.Count; i++)
                recorded[i] = recorded[i] with { RecordedTicks = recorded[i].ReceivedTicks == 0 ? 0 : now };
        }
    }

    public async Task<StoredEvent?> GetEventAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(ReadConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = SelectEvents + " WHERE e.id = $id";
        command.Parameters.AddWithValue("$id", id);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadEvent(reader) : null;
    }

    public async Task<IReadOnlyList<StoredEvent>> ListEventsAsync(EventQuery query, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(ReadConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        var where = new List<string>();
        if (query.Type is not null)
        {
            where.Add("e.type = $type");
            command.Parameters.AddWithValue("$type", query.Type);
        }

        if (query.Since is { } since)
        {
            where.Add("e.time >= $since");
            command.Parameters.AddWithValue("$since", Rfc3339.Format(since));
        }

        if (query.Marker is not null)
        {
            where.Add("e.seq > coalesce((SELECT seq FROM events WHERE id = $marker), 9223372036854775807)");
            command.Parameters.AddWithValue("$marker", query.Marker);
        }

        command.CommandText = SelectEvents + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : string.Empty) + " ORDER BY e.seq LIMIT $limit";
        command.Parameters.AddWithValue("$limit", query.Limit);
        var list = new List<StoredEvent>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            list.Add(ReadEvent(reader));
        return list;
    }

    private const string SelectEvents =
        "SELECT e.seq, e.body, e.recorded_at, o.status, o.fault_ids, o.reason FROM events e LEFT JOIN event_outcomes o ON o.seq = e.seq";

    private static StoredEvent ReadEvent(SqliteDataReader reader)
    {
        var e = JsonSerializer.Deserialize<RawEvent>(reader.GetString(1), DoctorJson.Options)!;
        Rfc3339.TryParse(reader.GetString(2), out var recordedAt);
        var status = reader.IsDBNull(3) ? EventStatus.Pending : Enum.Parse<EventStatus>(reader.GetString(3), ignoreCase: true);
        var faults = reader.IsDBNull(4) ? [] : JsonSerializer.Deserialize<string[]>(reader.GetString(4))!;
        return new StoredEvent(reader.GetInt64(0), e, recordedAt, status, faults, reader.IsDBNull(5) ? null : reader.GetString(5));
    }

    private static bool Migrate(SqliteConnection connection)
    {
        Execute(connection, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT max(version) FROM schema_version";
        var current = read.ExecuteScalar() is long v ? (int)v : 0;
        for (var version = current + 1; version <= SqliteSchema.Migrations.Length; version++)
        {
            using var transaction = connection.BeginTransaction();
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = SqliteSchema.Migrations[version - 1] + $"; INSERT INTO schema_version VALUES ({version});";
            command.ExecuteNonQuery();
            transaction.Commit();
        }

        return current == 0;
    }

    private static LoadedState Load(SqliteConnection connection, bool isNew)
    {
        var hosts = new List<Host>();
        var servers = new List<Server>();
        var ports = new List<Port>();
        var faults = new List<Fault>();
        var subscriptions = new List<Subscription>();
        var tokens = new List<Token>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT kind, body FROM records ORDER BY kind, id";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var body = reader.GetString(1);
                switch ((RowKind)reader.GetInt32(0))
                {
                    case RowKind.Host: hosts.Add(Deserialize<Host>(body)); break;
                    case RowKind.Server: servers.Add(Deserialize<Server>(body)); break;
                    case RowKind.Port: ports.Add(Deserialize<Port>(body)); break;
                    case RowKind.Fault: faults.Add(Deserialize<Fault>(body)); break;
                    case RowKind.Subscription: subscriptions.Add(Deserialize<Subscription>(body)); break;
                    case RowKind.Token: tokens.Add(Deserialize<Token>(body)); break;
                }
            }
        }

        long processed = 0;
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT value FROM meta WHERE key = 'processed_seq'";
            if (command.ExecuteScalar() is string text)
                processed = long.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        }

        var unprocessed = new List<EventRecord>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT seq, body, recorded_at FROM events WHERE seq > $seq ORDER BY seq";
            command.Parameters.AddWithValue("$seq", processed);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                Rfc3339.TryParse(reader.GetString(2), out var recordedAt);
                unprocessed.Add(new EventRecord(reader.GetInt64(0), Deserialize<RawEvent>(reader.GetString(1)), recordedAt, 0, 0));
            }
        }

        var state = new DoctorState(
            ResourceMap.From(hosts, servers, ports),
            FaultBook.From(faults),
            SubscriptionBook.From(subscriptions),
            TokenBook.From(tokens),
            processed);
        return new LoadedState(state, unprocessed, isNew);
    }

    private static T Deserialize<T>(string json) => JsonSerializer.Deserialize<T>(json, DoctorJson.Options)!;

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public async ValueTask DisposeAsync()
    {
        _queue.CompleteAdding();
        if (_writer is not null)
            await Task.Run(() => _writer.Join(TimeSpan.FromSeconds(10)));
        _commands?.Dispose();
        if (_connection is not null)
        {
            Execute(_connection, "PRAGMA wal_checkpoint(TRUNCATE)");
            await _connection.DisposeAsync();
        }

        _queue.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "The store could not commit a batch of {Count} writes; they were refused")]
    private partial void LogWriteFailed(Exception error, int count);

    private sealed class AppendRequest(IReadOnlyList<RawEvent> events, long receivedTicks)
    {
        public IReadOnlyList<RawEvent> Events { get; } = events;
        public long ReceivedTicks { get; } = receivedTicks;
        public List<string> Ids { get; } = new(events.Count);
        public List<EventRecord> Recorded { get; } = new(events.Count);
        public TaskCompletionSource<AppendResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
