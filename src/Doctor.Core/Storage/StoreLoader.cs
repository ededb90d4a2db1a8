using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using Doctor.Access;
using Doctor.Events;
using Doctor.Faults;
using Doctor.Inventory;
using Doctor.Maintenance;
using Doctor.Secrets;
using Doctor.Silences;
using Doctor.State;
using Doctor.Subscriptions;
using System.Data.Common;

namespace Doctor.Storage;

/// <summary>
/// Start-up: the state checkpoint into the indexed in-memory state, plus the log's events still to process. Plain
/// ADO.NET over the tables both stores share (records, meta, events, outbox), so SQLite and PostgreSQL load alike.
/// </summary>
internal static class StoreLoader
{
    public static LoadedState Load(DbConnection state, DbConnection log, bool isNew, SecretSealer secrets)
    {
        var records = ReadRecords(state, secrets);
        var hosts = records.OfType<Host>();
        var servers = records.OfType<Server>();
        var ports = records.OfType<Port>();
        var faults = records.OfType<Fault>();
        var subscriptions = records.OfType<Subscription>();
        var tokens = records.OfType<Token>();
        var devices = records.OfType<Device>();
        var silences = records.OfType<Silence>();
        var sessions = records.OfType<MaintenanceSession>();
        var instanceConstraints = records.OfType<InstanceConstraint>();
        var groupConstraints = records.OfType<InstanceGroupConstraint>();

        long processed = 0;
        using (var command = state.CreateCommand())
        {
            command.CommandText = "SELECT value FROM meta WHERE key = 'processed_seq'";
            if (command.ExecuteScalar() is string text)
                processed = long.Parse(text, CultureInfo.InvariantCulture);
        }

        var unprocessed = new List<EventRecord>();
        using (var command = log.CreateCommand())
        {
            command.CommandText = "SELECT seq, body, recorded_at FROM events WHERE seq > @seq ORDER BY seq";
            command.AddParameter("seq", processed);
            using var reader = command.ExecuteReader();
            while (reader.Read())
                unprocessed.Add(new EventRecord(reader.GetInt64(0), JsonSerializer.Deserialize(reader.GetString(1), StoreJson.Default.RawEvent)!, Ticks(reader.GetInt64(2)), 0, 0));
        }

        // The map, the fault book and the subscriptions are independent: build them side by side.
        var map = Task.Run(() => ResourceMap.From(hosts, servers, ports, devices));
        var faultBook = Task.Run(() => FaultBook.From(faults));
        var subscriptionBook = SubscriptionBook.From(subscriptions);
        var loaded = new DoctorState(map.GetAwaiter().GetResult(), faultBook.GetAwaiter().GetResult(), subscriptionBook, TokenBook.From(tokens), processed)
        {
            Silences = SilenceBook.From(silences),
            Maintenance = MaintenanceBook.From(sessions),
            Constraints = ConstraintBook.From(instanceConstraints, groupConstraints),
        };
        return new LoadedState(loaded, unprocessed, isNew) { Outbox = OutboxRows.Load(state) };
    }

    /// <summary>Times are stored as UTC ticks in both stores: exact, and compared as numbers.</summary>
    public static DateTimeOffset Ticks(long utcTicks) => new(utcTicks, TimeSpan.Zero);

    /// <summary>Adds a named parameter; both providers accept <c>@name</c>.</summary>
    public static void AddParameter(this DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    /// <summary>
    /// Reads every record row, deserializing on all cores while one thread reads: at a million rows the JSON is most
    /// of a cold start.
    /// </summary>
    private static RecordSet ReadRecords(DbConnection state, SecretSealer secrets)
    {
        using var chunks = new BlockingCollection<(RowKind Kind, string Body)[]>(boundedCapacity: 8);
        var workers = Enumerable.Range(0, Math.Max(1, Environment.ProcessorCount)).Select(_ => Task.Run(() =>
        {
            var set = new RecordSet(secrets);
            ExceptionDispatchInfo? failed = null;
            foreach (var chunk in chunks.GetConsumingEnumerable())
            {
                // After a failure keep draining: a worker that quit would leave the reader blocked on the bounded
                // queue once every worker had failed, and the start would hang instead of reporting the error.
                if (failed is not null)
                    continue;
                try
                {
                    foreach (var (kind, body) in chunk)
                        set.Add(kind, body);
                }
                catch (Exception ex)
                {
                    failed = ExceptionDispatchInfo.Capture(ex);
                }
            }

            failed?.Throw();
            return set;
        })).ToArray();

        try
        {
            using var command = state.CreateCommand();
            command.CommandText = "SELECT kind, body FROM records";
            using var reader = command.ExecuteReader();
            var chunk = new List<(RowKind, string)>(4096);
            while (reader.Read())
            {
                chunk.Add(((RowKind)reader.GetInt32(0), reader.GetString(1)));
                if (chunk.Count == 4096)
                {
                    chunks.Add([.. chunk]);
                    chunk.Clear();
                }
            }

            if (chunk.Count > 0)
                chunks.Add([.. chunk]);
        }
        finally
        {
            chunks.CompleteAdding();
        }

        var all = new RecordSet(secrets);
        foreach (var worker in workers)
            all.Merge(worker.GetAwaiter().GetResult());
        return all;
    }

    /// <summary>The stored JSON of a changed record (webhook secrets sealed); null for a deletion.</summary>
    public static string? Body(RowChange change, SecretSealer secrets) => change.Value is null ? null : change.Kind switch
    {
        RowKind.Host => JsonSerializer.Serialize((Host)change.Value, StoreJson.Default.Host),
        RowKind.Server => JsonSerializer.Serialize((Server)change.Value, StoreJson.Default.Server),
        RowKind.Port => JsonSerializer.Serialize((Port)change.Value, StoreJson.Default.Port),
        RowKind.Fault => JsonSerializer.Serialize((Fault)change.Value, StoreJson.Default.Fault),
        RowKind.Subscription => JsonSerializer.Serialize(SealedSecrets.Seal((Subscription)change.Value, secrets), StoreJson.Default.Subscription),
        RowKind.Token => JsonSerializer.Serialize((Token)change.Value, StoreJson.Default.Token),
        RowKind.Device => JsonSerializer.Serialize((Device)change.Value, StoreJson.Default.Device),
        RowKind.Silence => JsonSerializer.Serialize((Silence)change.Value, StoreJson.Default.Silence),
        RowKind.MaintenanceSession => JsonSerializer.Serialize((MaintenanceSession)change.Value, StoreJson.Default.MaintenanceSession),
        RowKind.InstanceConstraint => JsonSerializer.Serialize((InstanceConstraint)change.Value, StoreJson.Default.InstanceConstraint),
        RowKind.InstanceGroupConstraint => JsonSerializer.Serialize((InstanceGroupConstraint)change.Value, StoreJson.Default.InstanceGroupConstraint),
        _ => throw new InvalidOperationException($"unknown row kind {change.Kind}"),
    };

    /// <summary>Deserialized records by kind.</summary>
    private sealed class RecordSet(SecretSealer secrets)
    {
        private readonly List<Host> _hosts = [];
        private readonly List<Server> _servers = [];
        private readonly List<Port> _ports = [];
        private readonly List<Fault> _faults = [];
        private readonly List<Subscription> _subscriptions = [];
        private readonly List<Token> _tokens = [];
        private readonly List<Device> _devices = [];
        private readonly List<Silence> _silences = [];
        private readonly List<MaintenanceSession> _sessions = [];
        private readonly List<InstanceConstraint> _instanceConstraints = [];
        private readonly List<InstanceGroupConstraint> _groupConstraints = [];

        public void Add(RowKind kind, string body)
        {
            switch (kind)
            {
                case RowKind.Host: _hosts.Add(JsonSerializer.Deserialize(body, StoreJson.Default.Host)!); break;
                case RowKind.Server: _servers.Add(JsonSerializer.Deserialize(body, StoreJson.Default.Server)!); break;
                case RowKind.Port: _ports.Add(JsonSerializer.Deserialize(body, StoreJson.Default.Port)!); break;
                case RowKind.Fault: _faults.Add(JsonSerializer.Deserialize(body, StoreJson.Default.Fault)!); break;
                case RowKind.Subscription: _subscriptions.Add(SealedSecrets.Open(JsonSerializer.Deserialize(body, StoreJson.Default.Subscription)!, secrets)); break;
                case RowKind.Token: _tokens.Add(JsonSerializer.Deserialize(body, StoreJson.Default.Token)!); break;
                case RowKind.Device: _devices.Add(JsonSerializer.Deserialize(body, StoreJson.Default.Device)!); break;
                case RowKind.Silence: _silences.Add(JsonSerializer.Deserialize(body, StoreJson.Default.Silence)!); break;
                case RowKind.MaintenanceSession: _sessions.Add(JsonSerializer.Deserialize(body, StoreJson.Default.MaintenanceSession)!); break;
                case RowKind.InstanceConstraint: _instanceConstraints.Add(JsonSerializer.Deserialize(body, StoreJson.Default.InstanceConstraint)!); break;
                case RowKind.InstanceGroupConstraint: _groupConstraints.Add(JsonSerializer.Deserialize(body, StoreJson.Default.InstanceGroupConstraint)!); break;
            }
        }

        public void Merge(RecordSet other)
        {
            _hosts.AddRange(other._hosts);
            _servers.AddRange(other._servers);
            _ports.AddRange(other._ports);
            _faults.AddRange(other._faults);
            _subscriptions.AddRange(other._subscriptions);
            _tokens.AddRange(other._tokens);
            _devices.AddRange(other._devices);
            _silences.AddRange(other._silences);
            _sessions.AddRange(other._sessions);
            _instanceConstraints.AddRange(other._instanceConstraints);
            _groupConstraints.AddRange(other._groupConstraints);
        }

        public IReadOnlyList<T> OfType<T>() => typeof(T) switch
        {
            var t when t == typeof(Host) => (IReadOnlyList<T>)_hosts,
            var t when t == typeof(Server) => (IReadOnlyList<T>)_servers,
            var t when t == typeof(Port) => (IReadOnlyList<T>)_ports,
            var t when t == typeof(Fault) => (IReadOnlyList<T>)_faults,
            var t when t == typeof(Subscription) => (IReadOnlyList<T>)_subscriptions,
            var t when t == typeof(Device) => (IReadOnlyList<T>)_devices,
            var t when t == typeof(Silence) => (IReadOnlyList<T>)_silences,
            var t when t == typeof(MaintenanceSession) => (IReadOnlyList<T>)_sessions,
            var t when t == typeof(InstanceConstraint) => (IReadOnlyList<T>)_instanceConstraints,
            var t when t == typeof(InstanceGroupConstraint) => (IReadOnlyList<T>)_groupConstraints,
            _ => (IReadOnlyList<T>)_tokens,
        };
    }

}
