using System.Text.Json;
using Doctor.Access;
using Doctor.Events;
using Doctor.Faults;
using Doctor.Inventory;
using Doctor.Secrets;
using Doctor.Serialization;
using Doctor.Maintenance;
using Doctor.Silences;
using Doctor.State;
using Doctor.Subscriptions;
using Microsoft.Data.Sqlite;

namespace Doctor.Storage.Sqlite;

/// <summary>Prepared statements of one writer connection, reused for every row.</summary>
internal abstract class Statements(SqliteConnection connection) : IDisposable
{
    private readonly List<SqliteCommand> _all = [];

    protected SqliteConnection Connection { get; } = connection;

    protected SqliteCommand Prepare(string sql, params string[] parameters)
    {
        var command = Connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
            command.Parameters.Add(new SqliteParameter(name, DBNull.Value));
        command.Prepare();
        _all.Add(command);
        return command;
    }

    public void Enlist(SqliteTransaction transaction)
    {
        foreach (var command in _all)
            command.Transaction = transaction;
    }

    public void Dispose()
    {
        foreach (var command in _all)
            command.Dispose();
    }
}

/// <summary>Statements of the event log.</summary>
internal sealed class LogStatements : Statements
{
    private readonly SqliteCommand _insert;
    private readonly SqliteCommand _existing;

    public LogStatements(SqliteConnection connection) : base(connection)
    {
        _insert = Prepare(
            "INSERT INTO events (seq, id, monitor_key, type, time, recorded_at, body) VALUES ($seq, $id, $mk, $type, $time, $at, $body) ON CONFLICT DO NOTHING",
            "$seq", "$id", "$mk", "$type", "$time", "$at", "$body");
        _existing = Prepare("SELECT id FROM events WHERE id = $id OR monitor_key = $mk LIMIT 1", "$id", "$mk");
    }

    /// <summary>Records <paramref name="e"/> at <paramref name="seq"/>; false when its id or monitor key is already recorded.</summary>
    public bool Insert(long seq, RawEvent e, long recordedAtTicks)
    {
        var p = _insert.Parameters;
        p[0].Value = seq;
        p[1].Value = e.Id;
        p[2].Value = (object?)e.MonitorKey ?? DBNull.Value;
        p[3].Value = e.Type;
        p[4].Value = e.Time.UtcTicks;
        p[5].Value = recordedAtTicks;
        p[6].Value = JsonSerializer.Serialize(e, StoreJson.Default.RawEvent);
        return _insert.ExecuteNonQuery() == 1;
    }

    /// <summary>The next free log position.</summary>
    public long NextSeq()
    {
        using var command = Connection.CreateCommand();
        command.CommandText = "SELECT coalesce(max(seq), 0) + 1 FROM events";
        return (long)command.ExecuteScalar()!;
    }

    public string? ExistingId(RawEvent e)
    {
        _existing.Parameters[0].Value = e.Id;
        _existing.Parameters[1].Value = (object?)e.MonitorKey ?? DBNull.Value;
        return _existing.ExecuteScalar() as string;
    }
}

/// <summary>Statements of the state checkpoint.</summary>
internal sealed class StateStatements : Statements
{
    private readonly SqliteCommand _upsert;
    private readonly SqliteCommand _delete;
    private readonly SqliteCommand _outcome;
    private readonly SqliteCommand _meta;
    private readonly SecretSealer _secrets;
    private string _synchronous = "NORMAL";

    public StateStatements(SqliteConnection connection, SecretSealer secrets) : base(connection)
    {
        _secrets = secrets;
        _upsert = Prepare(
            "INSERT INTO records (kind, id, body) VALUES ($kind, $id, $body) ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body",
            "$kind", "$id", "$body");
        _delete = Prepare("DELETE FROM records WHERE kind = $kind AND id = $id", "$kind", "$id");
        _outcome = Prepare(
            "INSERT INTO event_outcomes (seq, status, fault_ids, reason) VALUES ($seq, $status, $faults, $reason) " +
            "ON CONFLICT (seq) DO UPDATE SET status = excluded.status, fault_ids = excluded.fault_ids, reason = excluded.reason",
            "$seq", "$status", "$faults", "$reason");
        _meta = Prepare("INSERT INTO meta (key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value", "$key", "$value");
    }

    /// <summary>FULL for batches holding an acknowledged command, NORMAL otherwise (replayable from the log).</summary>
    public void SetSynchronous(string mode)
    {
        if (mode == _synchronous)
            return;
        using var command = Connection.CreateCommand();
        command.CommandText = $"PRAGMA synchronous={mode}";
        command.ExecuteNonQuery();
        _synchronous = mode;
    }

    public void WriteRow(RowChange change)
    {
        if (change.Value is null)
        {
            _delete.Parameters[0].Value = (int)change.Kind;
            _delete.Parameters[1].Value = change.Id;
            _delete.ExecuteNonQuery();
            return;
        }

        _upsert.Parameters[0].Value = (int)change.Kind;
        _upsert.Parameters[1].Value = change.Id;
        _upsert.Parameters[2].Value = change.Kind switch
        {
            RowKind.Host => JsonSerializer.Serialize((Host)change.Value, StoreJson.Default.Host),
            RowKind.Server => JsonSerializer.Serialize((Server)change.Value, StoreJson.Default.Server),
            RowKind.Port => JsonSerializer.Serialize((Port)change.Value, StoreJson.Default.Port),
            RowKind.Fault => JsonSerializer.Serialize((Fault)change.Value, StoreJson.Default.Fault),
            RowKind.Subscription => JsonSerializer.Serialize(SealedSecrets.Seal((Subscription)change.Value, _secrets), StoreJson.Default.Subscription),
            RowKind.Token => JsonSerializer.Serialize((Token)change.Value, StoreJson.Default.Token),
            RowKind.Device => JsonSerializer.Serialize((Device)change.Value, StoreJson.Default.Device),
            RowKind.Silence => JsonSerializer.Serialize((Silence)change.Value, StoreJson.Default.Silence),
            RowKind.MaintenanceSession => JsonSerializer.Serialize((MaintenanceSession)change.Value, StoreJson.Default.MaintenanceSession),
            RowKind.InstanceConstraint => JsonSerializer.Serialize((InstanceConstraint)change.Value, StoreJson.Default.InstanceConstraint),
            RowKind.InstanceGroupConstraint => JsonSerializer.Serialize((InstanceGroupConstraint)change.Value, StoreJson.Default.InstanceGroupConstraint),
            _ => throw new InvalidOperationException($"unknown row kind {change.Kind}"),
        };
        _upsert.ExecuteNonQuery();
    }

    public void WriteOutcome(EventOutcome outcome)
    {
        var p = _outcome.Parameters;
        p[0].Value = outcome.Seq;
        p[1].Value = outcome.Status.ToString().ToLowerInvariant();
        p[2].Value = JsonSerializer.Serialize(outcome.FaultIds.IsDefault ? [] : outcome.FaultIds.ToArray(), StoreJson.Default.StringArray);
        p[3].Value = (object?)outcome.Reason ?? DBNull.Value;
        _outcome.ExecuteNonQuery();
    }

    public void SetMeta(string key, string value)
    {
        _meta.Parameters[0].Value = key;
        _meta.Parameters[1].Value = value;
        _meta.ExecuteNonQuery();
    }
}
