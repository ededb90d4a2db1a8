using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Doctor.Simulator.Consumers;

/// <summary>What a consumer made of one delivery.</summary>
public enum InboxVerdict
{
    /// <summary>New, and signed correctly (or no secret is configured).</summary>
    Accepted,

    /// <summary>Already seen: delivery is at least once, so repeats are expected and dropped.</summary>
    Duplicate,

    /// <summary>The signature does not match the body: not from Doctor, or altered.</summary>
    BadSignature,

    /// <summary>Not a notification body.</summary>
    Malformed,
}

/// <summary>
/// A consumer's side of SPEC §5, as a VNF manager would write it: verify <c>X-Doctor-Signature</c>
/// (<c>sha256=</c> + hex HMAC-SHA256 of the exact body bytes, compared in constant time), then drop any
/// <c>notification_id</c> already seen. Remembers the most recent ids only, so it runs for ever in bounded memory.
/// </summary>
public sealed class NotificationInbox(string? secret, int remember = 100_000)
{
    private readonly byte[]? _key = secret is null ? null : Encoding.UTF8.GetBytes(secret);
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();

    public InboxVerdict Accept(byte[] body, string? signatureHeader, out string? notificationId)
    {
        notificationId = null;
        if (_key is not null && !SignatureMatches(body, signatureHeader))
            return InboxVerdict.BadSignature;
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object ||
                !document.RootElement.TryGetProperty("notification_id", out var id) || id.ValueKind != JsonValueKind.String)
                return InboxVerdict.Malformed;
            notificationId = id.GetString()!;
        }
        catch (JsonException)
        {
            return InboxVerdict.Malformed;
        }

        lock (_seen)
        {
            if (!_seen.Add(notificationId))
                return InboxVerdict.Duplicate;
            _order.Enqueue(notificationId);
            if (_order.Count > remember)
                _seen.Remove(_order.Dequeue());
        }

        return InboxVerdict.Accepted;
    }

    private bool SignatureMatches(byte[] body, string? header)
    {
        if (header is null || !header.StartsWith("sha256=", StringComparison.Ordinal))
            return false;
        var expected = Encoding.ASCII.GetBytes("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(_key!, body)));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(header));
    }
}
