using System.Security.Cryptography;
using System.Text;

namespace Doctor.Secrets;

/// <summary>
/// Seals short secrets (webhook HMAC keys) for storage with AES-256-GCM. The stored form is versioned,
/// <c>v1:&lt;base64 nonce&gt;:&lt;base64 ciphertext+tag&gt;</c>, so a later key rotation or algorithm can be told apart.
/// Each value is bound to a context (the subscription id) as associated data: a sealed secret copied onto another
/// row of the file does not open there.
/// </summary>
public sealed class SecretSealer
{
    /// <summary>Prefix of the current stored form.</summary>
    public const string Version1 = "v1";

    private const int NonceBytes = 12;
    private const int TagBytes = 16;

    private readonly byte[] _key;

    /// <param name="key">The 256-bit key (see <see cref="SecretKeys"/>).</param>
    public SecretSealer(byte[] key)
    {
        if (key.Length != SecretKeys.KeyBytes)
            throw new ArgumentException($"a secret key is {SecretKeys.KeyBytes} bytes, not {key.Length}", nameof(key));
        _key = [.. key];
    }

    /// <summary>The stored form of <paramref name="clear"/>; a fresh random nonce each time.</summary>
    public string Seal(string clear, string context)
    {
        var plain = Encoding.UTF8.GetBytes(clear);
        var nonce = RandomNumberGenerator.GetBytes(NonceBytes);
        var sealedBytes = new byte[plain.Length + TagBytes];
        // A new AesGcm per call: the instance is not documented as thread-safe, and secrets are sealed only when a
        // subscription is written, so the key schedule costs nothing that matters.
        using (var aes = new AesGcm(_key, TagBytes))
            aes.Encrypt(nonce, plain, sealedBytes.AsSpan(0, plain.Length), sealedBytes.AsSpan(plain.Length), Encoding.UTF8.GetBytes(context));
        return $"{Version1}:{Convert.ToBase64String(nonce)}:{Convert.ToBase64String(sealedBytes)}";
    }

    /// <summary>The clear secret of a stored form made by <see cref="Seal"/> with the same key and context.</summary>
    /// <exception cref="SecretUnsealException">Unknown format, another key, another context, or a modified value.</exception>
    public string Open(string stored, string context)
    {
        var parts = stored.Split(':');
        if (parts.Length != 3 || parts[0] != Version1)
            throw new SecretUnsealException($"the stored secret is not in a known sealed form ({Version1}:nonce:ciphertext)");
        byte[] nonce, sealedBytes;
        try
        {
            nonce = Convert.FromBase64String(parts[1]);
            sealedBytes = Convert.FromBase64String(parts[2]);
        }
        catch (FormatException)
        {
            throw new SecretUnsealException("the stored secret is not valid base64");
        }

        if (nonce.Length != NonceBytes || sealedBytes.Length < TagBytes)
            throw new SecretUnsealException("the stored secret is truncated");
        var plain = new byte[sealedBytes.Length - TagBytes];
        try
        {
            using var aes = new AesGcm(_key, TagBytes);
            aes.Decrypt(nonce, sealedBytes.AsSpan(0, plain.Length), sealedBytes.AsSpan(plain.Length), plain, Encoding.UTF8.GetBytes(context));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new SecretUnsealException("the stored secret does not open with this key (another key, or the value was changed)");
        }

        return Encoding.UTF8.GetString(plain);
    }
}

/// <summary>A stored secret could not be opened.</summary>
public sealed class SecretUnsealException(string message) : Exception(message);
