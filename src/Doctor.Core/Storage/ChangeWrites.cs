using System.Text.Json;
using Doctor.Events;
using Doctor.Secrets;
using Doctor.State;

namespace Doctor.Storage;

/// <summary>How one store writes the rows of a state transaction; <see cref="ChangeWrites.Apply"/> decides which.</summary>
internal interface IStateRows
{
    /// <summary>Upserts the record's body, or deletes the row when <paramref name="body"/> is null.</summary>
    void WriteRow(RowKind kind, string id, string? body);

    /// <summary>Upserts an outbox row (<see cref="OutboxRows.Values"/>), or deletes it when <paramref name="values"/> is null;
    /// a dead one trims the subscription's dead rows to <paramref name="deadKept"/>.</summary>
    void WriteDelivery(string subscriptionId, string notificationId, object[]? values, bool dead, int deadKept);

    void WriteOutcome(long seq, string status, string faultIds, string? reason);

    void SetProcessedSeq(long seq);
}

/// <summary>The store-independent part of committing the engine's batches: what goes into one transaction, in which order.</summary>
internal static class ChangeWrites
{
    /// <summary>Writes <paramref name="batches"/> through <paramref name="rows"/>; the caller owns the transaction.</summary>
    public static void Apply(IReadOnlyList<ChangeBatch> batches, IStateRows rows, SecretSealer secrets, int deadKept)
    {
        long processed = 0;
        foreach (var batch in batches)
        {
            foreach (var change in batch.Changes)
                rows.WriteRow(change.Kind, change.Id, StoreLoader.Body(change, secrets));
            // In the same transaction as processed_seq: an event is either replayed (and its notifications rebuilt
            // with the same ids) or its undelivered notifications are in the outbox, never neither.
            foreach (var delivery in batch.Deliveries)
                rows.WriteDelivery(delivery.SubscriptionId, delivery.Delivery.NotificationId, OutboxRows.Values(delivery, out var dead), dead, deadKept);
            foreach (var outcome in batch.Outcomes)
            {
                // Events that no policy rule matched get no row (bulk ingest of unknown types would double the writes);
                // EventReads reports them as ignored once processed_seq has passed them.
                if (outcome.Reason == EventOutcome.NoRuleReason)
                    continue;
                rows.WriteOutcome(
                    outcome.Seq,
                    outcome.Status.ToString().ToLowerInvariant(),
                    JsonSerializer.Serialize(outcome.FaultIds.IsDefault ? [] : outcome.FaultIds.ToArray(), StoreJson.Default.StringArray),
                    outcome.Reason);
            }

            processed = Math.Max(processed, batch.ProcessedSeq);
        }

        if (processed > 0)
            rows.SetProcessedSeq(processed);
    }

    /// <summary>Completes every batch once the transaction committed.</summary>
    public static void Complete(IReadOnlyList<ChangeBatch> batches)
    {
        foreach (var batch in batches)
            batch.Complete();
    }

    /// <summary>Fails every batch of a transaction that did not commit.</summary>
    public static void Fail(IReadOnlyList<ChangeBatch> batches, Exception error)
    {
        var refused = new StoreUnavailableException("the state could not be written: " + error.Message, error);
        foreach (var batch in batches)
            batch.Fail(refused);
    }
}
