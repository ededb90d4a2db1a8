using Npgsql;

namespace Doctor.Storage.Postgres;

/// <summary>
/// The state rows of one commit, gathered into one <see cref="NpgsqlBatch"/>: a round trip per commit instead of per
/// row, which on a network database is what the commit costs.
/// </summary>
internal sealed class PostgresStateRows(NpgsqlBatch batch) : IStateRows
{
    private const string Upsert =
        "INSERT INTO records (kind, id, body) VALUES ($1, $2, $3) ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body";
    private const string Delete = "DELETE FROM records WHERE kind = $1 AND id = $2";
    private const string Outcome =
        "INSERT INTO event_outcomes (seq, status, fault_ids, reason) VALUES ($1, $2, $3, $4) " +
        "ON CONFLICT (seq) DO UPDATE SET status = excluded.status, fault_ids = excluded.fault_ids, reason = excluded.reason";
    private const string Processed =
        "INSERT INTO meta (key, value) VALUES ('processed_seq', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    private const string OutboxUpsert =
        $"INSERT INTO outbox ({OutboxRows.Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) " +
        "ON CONFLICT (subscription_id, notification_id) DO UPDATE SET state = excluded.state, created_at = excluded.created_at, " +
        "attempts = excluded.attempts, last_status = excluded.last_status, last_error = excluded.last_error, last_attempt_at = excluded.last_attempt_at";
    private const string OutboxDelete = "DELETE FROM outbox WHERE subscription_id = $1 AND notification_id = $2";
    // Keeps the newest deadKept dead rows: with fewer, the subquery is NULL and nothing matches.
    private const string OutboxTrimDead =
        "DELETE FROM outbox WHERE subscription_id = $1 AND state = 'dead' AND position <= (SELECT position FROM outbox " +
        "WHERE subscription_id = $1 AND state = 'dead' ORDER BY position DESC LIMIT 1 OFFSET $2)";

    public void WriteRow(Doctor.State.RowKind kind, string id, string? body)
    {
        if (body is null)
            Add(Delete, (int)kind, id);
        else
            Add(Upsert, (int)kind, id, body);
    }

    public void WriteDelivery(string subscriptionId, string notificationId, object[]? values, bool dead, int deadKept)
    {
        if (values is null)
        {
            Add(OutboxDelete, subscriptionId, notificationId);
            return;
        }

        Add(OutboxUpsert, values);
        if (dead)
            Add(OutboxTrimDead, subscriptionId, deadKept);
    }

    public void WriteOutcome(long seq, string status, string faultIds, string? reason) =>
        Add(Outcome, seq, status, faultIds, (object?)reason ?? DBNull.Value);

    public void SetProcessedSeq(long seq) => Add(Processed, seq.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private void Add(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            // A null's type comes from its column; an untyped text null would not fit an integer column.
            command.Parameters.Add(value is DBNull ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Unknown } : new NpgsqlParameter { Value = value });
        }

        batch.BatchCommands.Add(command);
    }
}
