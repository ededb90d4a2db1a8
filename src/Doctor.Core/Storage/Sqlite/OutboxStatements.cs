using Doctor.Notification;
using Doctor.State;
using Doctor.Subscriptions;
using Microsoft.Data.Sqlite;

namespace Doctor.Storage.Sqlite;

/// <summary>
/// The delivery outbox in <c>state.db</c>: a row per notification that is pending or dead. Delivered ones are deleted,
/// so the table holds what a restart must resume plus at most <see cref="DoctorConstants.DeliveryDeadKept"/> dead
/// deliveries per subscription (the newest), which keep <c>/deliveries</c> and redelivery working across restarts.
/// </summary>
internal sealed class OutboxStatements : Statements
{
    private readonly SqliteCommand _upsert;
    private readonly SqliteCommand _delete;
    private readonly SqliteCommand _trimDead;

    public OutboxStatements(SqliteConnection connection) : base(connection)
    {
        _upsert = Prepare(
            "INSERT INTO outbox (subscription_id, notification_id, type, state, created_at, attempts, last_status, last_error, last_attempt_at, signature, body) " +
            "VALUES ($sub, $id, $type, $state, $created, $attempts, $status, $error, $attempted, $signature, $body) " +
            "ON CONFLICT (subscription_id, notification_id) DO UPDATE SET state = excluded.state, created_at = excluded.created_at, " +
            "attempts = excluded.attempts, last_status = excluded.last_status, last_error = excluded.last_error, last_attempt_at = excluded.last_attempt_at",
            "$sub", "$id", "$type", "$state", "$created", "$attempts", "$status", "$error", "$attempted", "$signature", "$body");
        _delete = Prepare("DELETE FROM outbox WHERE subscription_id = $sub AND notification_id = $id", "$sub", "$id");
        // Keeps the newest deadKept dead rows: with fewer, the subquery is NULL and nothing matches.
        _trimDead = Prepare(
            "DELETE FROM outbox WHERE subscription_id = $sub AND state = 'dead' AND position <= (SELECT position FROM outbox " +
            "WHERE subscription_id = $sub AND state = 'dead' ORDER BY position DESC LIMIT 1 OFFSET $keep)",
            "$sub", "$keep");
    }

    /// <summary>Writes the delivery as it stands now (see <see cref="OutboxRecord"/>).</summary>
    public void Write(OutboxRecord record, int deadKept)
    {
        var d = record.Delivery;
        var state = d.State; // read once: the dispatcher may finish it meanwhile, a later write then catches up
        if (state == DeliveryState.Delivered)
        {
            _delete.Parameters[0].Value = record.SubscriptionId;
            _delete.Parameters[1].Value = d.NotificationId;
            _delete.ExecuteNonQuery();
            return;
        }

        var p = _upsert.Parameters;
        p[0].Value = record.SubscriptionId;
        p[1].Value = d.NotificationId;
        p[2].Value = d.Type.Name();
        p[3].Value = state == DeliveryState.Dead ? "dead" : "pending";
        p[4].Value = d.CreatedAt.UtcTicks;
        p[5].Value = d.Attempts;
        p[6].Value = (object?)d.LastStatus ?? DBNull.Value;
        p[7].Value = (object?)d.LastError ?? DBNull.Value;
        p[8].Value = d.LastAttemptAt is { } at ? at.UtcTicks : DBNull.Value;
        p[9].Value = (object?)d.Signature ?? DBNull.Value;
        p[10].Value = d.Body;
        _upsert.ExecuteNonQuery();
        if (state == DeliveryState.Dead)
        {
            _trimDead.Parameters[0].Value = record.SubscriptionId;
            _trimDead.Parameters[1].Value = deadKept;
            _trimDead.ExecuteNonQuery();
        }
    }

    /// <summary>Drops the rows of deleted subscriptions, then reads the rest in creation order.</summary>
    public static List<OutboxRecord> Load(SqliteConnection state)
    {
        using (var purge = state.CreateCommand())
        {
            // A deleted subscription's queue is dropped in memory at once; its rows go at the next start.
            purge.CommandText = $"DELETE FROM outbox WHERE subscription_id NOT IN (SELECT id FROM records WHERE kind = {(int)RowKind.Subscription})";
            purge.ExecuteNonQuery();
        }

        var rows = new List<OutboxRecord>();
        using var command = state.CreateCommand();
        command.CommandText = "SELECT subscription_id, notification_id, type, state, created_at, attempts, last_status, last_error, last_attempt_at, signature, body " +
            "FROM outbox ORDER BY position";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            NotificationTypes.TryParse(reader.GetString(2), out var type);
            var delivery = new Delivery(reader.GetString(1), type, (byte[])reader.GetValue(10), reader.IsDBNull(9) ? null : reader.GetString(9),
                SqliteStore.Ticks(reader.GetInt64(4)), null)
            {
                State = reader.GetString(3) == "dead" ? DeliveryState.Dead : DeliveryState.Pending,
                Attempts = reader.GetInt32(5),
                LastStatus = reader.IsDBNull(6) ? null : reader.GetInt32(6),
                LastError = reader.IsDBNull(7) ? null : reader.GetString(7),
                LastAttemptAt = reader.IsDBNull(8) ? null : SqliteStore.Ticks(reader.GetInt64(8)),
            };
            rows.Add(new OutboxRecord(reader.GetString(0), delivery));
        }

        return rows;
    }
}
