using Microsoft.Data.Sqlite;

namespace Doctor.Storage.Sqlite;

/// <summary>The outbox rows in <c>state.db</c> (what they hold: <see cref="OutboxRows"/>).</summary>
internal sealed class OutboxStatements : Statements
{
    private readonly SqliteCommand _upsert;
    private readonly SqliteCommand _delete;
    private readonly SqliteCommand _trimDead;

    public OutboxStatements(SqliteConnection connection) : base(connection)
    {
        _upsert = Prepare(
            $"INSERT INTO outbox ({OutboxRows.Columns}) " +
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

    /// <summary>Writes a row of <see cref="OutboxRows.Values"/> (null: delete it).</summary>
    public void Write(string subscriptionId, string notificationId, object[]? values, bool dead, int deadKept)
    {
        if (values is null)
        {
            _delete.Parameters[0].Value = subscriptionId;
            _delete.Parameters[1].Value = notificationId;
            _delete.ExecuteNonQuery();
            return;
        }

        for (var i = 0; i < values.Length; i++)
            _upsert.Parameters[i].Value = values[i];
        _upsert.ExecuteNonQuery();
        if (dead)
        {
            _trimDead.Parameters[0].Value = subscriptionId;
            _trimDead.Parameters[1].Value = deadKept;
            _trimDead.ExecuteNonQuery();
        }
    }
}
