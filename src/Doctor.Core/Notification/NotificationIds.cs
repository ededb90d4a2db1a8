using System.Security.Cryptography;
using System.Text;

namespace Doctor.Notification;

/// <summary>
/// Notification ids derived from (event, subscription, type): a replay after a crash produces the same id,
/// so a consumer that deduplicates by <c>notification_id</c> sees each notification once.
/// </summary>
public static class NotificationIds
{
    public static string For(string eventId, string subscriptionId, string type)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(eventId + "\n" + subscriptionId + "\n" + type), hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8 (custom), RFC 9562
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true).ToString();
    }
}

/// <summary>Webhook signatures (SPEC §5): <c>sha256=</c> and the hex HMAC-SHA256 of the exact body.</summary>
public static class Signatures
{
    public const string Header = "X-Doctor-Signature";

    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>Constant-time check of a received signature header.</summary>
    public static bool Verify(string secret, ReadOnlySpan<byte> body, string? header)
    {
        if (header is null)
            return false;
        var expected = Encoding.ASCII.GetBytes(Sign(secret, body));
        var actual = Encoding.ASCII.GetBytes(header);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }
}
