using System.Text.Json;
using Doctor.Access;
using Doctor.Events;
using Doctor.Faults;
using Doctor.Inventory;
using Doctor.Serialization;
using Doctor.State;
using Doctor.Subscriptions;
using Microsoft.Data.Sqlite;

namespace Doctor.Storage.Sqlite;

/// <summary>The writer thread's prepared statements, reused for every row.</summary>
internal sealed class WriterCommands : IDisposable
{
    private readonly SqliteCommand _insertEvent;
    private readonly SqliteCommand _existingId;
    private readonly SqliteCommand _upsertRecord;
    private readonly SqliteCommand _deleteRecord;
    private readonly SqliteCommand _upsertOutcome;
    private readonly SqliteCommand _setMeta;

    public WriterCommands(SqliteConnection connection)
    {
        _insertEvent = Prepare(connection,
            "INSERT INTO events (id, monitor_key, type, time, recorded_at, body) VALUES ($id, $mk, $type, $time, $at, $body) ON CONFLICT DO NOTHING RETURNING seq",
            "$id", "$mk", "$type", "$time", "$at", "$body");
        _existingId = Prepare(connection, "SELECT id FROM events WHERE id = $id OR monitor_key = $mk LIMIT 1", "$id", "$mk");
        _upsertRecord = Prepare(connection,
            "INSERT INTO records (kind, id, body) VALUES ($kind, $id, $body) ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body",
            "$kind", "$id", "$body");
        _deleteRecord = Prepare(connection, "DELETE FROM records WHERE kind = $kind AND id = $id", "$kind", "$id");
        _upsertOutcome = Prepare(connection,
            "INSERT INTO event_outcomes (seq, status, fault_ids, reason) VALUES ($seq, $status, $faults, $reason) ON CONFLICT (seq) DO UPDATE SET status = excluded.status, fault_ids = excluded.fault_ids, reason = excluded.reason",
            "$seq", "$status", "$faults", "$reason");
        _setMeta = Prepare(connection,
            "INSERT INTO meta (key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = excluded.value", "$key", "$value");
    }

    public void Enlist(SqliteTransaction transaction)
    {
        _insertEvent.Transaction = transaction;
        _existingId.Transaction = transaction;
        _upsertRecord.Transaction = transaction;
        _deleteRecord.Transaction = transaction;
        _upsertOutcome.Transaction = transaction;
        _setMeta.Transaction = transaction;
    }

    /// <summary>The new event's log position, or null when its id or monitor key is already recorded.</summary>
    public long? InsertEvent(RawEvent e, string recordedAt)
    {
        var p = _insertEvent.Parameters;
        p[0].Value = e.Id;
        p[1].Value = (object?)e.MonitorKey ?? DBNull.Value;
        p[2].Value = e.Type;
        p[3].Value = Rfc3339.Format(e.Time);
        p[4].Value = recordedAt;
        p[5].Value = JsonSerializer.Serialize(e, DoctorJson.Options);
        return _insertEvent.ExecuteScalar() is long seq ? seq : null;
    }

    public string? ExistingId(RawEvent e)
    {
        _existingId.Parameters[0].Value = e.Id;
        _existingId.Parameters[1].Value = (object?)e.MonitorKey ?? DBNull.Value;
        return _existingId.ExecuteScalar() as string;
    }

    public void WriteRow(RowChange change)
    {
        if (change.Value is null)
        {
            _deleteRecord.Parameters[0].Value = (int)change.Kind;
            _deleteRecord.Parameters[1].Value = change.Id;
            _deleteRecord.ExecuteNonQuery();
            return;
        }

        _upsertRecord.Parameters[0].Value = (int)change.Kind;
        _upsertRecord.Parameters[1].Value = change.Id;
        _upsertRecord.Parameters[2].Value = change.Kind switch
        {
            RowKind.Host => JsonSerializer.Serialize((Host)change.Value, DoctorJson.Options),
            RowKind.Server => JsonSerializer.Serialize((Server)change.Value, DoctorJson.Options),
            RowKind.Port => JsonSerializer.Serialize((Port)change.Value, DoctorJson.Options),
            RowKind.Fault => JsonSerializer.Serialize((Fault)change.Value, DoctorJson.Options),
            RowKind.Subscription => JsonSerializer.Serialize((Subscription)change.Value, DoctorJson.Options),
            RowKind.Token => JsonSerializer.Serialize((Token)change.Value, DoctorJson.Options),
            _ => throw new InvalidOperationException($"unknown row kind {change.Kind}"),
        };
        _upsertRecord.ExecuteNonQuery();
    }

    public void WriteOutcome(EventOutcome outcome)
    {
        var p = _upsertOutcome.Parameters;
        p[0].Value = outcome.Seq;
        p[1].Value = outcome.Status.ToString().ToLowerInvariant();
        p[2].Value = JsonSerializer.Serialize(outcome.FaultIds.IsDefault ? [] : outcome.FaultIds.ToArray());
        p[3].Value = (object?)outcome.Reason ?? DBNull.Value;
        _upsertOutcome.ExecuteNonQuery();
    }

    public void SetMeta(string key, string value)
    {
        _setMeta.Parameters[0].Value = key;
        _setMeta.Parameters[1].Value = value;
        _setMeta.ExecuteNonQuery();
    }

    private static SqliteCommand Prepare(SqliteConnection connection, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var name in parameters)
            command.Parameters.Add(new SqliteParameter(name, null));
        command.Prepare();
        return command;
    }

    public void Dispose()
    {
        _insertEvent.Dispose();
        _existingId.Dispose();
        _upsertRecord.Dispose();
        _deleteRecord.Dispose();
        _upsertOutcome.Dispose();
        _setMeta.Dispose();
    }
}
