using System.Data.Common;
using Doctor.Notification;
using Doctor.State;
using Doctor.Subscriptions;

namespace Doctor.Storage;

/// <summary>
/// The delivery outbox as both stores keep it: a row per notification that is pending or dead. Delivered ones are
/// deleted, so the table holds what a restart must resume plus at most <see cref="DoctorConstants.DeliveryDeadKept"/>
/// dead deliveries per subscription (the newest), which keep <c>/deliveries</c> and redelivery working across restarts.
/// </summary>
internal static class OutboxRows
{
    /// <summary>Columns of an upsert, in the order of <see cref="Values"/>.</summary>
    public const string Columns = "subscription_id, notification_id, type, state, created_at, attempts, last_status, last_error, last_attempt_at, signature, body";

    /// <summary>
    /// The row of <paramref name="record"/> as it stands now (see <see cref="OutboxRecord"/>), or null when it is delivered
    /// and its row must go. The state is read once: the dispatcher may finish it meanwhile, a later write then catches up.
    /// </summary>
    public static object[]? Values(OutboxRecord record, out bool dead)
    {
        var d = record.Delivery;
        var state = d.State;
        dead = state == DeliveryState.Dead;
        if (state == DeliveryState.Delivered)
            return null;
        return
        [
            record.SubscriptionId, d.NotificationId, d.Type.Name(), dead ? "dead" : "pending", d.CreatedAt.UtcTicks, d.Attempts,
            (object?)d.LastStatus ?? DBNull.Value, (object?)d.LastError ?? DBNull.Value,
            d.LastAttemptAt is { } at ? at.UtcTicks : DBNull.Value, (object?)d.Signature ?? DBNull.Value, d.Body,
        ];
    }

    /// <summary>Drops the rows of deleted subscriptions, then reads the rest in creation order.</summary>
    public static List<OutboxRecord> Load(DbConnection state)
    {
        using (var purge = state.CreateCommand())
        {
            // A deleted subscription's queue is dropped in memory at once; its rows go at the next start.
            purge.CommandText = $"DELETE FROM outbox WHERE subscription_id NOT IN (SELECT id FROM records WHERE kind = {(int)RowKind.Subscription})";
            purge.ExecuteNonQuery();
        }

        var rows = new List<OutboxRecord>();
        using var command = state.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM outbox ORDER BY position";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            NotificationTypes.TryParse(reader.GetString(2), out var type);
            var delivery = new Delivery(reader.GetString(1), type, (byte[])reader.GetValue(10), reader.IsDBNull(9) ? null : reader.GetString(9),
                StoreLoader.Ticks(reader.GetInt64(4)), null)
            {
                State = reader.GetString(3) == "dead" ? DeliveryState.Dead : DeliveryState.Pending,
                Attempts = reader.GetInt32(5),
                LastStatus = reader.IsDBNull(6) ? null : reader.GetInt32(6),
                LastError = reader.IsDBNull(7) ? null : reader.GetString(7),
                LastAttemptAt = reader.IsDBNull(8) ? null : StoreLoader.Ticks(reader.GetInt64(8)),
            };
            rows.Add(new OutboxRecord(reader.GetString(0), delivery));
        }

        return rows;
    }
}
