using System.Security.Cryptography;
using System.Text;
using Doctor.State;

namespace Doctor.Access;

/// <summary>An API credential; only the SHA-256 of its secret is kept.</summary>
public sealed record Token
{
    public required string TokenId { get; init; }

    /// <summary>Lower-case hex SHA-256 of the secret. Secrets are 256 random bits, so a fast hash is enough.</summary>
    public required string Hash { get; init; }

    public required Role Role { get; init; }
    public string? ProjectId { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }

    public bool IsExpired(DateTimeOffset now) => ExpiresAt is { } expires && expires <= now;
}

/// <summary>Creation and hashing of token secrets.</summary>
public static class TokenSecrets
{
    /// <summary>A new secret: "dr_" and 43 base64url characters (256 bits).</summary>
    public static string Generate() => "dr_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string HashOf(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));
}

/// <summary>Tokens by id and by hash.</summary>
public sealed class TokenBook
{
    public static readonly TokenBook Empty = new(Table<Token>.Empty, Table<Token>.Empty);

    public TokenBook(Table<Token> all, Table<Token> byHash)
    {
        All = all;
        ByHash = byHash;
    }

    public Table<Token> All { get; }
    public Table<Token> ByHash { get; }

    /// <summary>The token whose secret is <paramref name="secret"/>, if any. The lookup is by hash, so timing
    /// reveals nothing about the stored secrets.</summary>
    public Token? Find(string secret) => ByHash.Get(TokenSecrets.HashOf(secret));

    public static TokenBook From(IEnumerable<Token> tokens)
    {
        var list = tokens.ToList();
        return new TokenBook(
            Table<Token>.From(list.Select(t => KeyValuePair.Create(t.TokenId, t))),
            Table<Token>.From(list.Select(t => KeyValuePair.Create(t.Hash, t))));
    }
}
