using System.Collections.Concurrent;
using System.Text;

namespace Doctor.Inventory;

/// <summary>
/// The tenant-visible <c>host_id</c>: lower-case hex SHA-224 of <c>project_id + host</c>, as Nova computes it.
/// A project's servers share few hosts, so the digests are cached instead of hashed on every notification.
/// </summary>
public static class HostIdentity
{
    private const int CacheLimit = 1_000_000;
    private static readonly ConcurrentDictionary<(string Project, string Host), string> Cache = new();

    /// <summary>Null when the resource has no host.</summary>
    public static string? For(string? projectId, string? host)
    {
        if (host is null)
            return null;
        var key = (projectId ?? string.Empty, host);
        if (Cache.TryGetValue(key, out var cached))
            return cached;
        if (Cache.Count >= CacheLimit)
            Cache.Clear();
        var digest = Convert.ToHexStringLower(Sha224.Hash(Encoding.UTF8.GetBytes(key.Item1 + host)));
        Cache[key] = digest;
        return digest;
    }
}
