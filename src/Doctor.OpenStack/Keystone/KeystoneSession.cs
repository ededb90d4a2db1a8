using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Doctor.OpenStack.Keystone;

/// <summary>
/// Doctor's own Keystone identity: a project-scoped token of the service user and the service catalog that came with it.
/// The token is renewed a few minutes before it expires, or at once when a service answers 401.
/// </summary>
public sealed partial class KeystoneSession(HttpClient http, OpenStackOptions options, TimeProvider time, ILogger<KeystoneSession> logger)
{
    private static readonly TimeSpan RenewBefore = TimeSpan.FromMinutes(5);
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile Issued? _current;

    /// <summary>A valid service token, issued now if there is none or it is about to expire.</summary>
    public async Task<string> TokenAsync(CancellationToken cancellationToken) => (await CurrentAsync(cancellationToken)).Token;

    /// <summary>The catalog URL of <paramref name="serviceType"/> (<c>compute</c>, <c>network</c>, <c>identity</c>, …) in the
    /// configured region and interface, without a trailing slash.</summary>
    public async Task<string> EndpointAsync(string serviceType, CancellationToken cancellationToken)
    {
        var issued = await CurrentAsync(cancellationToken);
        return issued.Endpoints.TryGetValue(serviceType, out var url)
            ? url
            : throw new OpenStackException($"the Keystone catalog has no {options.Interface} '{serviceType}' endpoint{(options.Region is null ? "" : " in region " + options.Region)}");
    }

    /// <summary>Forgets the token (a service answered 401 with it), so the next call authenticates again.</summary>
    public void Invalidate(string token)
    {
        if (_current?.Token == token)
            _current = null;
    }

    private async Task<Issued> CurrentAsync(CancellationToken cancellationToken)
    {
        var issued = _current;
        if (issued is not null && issued.ExpiresAt - RenewBefore > time.GetUtcNow())
            return issued;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            issued = _current;
            if (issued is not null && issued.ExpiresAt - RenewBefore > time.GetUtcNow())
                return issued;
            issued = await IssueAsync(cancellationToken);
            _current = issued;
            LogAuthenticated(options.Username!, options.ProjectName, issued.ExpiresAt);
            return issued;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<Issued> IssueAsync(CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["auth"] = new JsonObject
            {
                ["identity"] = new JsonObject
                {
                    ["methods"] = new JsonArray("password"),
                    ["password"] = new JsonObject
                    {
                        ["user"] = new JsonObject
                        {
                            ["name"] = options.Username,
                            ["domain"] = new JsonObject { ["name"] = options.UserDomainName },
                            ["password"] = options.Password,
                        },
                    },
                },
                ["scope"] = new JsonObject
                {
                    ["project"] = new JsonObject
                    {
                        ["name"] = options.ProjectName,
                        ["domain"] = new JsonObject { ["name"] = options.ProjectDomainName },
                    },
                },
            },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, KeystoneUrls.Tokens(options.AuthUrl!)) { Content = new StringContent(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json") }; // sized: uwsgi cannot read a chunked body
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.CallTimeoutSeconds));
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, timeout.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new OpenStackException($"Keystone at {options.AuthUrl} did not answer: {ex.Message}", ex);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.StatusCode == HttpStatusCode.Unauthorized)
                throw new OpenStackException($"Keystone refused the credentials of '{options.Username}' (401): check Doctor:OpenStack:Username and Password", status: 401);
            if (!response.IsSuccessStatusCode || !response.Headers.TryGetValues("X-Subject-Token", out var tokens))
                throw new OpenStackException($"Keystone answered {(int)response.StatusCode} to the service login{(response.IsSuccessStatusCode ? " without an X-Subject-Token header" : "")}: {OpenStackException.Excerpt(text)}", status: (int)response.StatusCode);
            try
            {
                var token = JsonNode.Parse(text)?["token"] ?? throw new OpenStackException($"Keystone's token answer has no 'token': {OpenStackException.Excerpt(text)}");
                var expires = token["expires_at"]?.GetValue<string>() is { } at ? DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture) : time.GetUtcNow().AddHours(1);
                return new Issued(tokens.First(), expires, ServiceCatalog.Endpoints(token["catalog"] as JsonArray, options.Interface, options.Region));
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException or ArgumentException)
            {
                // A proxy's HTML page, a truncated body, a field of another type: say so, naming Keystone, rather than let a
                // parser's exception escape (the sync loop would stop on it).
                throw new OpenStackException($"Keystone's answer to the service login could not be read ({ex.Message}): {OpenStackException.Excerpt(text)}", ex);
            }
        }
    }

    private sealed record Issued(string Token, DateTimeOffset ExpiresAt, IReadOnlyDictionary<string, string> Endpoints);

    [LoggerMessage(Level = LogLevel.Information, Message = "Authenticated to Keystone as {User} in project {Project}; the token expires at {ExpiresAt:O}")]
    private partial void LogAuthenticated(string user, string project, DateTimeOffset expiresAt);
}

/// <summary>Endpoint choice from a Keystone v3 catalog.</summary>
public static class ServiceCatalog
{
    /// <summary>Service type → URL for <paramref name="interfaceName"/> (in <paramref name="region"/> when given, else the
    /// first region listed).</summary>
    public static IReadOnlyDictionary<string, string> Endpoints(JsonArray? catalog, string interfaceName, string? region)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var service in catalog ?? [])
        {
            if (service?["type"]?.GetValue<string>() is not { } type || service["endpoints"] is not JsonArray endpoints)
                continue;
            foreach (var endpoint in endpoints)
            {
                if (endpoint?["interface"]?.GetValue<string>() != interfaceName || endpoint["url"]?.GetValue<string>() is not { } url)
                    continue;
                var endpointRegion = endpoint["region_id"]?.GetValue<string>() ?? endpoint["region"]?.GetValue<string>();
                if (region is not null && endpointRegion != region)
                    continue;
                result.TryAdd(type, url.TrimEnd('/'));
            }
        }

        return result;
    }
}

/// <summary>Keystone paths built from the configured auth URL (with or without its <c>/v3</c>).</summary>
public static class KeystoneUrls
{
    public static string V3(string authUrl)
    {
        var trimmed = authUrl.TrimEnd('/');
        return trimmed.EndsWith("/v3", StringComparison.Ordinal) ? trimmed : trimmed + "/v3";
    }

    public static string Tokens(string authUrl) => V3(authUrl) + "/auth/tokens";
}
