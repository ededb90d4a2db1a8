using System.Text.Json;
using Doctor.Events;
using Doctor.State;
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

    public virtual void Enlist(SqliteTransaction transaction)
    {
        foreach (var command in _all)
            command.Transaction = transaction;
    }

    public virtual void Dispose()
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

/// <summary>Statements of the state checkpoint: the rows <see cref="ChangeWrites"/> decides to write.</summary>
internal sealed class StateStatements : Statements, IStateRows
{
    private readonly SqliteCommand _upsert;
    private readonly SqliteCommand _delete;
    private readonly SqliteCommand _outcome;
    private readonly SqliteCommand _meta;
    private readonly OutboxStatements _outbox;
    private string _synchronous = "NORMAL";

    public StateStatements(SqliteConnection connection) : base(connection)
    {
        _upsert = Prepare(
            "INSERT INTO records (kind, id, body) VALUES ($kind, $id, $body) ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body",
            "$kind", "$id", "$body");
        _delete = Prepare("DELETE FROM records WHERE kind = $kind AND id = $id", "$kind", "$id");
        _outcome = Prepare(
            "INSERT INTO event_outcomes (seq, status, fault_ids, reason) VALUES ($seq, $status, $faults, $reason) " +
            "ON CONFLICT (seq) DO UPDATE SET status = excluded.status, fault_ids = excluded.fault_ids, reason = excluded.reason",
            "$seq", "$status", "$faults", "$reason");
        _meta = Prepare("INSERT INTO meta (key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value", "$key", "$value");
        _outbox = new OutboxStatements(connection);
    }

    public override void Enlist(SqliteTransaction transaction)
    {
        base.Enlist(transaction);
        _outbox.Enlist(transaction);
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

    public void WriteRow(RowKind kind, string id, string? body)
    {
        var command = body is null ? _delete : _upsert;
        command.Parameters[0].Value = (int)kind;
        command.Parameters[1].Value = id;
        if (body is not null)
            command.Parameters[2].Value = body;
        command.ExecuteNonQuery();
    }

    public void WriteDelivery(string subscriptionId, string notificationId, object[]? values, bool dead, int deadKept) =>
        _outbox.Write(subscriptionId, notificationId, values, dead, deadKept);

    public void WriteOutcome(long seq, string status, string faultIds, string? reason)
    {
        var p = _outcome.Parameters;
        p[0].Value = seq;
        p[1].Value = status;
        p[2].Value = faultIds;
        p[3].Value = (object?)reason ?? DBNull.Value;
        _outcome.ExecuteNonQuery();
    }

    public void SetProcessedSeq(long seq)
    {
        _meta.Parameters[0].Value = "processed_seq";
        _meta.Parameters[1].Value = seq.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _meta.ExecuteNonQuery();
    }

    public override void Dispose()
    {
        base.Dispose();
        _outbox.Dispose();
    }
}
