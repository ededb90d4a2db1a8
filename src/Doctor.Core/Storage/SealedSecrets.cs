using Doctor.Secrets;
using Doctor.Subscriptions;

namespace Doctor.Storage;

/// <summary>
/// Webhook secrets cross into the store (SQLite or PostgreSQL) only sealed. The in-memory <see cref="Subscription"/> keeps the clear
/// secret (opened once at load), so the notifier signs without any decryption on the fault path.
/// </summary>
internal static class SealedSecrets
{
    public static Subscription Seal(Subscription subscription, SecretSealer sealer) =>
        subscription.Secret is null ? subscription : subscription with { Secret = sealer.Seal(subscription.Secret, subscription.SubscriptionId) };

    public static Subscription Open(Subscription stored, SecretSealer sealer)
    {
        if (stored.Secret is null)
            return stored;
        try
        {
            return stored with { Secret = sealer.Open(stored.Secret, stored.SubscriptionId) };
        }
        catch (SecretUnsealException ex)
        {
            // Refusing to start beats signing with a wrong key or silently dropping signatures: consumers that verify
            // would reject every notification.
            throw new InvalidOperationException(
                $"the webhook secret of subscription {stored.SubscriptionId} in the store cannot be opened: {ex.Message}. " +
                $"Restore the {SecretKeys.FileName} that belongs to this data directory (or database), or set {SecretKeys.Variable} to the key it was written with", ex);
        }
    }
}
