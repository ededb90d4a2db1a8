using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Doctor.Access;
using Microsoft.Extensions.Logging;

namespace Doctor.OpenStack.Keystone;

/// <summary>
/// Validates callers' Keystone tokens (<c>GET /v3/auth/tokens</c> with the caller's token as <c>X-Subject-Token</c>) and
/// maps them to Doctor's roles: a role of <see cref="OpenStackOptions.AdminRoles"/> → admin; any role in project X →
/// project X. Answers are cached by the token's hash for <see cref="OpenStackOptions.TokenCacheSeconds"/> (never past the
/// token's expiry); refusals for 10 s, so a bad token cannot make Doctor hammer Keystone.
/// </summary>
public sealed partial class KeystoneTokens(HttpClient http, KeystoneSession session, OpenStackOptions options, TimeProvider time, ILogger<KeystoneTokens> logger)
    : IExternalTokens
{
    private const int MaxCached = 10_000;

    /// <summary>Validations sent to Keystone at once. Callers with tokens Doctor has not seen (or garbage ones: each distinct
    /// secret is a Keystone call, before any per-token rate limit can know the caller) queue for a slot; one that cannot get
    /// a slot within the call timeout is answered 503, so a flood reaches Keystone at most this wide.</summary>
    public const int MaxInFlight = 16;

    private readonly SemaphoreSlim _inFlight = new(MaxInFlight, MaxInFlight);
    private static readonly TimeSpan RefusalKept = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, (Token? Token, DateTimeOffset Until)> _cache = new(StringComparer.Ordinal);

    public async ValueTask<Token?> ValidateAsync(string secret, CancellationToken cancellationToken)
    {
        // Keystone tokens (Fernet, JWS, UUID) are printable ASCII. Anything else is no token: refused here (401) rather than
        // sent, which an HTTP client refuses to do (a non-ASCII header value) and the caller would have seen as a 503.
        if (!IsPrintableAscii(secret))
            return null;
        var hash = TokenSecrets.HashOf(secret);
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(hash, out var cached) && cached.Until > now)
            return cached.Token;

        if (!await _inFlight.WaitAsync(TimeSpan.FromSeconds(options.CallTimeoutSeconds), cancellationToken))
            throw new OpenStackException($"{MaxInFlight} token validations are waiting for Keystone already; try again");
        Token? token;
        try
        {
            token = await AskKeystoneAsync(secret, hash, cancellationToken);
        }
        finally
        {
            _inFlight.Release();
        }

        if (_cache.Count >= MaxCached)
            _cache.Clear(); // crude but bounded: a flood of distinct tokens costs Keystone calls, never memory
        var until = token is null ? now + RefusalKept : Min(now + TimeSpan.FromSeconds(options.TokenCacheSeconds), token.ExpiresAt ?? now);
        _cache[hash] = (token, until);
        return token;
    }

    private async Task<Token?> AskKeystoneAsync(string secret, string hash, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var service = await session.TokenAsync(cancellationToken);
            using var request = new HttpRequestMessage(HttpMethod.Get, KeystoneUrls.Tokens(options.AuthUrl!));
            request.Headers.TryAddWithoutValidation("X-Auth-Token", service);
            if (!request.Headers.TryAddWithoutValidation("X-Subject-Token", secret))
                return null;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(options.CallTimeoutSeconds));
            HttpResponseMessage sent;
            try
            {
                sent = await http.SendAsync(request, timeout.Token);
            }
            catch (Exception ex) when (ex is HttpRequestException || ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new OpenStackException($"Keystone at {options.AuthUrl} did not answer a token validation: {(ex is OperationCanceledException ? $"no answer within {options.CallTimeoutSeconds} s" : ex.Message)}", ex);
            }

            using var response = sent;
            if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0)
            {
                session.Invalidate(service); // our own token expired
                continue;
            }

            if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Unauthorized)
                return null;
            if (!response.IsSuccessStatusCode)
                throw new OpenStackException($"Keystone answered {(int)response.StatusCode} to a token validation", status: (int)response.StatusCode);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            Token? mapped;
            string? user;
            try
            {
                var body = JsonNode.Parse(text)?["token"];
                mapped = Map(body, hash, options.AdminRoles);
                user = body?["user"]?["name"]?.GetValue<string>();
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or ArgumentException)
            {
                throw new OpenStackException($"Keystone's answer to a token validation could not be read ({ex.Message}): {OpenStackException.Excerpt(text)}", ex);
            }

            if (mapped is null)
                LogNoRole(user ?? "?");
            return mapped;
        }
    }

    /// <summary>The Doctor caller a validated Keystone token stands for, or null when it carries no usable role.</summary>
    public static Token? Map(JsonNode? token, string hash, IReadOnlyCollection<string> adminRoles)
    {
        if (token is null)
            return null;
        var roles = (token["roles"] as JsonArray ?? []).Select(r => r?["name"]?.GetValue<string>()).OfType<string>().ToList();
        var expires = token["expires_at"]?.GetValue<string>() is { } at ? DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture) : (DateTimeOffset?)null;
        var issued = token["issued_at"]?.GetValue<string>() is { } i ? DateTimeOffset.Parse(i, System.Globalization.CultureInfo.InvariantCulture) : DateTimeOffset.UnixEpoch;
        var projectId = token["project"]?["id"]?.GetValue<string>();
        var id = "keystone:" + hash[..16];
        if (roles.Any(adminRoles.Contains))
            return new Token { TokenId = id, Hash = hash, Role = Role.Admin, CreatedAt = issued, ExpiresAt = expires };
        if (projectId is not null && roles.Count > 0)
            return new Token { TokenId = id, Hash = hash, Role = Role.Project, ProjectId = projectId, CreatedAt = issued, ExpiresAt = expires };
        return null;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static bool IsPrintableAscii(string secret)
    {
        foreach (var c in secret)
        {
            if (c is < '!' or > '~')
                return false;
        }

        return secret.Length > 0;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Keystone token of user {User} carries no admin role and no project role: refused")]
    private partial void LogNoRole(string user);
}
