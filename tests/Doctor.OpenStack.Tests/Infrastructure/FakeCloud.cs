using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Doctor.OpenStack.Tests.Infrastructure;

/// <summary>One request the fake cloud received, as it arrived.</summary>
public sealed record CloudCall(string Method, string Path, string Query, string Body, IReadOnlyDictionary<string, string> Headers, long Sequence)
{
    public string Key => $"{Method} {Path}";

    public JsonNode? Json => Body.Length == 0 ? null : JsonNode.Parse(Body);

    public string? Header(string name) => Headers.GetValueOrDefault(name.ToLowerInvariant());
}

/// <summary>
/// Keystone v3, Nova v2.1 and Neutron v2.0 as far as Doctor uses them, on a real Kestrel listener on 127.0.0.1 with a free
/// port. The cloud's contents are plain lists the tests edit; every request is recorded; <see cref="Intercept"/> lets a test
/// answer a request itself (an error, a hang, a gate) before the fake does.
/// </summary>
public sealed class FakeCloud : IAsyncDisposable
{
    public const string ServiceUser = "doctor";
    public const string ServicePassword = "doctor-secret";
    public const string ServiceProject = "service";
    public const string Region = "RegionOne";

    private readonly object _gate = new();
    private readonly ConcurrentQueue<CloudCall> _calls = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _serviceTokens = new(StringComparer.Ordinal);
    private long _sequence;
    private int _inFlight;
    private int _maxInFlight;
    private WebApplication? _app;

    private FakeCloud(TimeProvider time) => Time = time;

    /// <summary>The cloud's clock (token expiry).</summary>
    public TimeProvider Time { get; }

    public string BaseUrl { get; private set; } = "";

    /// <summary>What Doctor is configured with: the Keystone URL, with its /v3.</summary>
    public string AuthUrl => BaseUrl + "/identity/v3";

    public string ComputeUrl(string @interface = "internal", string region = Region) => $"{BaseUrl}/compute-{@interface}-{region}/v2.1";

    public string NetworkUrl(string @interface = "internal", string region = Region) => $"{BaseUrl}/network-{@interface}-{region}";

    /// <summary>Lifetime of the service tokens Keystone issues.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Regions the catalog lists (each with public, internal and admin endpoints of compute and network).</summary>
    public List<string> Regions { get; } = [Region];

    /// <summary>Nova's <c>[api] max_limit</c>: no page is longer, whatever <c>limit</c> asks.</summary>
    public int NovaMaxLimit { get; set; } = 1000;

    public int NeutronMaxLimit { get; set; } = 1000;

    public bool DataPlaneExtension { get; set; } = true;

    /// <summary>Nova compute services: <c>id</c>, <c>host</c>, <c>zone</c>, <c>status</c>, <c>state</c>, <c>forced_down</c>.</summary>
    public List<JsonObject> Services { get; } = [];

    public List<JsonObject> Servers { get; } = [];

    public List<JsonObject> ServerGroups { get; } = [];

    public List<JsonObject> Ports { get; } = [];

    /// <summary>Callers' Keystone tokens: secret → the <c>token</c> object a validation returns.</summary>
    public ConcurrentDictionary<string, JsonObject> UserTokens { get; } = new(StringComparer.Ordinal);

    /// <summary>Answers a request instead of the fake when it returns true (it must then write the response).</summary>
    public Func<HttpContext, CloudCall, Task<bool>>? Intercept { get; set; }

    public IReadOnlyList<CloudCall> Calls => [.. _calls];

    public IReadOnlyList<CloudCall> CallsTo(string method, string pathPart) =>
        [.. _calls.Where(c => c.Method == method && c.Path.Contains(pathPart, StringComparison.Ordinal))];

    /// <summary>Calls whose path and method say they change the cloud (PUT/POST outside Keystone).</summary>
    public IReadOnlyList<CloudCall> Writes => [.. _calls.Where(c => c.Method is "PUT" or "POST" && !c.Path.StartsWith("/identity", StringComparison.Ordinal))];

    /// <summary>Most requests that were being answered at once (intercepted ones included).</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public int TokensIssued => CallsTo("POST", "/auth/tokens").Count;

    public int TokensValidated => CallsTo("GET", "/auth/tokens").Count;

    public static async Task<FakeCloud> StartAsync(TimeProvider? time = null)
    {
        var cloud = new FakeCloud(time ?? TimeProvider.System);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(cloud.HandleAsync);
        await app.StartAsync();
        cloud._app = app;
        cloud.BaseUrl = app.Urls.Single().TrimEnd('/');
        return cloud;
    }

    /// <summary>Forgets every service token issued so far (Keystone restarted with new keys): the next call answers 401.</summary>
    public void RevokeServiceTokens() => _serviceTokens.Clear();

    public void ClearCalls()
    {
        while (_calls.TryDequeue(out _))
        {
        }
    }

    // ---- contents --------------------------------------------------------------------------------------------

    public JsonObject AddCompute(string host, string? id = null, string zone = "nova", bool enabled = true, bool forcedDown = false)
    {
        var service = new JsonObject
        {
            ["id"] = id ?? "svc-" + host, ["binary"] = "nova-compute", ["host"] = host, ["zone"] = zone,
            ["status"] = enabled ? "enabled" : "disabled", ["state"] = forcedDown ? "down" : "up", ["forced_down"] = forcedDown,
            ["disabled_reason"] = null, ["updated_at"] = "2026-01-01T00:00:00.000000",
        };
        lock (_gate)
            Services.Add(service);
        return service;
    }

    public JsonObject AddServer(string id, string project, string? host, string? name = null, string status = "ACTIVE")
    {
        var server = new JsonObject
        {
            ["id"] = id, ["name"] = name ?? id + "-name", ["tenant_id"] = project, ["user_id"] = "u-1", ["status"] = status,
            ["OS-EXT-SRV-ATTR:host"] = host, ["OS-EXT-SRV-ATTR:hypervisor_hostname"] = host is null ? null : host + ".localdomain",
            ["OS-EXT-STS:task_state"] = null, ["OS-EXT-STS:vm_state"] = "active", ["host_status"] = "UP",
        };
        lock (_gate)
            Servers.Add(server);
        return server;
    }

    public JsonObject AddPort(string id, string? serverId, string project, string? host, string owner = "compute:nova", string network = "net-1", string? dataPlane = null)
    {
        var port = new JsonObject
        {
            ["id"] = id, ["device_id"] = serverId ?? "", ["device_owner"] = owner, ["project_id"] = project, ["tenant_id"] = project,
            ["binding:host_id"] = host ?? "", ["network_id"] = network, ["status"] = "ACTIVE", ["data_plane_status"] = dataPlane,
            ["mac_address"] = "fa:16:3e:00:00:01", ["admin_state_up"] = true,
        };
        lock (_gate)
            Ports.Add(port);
        return port;
    }

    public void AddServerGroup(string id, string project, params string[] members)
    {
        lock (_gate)
            ServerGroups.Add(new JsonObject { ["id"] = id, ["name"] = id, ["project_id"] = project, ["policies"] = new JsonArray("anti-affinity"), ["members"] = new JsonArray([.. members.Select(m => (JsonNode?)m)]) });
    }

    /// <summary>A caller's token: with <paramref name="roles"/> in <paramref name="project"/> (null: unscoped).</summary>
    public string AddUserToken(string secret, string? project, string[] roles, DateTimeOffset? expiresAt = null, string user = "alice")
    {
        var token = new JsonObject
        {
            ["methods"] = new JsonArray("password"),
            ["user"] = new JsonObject { ["id"] = "uid-" + user, ["name"] = user, ["domain"] = new JsonObject { ["id"] = "default", ["name"] = "Default" } },
            ["roles"] = new JsonArray([.. roles.Select(r => (JsonNode?)new JsonObject { ["id"] = "rid-" + r, ["name"] = r })]),
            ["issued_at"] = Stamp(Time.GetUtcNow()),
            ["expires_at"] = Stamp(expiresAt ?? Time.GetUtcNow().AddHours(1)),
        };
        if (project is not null)
            token["project"] = new JsonObject { ["id"] = project, ["name"] = project + "-name", ["domain"] = new JsonObject { ["id"] = "default", ["name"] = "Default" } };
        UserTokens[secret] = token;
        return secret;
    }

    public JsonObject Service(string host)
    {
        lock (_gate)
            return Services.Single(s => (string?)s["host"] == host);
    }

    public static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    // ---- the HTTP side -----------------------------------------------------------------------------------------

    private async Task HandleAsync(HttpContext context)
    {
        var now = Interlocked.Increment(ref _inFlight);
        int seen;
        while ((seen = Volatile.Read(ref _maxInFlight)) < now && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
        {
        }

        try
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var call = new CloudCall(context.Request.Method, context.Request.Path.Value ?? "/", context.Request.QueryString.Value ?? "", body,
                context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), Interlocked.Increment(ref _sequence));
            _calls.Enqueue(call);
            if (Intercept is { } intercept && await intercept(context, call))
                return;
            await RouteAsync(context, call);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    private async Task RouteAsync(HttpContext context, CloudCall call)
    {
        var path = call.Path;
        if (path == "/identity/v3/auth/tokens")
        {
            await (call.Method == "POST" ? IssueAsync(context, call) : ValidateAsync(context, call));
            return;
        }

        if (!IsServiceToken(call.Header("X-Auth-Token")))
        {
            await WriteAsync(context, 401, new JsonObject { ["error"] = new JsonObject { ["code"] = 401, ["message"] = "The request you have made requires authentication." } });
            return;
        }

        var segments = path.Trim('/').Split('/');
        if (segments[0].StartsWith("compute-", StringComparison.Ordinal) && segments.Length >= 3)
            await NovaAsync(context, call, segments[2..]);
        else if (segments[0].StartsWith("network-", StringComparison.Ordinal) && segments.Length >= 3 && segments[1] == "v2.0")
            await NeutronAsync(context, call, segments[2..]);
        else
            await WriteAsync(context, 404, new JsonObject { ["message"] = "no such path " + path });
    }

    private bool IsServiceToken(string? token) => token is not null && _serviceTokens.TryGetValue(token, out var expires) && expires > Time.GetUtcNow();

    private async Task IssueAsync(HttpContext context, CloudCall call)
    {
        var auth = call.Json?["auth"];
        var user = auth?["identity"]?["password"]?["user"];
        if ((string?)user?["name"] != ServiceUser || (string?)user?["password"] != ServicePassword)
        {
            await WriteAsync(context, 401, new JsonObject { ["error"] = new JsonObject { ["code"] = 401, ["message"] = "The account is locked or the password is wrong." } });
            return;
        }

        var secret = "svc-" + Guid.NewGuid().ToString("N");
        var expires = Time.GetUtcNow() + TokenLifetime;
        _serviceTokens[secret] = expires;
        context.Response.Headers["X-Subject-Token"] = secret;
        await WriteAsync(context, 201, new JsonObject
        {
            ["token"] = new JsonObject
            {
                ["expires_at"] = Stamp(expires),
                ["issued_at"] = Stamp(Time.GetUtcNow()),
                ["project"] = new JsonObject { ["id"] = "pid-service", ["name"] = ServiceProject },
                ["roles"] = new JsonArray(new JsonObject { ["name"] = "admin" }),
                ["catalog"] = Catalog(),
            },
        });
    }

    private async Task ValidateAsync(HttpContext context, CloudCall call)
    {
        if (!IsServiceToken(call.Header("X-Auth-Token")))
        {
            await WriteAsync(context, 401, new JsonObject { ["error"] = new JsonObject { ["code"] = 401 } });
            return;
        }

        var subject = call.Header("X-Subject-Token");
        if (subject is null || !UserTokens.TryGetValue(subject, out var token))
        {
            await WriteAsync(context, 404, new JsonObject { ["error"] = new JsonObject { ["code"] = 404, ["message"] = "Could not find token" } });
            return;
        }

        context.Response.Headers["X-Subject-Token"] = subject;
        await WriteAsync(context, 200, new JsonObject { ["token"] = token.DeepClone() });
    }

    private JsonArray Catalog()
    {
        var catalog = new JsonArray();
        foreach (var (type, url) in new (string, Func<string, string, string>)[] { ("compute", ComputeUrl), ("network", NetworkUrl) })
        {
            var endpoints = new JsonArray();
            foreach (var region in Regions)
            {
                foreach (var @interface in new[] { "public", "internal", "admin" })
                    endpoints.Add(new JsonObject { ["id"] = $"{type}-{@interface}-{region}", ["interface"] = @interface, ["region_id"] = region, ["region"] = region, ["url"] = url(@interface, region) + "/" });
            }

            catalog.Add(new JsonObject { ["type"] = type, ["name"] = type == "compute" ? "nova" : "neutron", ["endpoints"] = endpoints });
        }

        catalog.Add(new JsonObject
        {
            ["type"] = "identity", ["name"] = "keystone",
            ["endpoints"] = new JsonArray(new JsonObject { ["interface"] = "public", ["region_id"] = Region, ["url"] = BaseUrl + "/identity" }),
        });
        return catalog;
    }

    private async Task NovaAsync(HttpContext context, CloudCall call, string[] path)
    {
        var query = context.Request.Query;
        switch (call.Method, path)
        {
            case ("GET", ["os-services"]):
            {
                JsonArray services;
                lock (_gate)
                    services = new JsonArray([.. Services.Where(s => query["binary"].Count == 0 || (string?)s["binary"] == query["binary"]).Select(s => (JsonNode?)s.DeepClone())]);
                await WriteAsync(context, 200, new JsonObject { ["services"] = services });
                return;
            }

            case ("PUT", ["os-services", var id]):
            {
                JsonObject? service;
                lock (_gate)
                {
                    service = Services.FirstOrDefault(s => (string?)s["id"] == id);
                    if (service is not null && call.Json is JsonObject change)
                    {
                        if (change["forced_down"] is { } forced)
                        {
                            service["forced_down"] = forced.GetValue<bool>();
                            service["state"] = forced.GetValue<bool>() ? "down" : "up";
                        }

                        if (change["status"] is { } status)
                            service["status"] = status.GetValue<string>();
                    }
                }

                if (service is null)
                    await WriteAsync(context, 404, new JsonObject { ["itemNotFound"] = new JsonObject { ["code"] = 404, ["message"] = $"Service {id} not found." } });
                else
                    await WriteAsync(context, 200, new JsonObject { ["service"] = service.DeepClone() });
                return;
            }

            case ("GET", ["servers", "detail"]):
                await WriteAsync(context, 200, Page("servers", Servers, query["marker"], Limit(query["limit"], NovaMaxLimit), ComputeUrl() + "/servers/detail"));
                return;
            case ("GET", ["servers", var id]):
            {
                JsonObject? server;
                lock (_gate)
                    server = Servers.FirstOrDefault(s => (string?)s["id"] == id);
                await (server is null
                    ? WriteAsync(context, 404, new JsonObject { ["itemNotFound"] = new JsonObject { ["code"] = 404, ["message"] = "Instance could not be found." } })
                    : WriteAsync(context, 200, new JsonObject { ["server"] = server.DeepClone() }));
                return;
            }

            case ("POST", ["servers", var id, "action"]):
            {
                bool known;
                lock (_gate)
                    known = Servers.Any(s => (string?)s["id"] == id);
                if (!known)
                    await WriteAsync(context, 404, new JsonObject { ["itemNotFound"] = new JsonObject { ["code"] = 404, ["message"] = "Instance could not be found." } });
                else
                    context.Response.StatusCode = 202;
                return;
            }

            case ("GET", ["os-server-groups"]):
            {
                var limit = Limit(query["limit"], NovaMaxLimit);
                var offset = int.TryParse(query["offset"], out var o) ? o : 0;
                JsonArray groups;
                lock (_gate)
                    groups = new JsonArray([.. ServerGroups.Skip(offset).Take(limit).Select(g => (JsonNode?)g.DeepClone())]);
                await WriteAsync(context, 200, new JsonObject { ["server_groups"] = groups });
                return;
            }

            default:
                await WriteAsync(context, 404, new JsonObject { ["itemNotFound"] = new JsonObject { ["code"] = 404, ["message"] = "no such Nova path" } });
                return;
        }
    }

    private async Task NeutronAsync(HttpContext context, CloudCall call, string[] path)
    {
        var query = context.Request.Query;
        switch (call.Method, path)
        {
            case ("GET", ["ports"]):
                await WriteAsync(context, 200, Page("ports", Ports, query["marker"], Limit(query["limit"], NeutronMaxLimit), NetworkUrl() + "/v2.0/ports"));
                return;
            case ("GET", ["extensions"]):
            {
                var extensions = new JsonArray(new JsonObject { ["alias"] = "binding", ["name"] = "Port Binding" });
                if (DataPlaneExtension)
                    extensions.Add(new JsonObject { ["alias"] = "data-plane-status", ["name"] = "Port data plane status extension" });
                await WriteAsync(context, 200, new JsonObject { ["extensions"] = extensions });
                return;
            }

            case ("PUT", ["ports", var id]):
            {
                JsonObject? port;
                lock (_gate)
                {
                    port = Ports.FirstOrDefault(p => (string?)p["id"] == id);
                    if (port is not null && call.Json?["port"] is JsonObject change && change.ContainsKey("data_plane_status"))
                    {
                        if (!DataPlaneExtension)
                            port = null;
                        else
                            port["data_plane_status"] = change["data_plane_status"]?.DeepClone();
                    }
                }

                await (port is null
                    ? WriteAsync(context, 404, new JsonObject { ["NeutronError"] = new JsonObject { ["type"] = "PortNotFound", ["message"] = $"Port {id} could not be found." } })
                    : WriteAsync(context, 200, new JsonObject { ["port"] = port.DeepClone() }));
                return;
            }

            default:
                await WriteAsync(context, 404, new JsonObject { ["NeutronError"] = new JsonObject { ["message"] = "no such Neutron path" } });
                return;
        }
    }

    private static int Limit(string? asked, int max) => int.TryParse(asked, out var limit) && limit > 0 ? Math.Min(limit, max) : max;

    /// <summary>A page after <paramref name="marker"/>, with a <c>…_links</c> next link when it is full (as Nova and Neutron do).</summary>
    private JsonObject Page(string name, List<JsonObject> items, string? marker, int limit, string self)
    {
        List<JsonObject> page;
        bool more;
        lock (_gate)
        {
            var start = marker is null ? 0 : items.FindIndex(i => (string?)i["id"] == marker) + 1;
            page = [.. items.Skip(start).Take(limit)];
            more = start + page.Count < items.Count;
        }

        var answer = new JsonObject { [name] = new JsonArray([.. page.Select(p => (JsonNode?)p.DeepClone())]) };
        if (more && page.Count > 0)
            answer[name + "_links"] = new JsonArray(new JsonObject { ["rel"] = "next", ["href"] = $"{self}?limit={limit}&marker={page[^1]["id"]}" });
        return answer;
    }

    public static async Task WriteAsync(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString());
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
