using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Doctor.OpenStack.Integration.Infrastructure;

/// <summary>
/// The OpenStack APIs as a user (or an operator) calls them over REST, for one test class. Everything it creates (servers,
/// ports, alarms) is remembered and removed by <see cref="DisposeAsync"/>, which also leaves fake-host-1 and -2 as the
/// suite found them: not forced down, their nova-compute running.
/// </summary>
public sealed class Cloud : IAsyncDisposable
{
    public const string ComputeVersion = "2.74"; // "host" in a server create (admin), host_status, services by UUID

    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromSeconds(30) })
    {
        Timeout = TimeSpan.FromSeconds(60),
    };

    private readonly ConcurrentDictionary<User, Scoped> _tokens = new();
    private readonly ConcurrentDictionary<string, bool> _servers = new();
    private readonly ConcurrentDictionary<string, bool> _ports = new();
    private readonly ConcurrentDictionary<string, User> _alarms = new();
    private readonly Action<string> _log;

    public Cloud(Action<string> log) => _log = log;

    // ---- Keystone ----------------------------------------------------------------------------------------------------

    /// <summary>A project-scoped token of <paramref name="user"/> (issued once per test class).</summary>
    public async Task<Scoped> TokenAsync(User user)
    {
        if (_tokens.TryGetValue(user, out var cached))
            return cached;
        var body = new JsonObject
        {
            ["auth"] = new JsonObject
            {
                ["identity"] = new JsonObject
                {
                    ["methods"] = new JsonArray("password"),
                    ["password"] = new JsonObject
                    {
                        ["user"] = new JsonObject { ["name"] = user.Name, ["domain"] = new JsonObject { ["name"] = "Default" }, ["password"] = user.Password },
                    },
                },
                ["scope"] = new JsonObject { ["project"] = new JsonObject { ["name"] = user.Project, ["domain"] = new JsonObject { ["name"] = "Default" } } },
            },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, Aio.Keystone + "/auth/tokens") { Content = Json(body) };
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"Keystone login of {user.Name} in {user.Project}: {(int)response.StatusCode} {text}");
        var token = JsonNode.Parse(text)!["token"]!;
        var scoped = new Scoped(response.Headers.GetValues("X-Subject-Token").First(), token["project"]!["id"]!.GetValue<string>(), token["user"]!["id"]!.GetValue<string>());
        return _tokens.GetOrAdd(user, scoped);
    }

    /// <summary>Gives <paramref name="user"/> <paramref name="role"/> in <paramref name="project"/> (idempotent). The
    /// admin user has no role in demo2 after the bootstrap, and only a project member can boot a server there.</summary>
    public async Task GrantRoleAsync(string user, string project, string role)
    {
        var admin = await TokenAsync(Aio.Admin);
        string Id(JsonNode list, string key) => list[key]!.AsArray().Single()!["id"]!.GetValue<string>();
        var userId = Id(await SendAsync(HttpMethod.Get, $"{Aio.Keystone}/users?name={user}", admin.Token), "users");
        var projectId = Id(await SendAsync(HttpMethod.Get, $"{Aio.Keystone}/projects?name={project}", admin.Token), "projects");
        var roleId = Id(await SendAsync(HttpMethod.Get, $"{Aio.Keystone}/roles?name={role}", admin.Token), "roles");
        await SendAsync(HttpMethod.Put, $"{Aio.Keystone}/projects/{projectId}/users/{userId}/roles/{roleId}", admin.Token, expect: 204);
    }

    // ---- Nova: servers -----------------------------------------------------------------------------------------------

    /// <summary>Boots a server of <paramref name="owner"/>'s project pinned to <paramref name="host"/> (an admin token scoped to
    /// that project: pinning is admin-only) and waits until Nova shows it ACTIVE there. Returns its id.</summary>
    public async Task<string> BootAsync(User owner, string name, string host)
    {
        var scoped = await TokenAsync(owner);
        var image = (await SendAsync(HttpMethod.Get, $"{Aio.Glance}/images?name={Aio.Image}", scoped.Token))["images"]!.AsArray().First()!["id"]!.GetValue<string>();
        var answer = await SendAsync(HttpMethod.Post, Aio.Nova + "/servers", scoped.Token, new JsonObject
        {
            ["server"] = new JsonObject
            {
                ["name"] = Aio.NamePrefix + name, ["imageRef"] = image, ["flavorRef"] = Aio.Flavor, ["networks"] = "none", ["host"] = host,
            },
        }, expect: 202);
        var id = answer["server"]!["id"]!.GetValue<string>();
        _servers[id] = true;
        await WaitServerAsync(id, s => Status(s) == "ACTIVE" && Host(s) == host && TaskState(s) is null, $"server {name} ACTIVE on {host}");
        return id;
    }

    /// <summary>A server as an admin sees it (host, host_status, task state).</summary>
    public async Task<JsonNode> ServerAsync(string id) => (await SendAsync(HttpMethod.Get, $"{Aio.Nova}/servers/{id}", (await TokenAsync(Aio.Admin)).Token))["server"]!;

    public async Task<TimeSpan> WaitServerAsync(string id, Func<JsonNode, bool> done, string what, double seconds = 120)
    {
        async Task<JsonNode?> Probe()
        {
            var server = await ServerAsync(id);
            return done(server) ? server : null;
        }

        return (await Poll.UntilAsync(Probe, what, TimeSpan.FromSeconds(seconds), async () => $"Nova shows: {Describe(await ServerAsync(id))}")).Elapsed;
    }

    public async Task ServerActionAsync(string id, JsonObject action, string? version = null) =>
        await SendAsync(HttpMethod.Post, $"{Aio.Nova}/servers/{id}/action", (await TokenAsync(Aio.Admin)).Token, action, expect: null, version: version);

    /// <summary>Deletes a server and waits until Nova no longer knows it.</summary>
    public async Task DeleteServerAsync(string id)
    {
        var admin = (await TokenAsync(Aio.Admin)).Token;
        await SendAsync(HttpMethod.Delete, $"{Aio.Nova}/servers/{id}", admin, expect: null);
        await Poll.UntilAsync(async () => await StatusOfAsync($"{Aio.Nova}/servers/{id}", admin) == 404 ? "gone" : null, $"server {id} deleted", TimeSpan.FromSeconds(90));
        _servers.TryRemove(id, out _);
    }

    public static string? Status(JsonNode server) => server["status"]?.GetValue<string>();

    public static string? Host(JsonNode server) => server["OS-EXT-SRV-ATTR:host"]?.GetValue<string>();

    public static string? HostStatus(JsonNode server) => server["host_status"]?.GetValue<string>();

    public static string? TaskState(JsonNode server) => server["OS-EXT-STS:task_state"]?.GetValue<string>();

    public static string Describe(JsonNode server) =>
        $"{server["name"]} status={Status(server)} host={Host(server)} host_status={HostStatus(server)} task_state={TaskState(server) ?? "-"}";

    // ---- Nova: compute services --------------------------------------------------------------------------------------

    public async Task<JsonNode> ComputeServiceAsync(string host) =>
        (await SendAsync(HttpMethod.Get, $"{Aio.Nova}/os-services?binary=nova-compute&host={host}", (await TokenAsync(Aio.Admin)).Token))["services"]!.AsArray().Single()!;

    public async Task<bool> ForcedDownAsync(string host) => (await ComputeServiceAsync(host))["forced_down"]!.GetValue<bool>();

    /// <summary>Sets forced_down; returns null when Nova accepted, else its refusal.</summary>
    public async Task<string?> SetForcedDownAsync(string host, bool forced)
    {
        var admin = (await TokenAsync(Aio.Admin)).Token;
        var id = (await ComputeServiceAsync(host))["id"]!.GetValue<string>();
        using var request = Request(HttpMethod.Put, $"{Aio.Nova}/os-services/{id}", admin, new JsonObject { ["forced_down"] = forced }, null);
        using var response = await _http.SendAsync(request);
        return response.IsSuccessStatusCode ? null : $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
    }

    // ---- Neutron -----------------------------------------------------------------------------------------------------

    /// <summary>A port on doctor-net bound to <paramref name="host"/> for server <paramref name="serverId"/> of project
    /// <paramref name="projectId"/>, as Nova would create it (binding:host_id is admin-only).</summary>
    public async Task<string> CreatePortAsync(string name, string serverId, string projectId, string host)
    {
        var admin = (await TokenAsync(Aio.Admin)).Token;
        var network = (await SendAsync(HttpMethod.Get, $"{Aio.Neutron}/networks?name={Aio.Network}", admin))["networks"]!.AsArray().First()!["id"]!.GetValue<string>();
        var answer = await SendAsync(HttpMethod.Post, Aio.Neutron + "/ports", admin, new JsonObject
        {
            ["port"] = new JsonObject
            {
                ["name"] = Aio.NamePrefix + name, ["network_id"] = network, ["device_id"] = serverId, ["device_owner"] = "compute:nova",
                ["binding:host_id"] = host, ["tenant_id"] = projectId,
            },
        }, expect: 201);
        var id = answer["port"]!["id"]!.GetValue<string>();
        _ports[id] = true;
        return id;
    }

    public async Task<JsonNode> PortAsync(string id) => (await SendAsync(HttpMethod.Get, $"{Aio.Neutron}/ports/{id}", (await TokenAsync(Aio.Admin)).Token))["port"]!;

    public async Task DeletePortAsync(string id)
    {
        await SendAsync(HttpMethod.Delete, $"{Aio.Neutron}/ports/{id}", (await TokenAsync(Aio.Admin)).Token, expect: null);
        _ports.TryRemove(id, out _);
    }

    // ---- Aodh --------------------------------------------------------------------------------------------------------

    /// <summary>An event alarm of <paramref name="owner"/>'s project (event alarms only see events of their own project) that
    /// posts to <paramref name="url"/> every time a matching event arrives.</summary>
    public async Task<string> CreateEventAlarmAsync(User owner, string name, string eventType, string url, params (string Field, string Value)[] query)
    {
        var rule = new JsonObject { ["event_type"] = eventType, ["query"] = new JsonArray() };
        foreach (var (field, value) in query)
            rule["query"]!.AsArray().Add(new JsonObject { ["field"] = field, ["op"] = "eq", ["type"] = "string", ["value"] = value });
        var answer = await SendAsync(HttpMethod.Post, Aio.Aodh + "/alarms", (await TokenAsync(owner)).Token, new JsonObject
        {
            ["name"] = Aio.NamePrefix + name + "-" + Guid.NewGuid().ToString("N")[..8], ["type"] = "event", ["event_rule"] = rule,
            ["alarm_actions"] = new JsonArray(url), ["repeat_actions"] = true, ["severity"] = "critical",
        }, expect: 201);
        var id = answer["alarm_id"]!.GetValue<string>();
        _alarms[id] = owner;
        return id;
    }

    // ---- compute processes of our hosts ------------------------------------------------------------------------------

    /// <summary>Restarts the nova-compute of fake-host-<paramref name="n"/> (1 or 2 only) the way openstack-aio.sh starts it:
    /// SIGTERM by its pidfile, then a new process detached from this one (setsid, nohup) with the same pidfile and log.</summary>
    public static async Task RestartComputeAsync(int n)
    {
        Assert.True(n is 1 or 2, "the suite restarts only the nova-compute of its own hosts");
        var pidFile = Path.Combine(Aio.Dir, "pids", $"nova-compute-{n}.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) && Alive(pid))
        {
            using (var term = Process.Start("kill", ["-TERM", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                await term!.WaitForExitAsync();
            // nova services take 4-15 s to exit on SIGTERM (the reference's measurement); KILL past 60 s.
            var waited = Stopwatch.StartNew();
            while (Alive(pid) && waited.Elapsed < TimeSpan.FromSeconds(60))
                await Task.Delay(250);
            if (Alive(pid))
            {
                using var kill = Process.Start("kill", ["-KILL", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                await kill!.WaitForExitAsync();
            }
        }

        StartCompute(n, pidFile);
    }

    /// <summary>Starts fake-host-<paramref name="n"/>'s nova-compute when its pidfile names no live process (a test that died
    /// between stopping and starting it).</summary>
    public static void EnsureComputeRunning(int n)
    {
        var pidFile = Path.Combine(Aio.Dir, "pids", $"nova-compute-{n}.pid");
        if (!(File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) && Alive(pid)))
            StartCompute(n, pidFile);
    }

    private static void StartCompute(int n, string pidFile)
    {
        var log = Path.Combine(Aio.Dir, "logs", $"nova-compute-{n}.out");
        var script = $"nohup setsid nova-compute --config-file /etc/nova/nova.conf --config-file /etc/nova/fake-host-{n}.conf > '{log}' 2>&1 < /dev/null & echo $! > '{pidFile}'";
        using var shell = Process.Start("bash", ["-c", script]);
        shell!.WaitForExit();
        Assert.True(shell.ExitCode == 0, $"could not start nova-compute-{n}");
    }

    private static bool Alive(int pid) => Directory.Exists($"/proc/{pid}") && !File.ReadAllText($"/proc/{pid}/stat").Contains(") Z ", StringComparison.Ordinal);

    // ---- cleanup -----------------------------------------------------------------------------------------------------

    /// <summary>Removes servers, ports and alarms named by this suite that a run which died left behind, and makes sure
    /// our hosts are usable (not forced down, nova-compute running).</summary>
    public async Task RemoveLeftoversAsync()
    {
        var admin = (await TokenAsync(Aio.Admin)).Token;
        foreach (var s in (await SendAsync(HttpMethod.Get, $"{Aio.Nova}/servers?all_tenants=1&name=^{Aio.NamePrefix}", admin))["servers"]!.AsArray())
            _servers[s!["id"]!.GetValue<string>()] = true;
        foreach (var p in (await SendAsync(HttpMethod.Get, $"{Aio.Neutron}/ports?device_owner=compute:nova", admin))["ports"]!.AsArray())
        {
            if (p!["name"]?.GetValue<string>() is { } name && name.StartsWith(Aio.NamePrefix, StringComparison.Ordinal))
                _ports[p["id"]!.GetValue<string>()] = true;
        }

        foreach (var user in new[] { Aio.Demo, Aio.Demo2 })
        {
            foreach (var a in (await SendAsync(HttpMethod.Get, Aio.Aodh + "/alarms", (await TokenAsync(user)).Token)).AsArray())
            {
                if (a!["name"]?.GetValue<string>() is { } name && name.StartsWith(Aio.NamePrefix, StringComparison.Ordinal))
                    _alarms[a["alarm_id"]!.GetValue<string>()] = user;
            }
        }

        foreach (var queue in await Bus.DeleteLeftoverQueuesAsync())
            _log($"deleted queue {queue}, left by an earlier run");
        await CleanAsync();
    }

    private async Task CleanAsync()
    {
        var failures = new List<string>();
        async Task Try(string what, Func<Task> action)
        {
            try
            {
                await action();
            }
            catch (Exception ex)
            {
                failures.Add($"{what}: {ex.Message}");
            }
        }

        foreach (var (id, owner) in _alarms.ToArray())
            await Try($"alarm {id}", async () => await SendAsync(HttpMethod.Delete, $"{Aio.Aodh}/alarms/{id}", (await TokenAsync(owner)).Token, expect: null));
        _alarms.Clear();
        foreach (var id in _ports.Keys.ToArray())
            await Try($"port {id}", () => DeletePortAsync(id));
        await Task.WhenAll(_servers.Keys.ToArray().Select(id => Try($"server {id}", () => DeleteServerAsync(id))));
        foreach (var (n, host) in new[] { (1, Aio.Host1), (2, Aio.Host2) })
            await Try($"host {host}", () => MakeUsableAsync(n, host));
        foreach (var failure in failures)
            _log("cleanup: " + failure);
    }

    /// <summary>nova-compute running, reporting <c>up</c>, and the service not forced down. Nova refuses to un-force a host
    /// with finished evacuations until its nova-compute has restarted: then it is restarted once and asked again.</summary>
    private async Task MakeUsableAsync(int n, string host)
    {
        EnsureComputeRunning(n);
        if (await ForcedDownAsync(host) && await SetForcedDownAsync(host, false) is { } refused)
        {
            _log($"cleanup: Nova refused to un-force {host} ({refused}); restarting its nova-compute");
            await RestartComputeAsync(n);
            await Poll.UntilAsync(async () => await SetForcedDownAsync(host, false) is null ? "ok" : null, $"{host} un-forced after its compute restarted", TimeSpan.FromSeconds(120));
        }

        // Right after the cloud started, a compute takes up to a minute to report in (Nova shows it "down" until then, and
        // a forced-down one always): the scheduler places nothing there before, so a boot pinned to it would fail.
        await Poll.UntilAsync(async () => (await ComputeServiceAsync(host))["state"]?.GetValue<string>() == "up", $"{host}'s nova-compute up", TimeSpan.FromSeconds(180));
    }

    public async ValueTask DisposeAsync()
    {
        await CleanAsync();
        _http.Dispose();
    }

    // ---- HTTP --------------------------------------------------------------------------------------------------------

    /// <summary>Sends a call and returns its JSON answer; a status other than <paramref name="expect"/> (any 2xx when null)
    /// fails the test naming the call and the service's message.</summary>
    public async Task<JsonNode> SendAsync(HttpMethod method, string url, string token, JsonNode? body = null, int? expect = 200, string? version = null)
    {
        using var request = Request(method, url, token, body, version);
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var ok = expect is { } status ? (int)response.StatusCode == status : response.IsSuccessStatusCode;
        Assert.True(ok, $"{method} {url}: expected {expect?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "2xx"}, got {(int)response.StatusCode}: {text}");
        return string.IsNullOrWhiteSpace(text) ? new JsonObject() : JsonNode.Parse(text)!;
    }

    public async Task<int> StatusOfAsync(string url, string token)
    {
        using var request = Request(HttpMethod.Get, url, token, null, null);
        using var response = await _http.SendAsync(request);
        return (int)response.StatusCode;
    }

    private static HttpRequestMessage Request(HttpMethod method, string url, string token, JsonNode? body, string? version)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.TryAddWithoutValidation("X-Auth-Token", token);
        if (url.StartsWith(Aio.Nova, StringComparison.Ordinal))
            request.Headers.TryAddWithoutValidation("OpenStack-API-Version", "compute " + (version ?? ComputeVersion));
        if (body is not null)
            request.Content = Json(body);
        return request;
    }

    // Sized, not chunked: the uwsgi-served APIs (Keystone, Aodh) cannot read a chunked body.
    private static StringContent Json(JsonNode body) => new(body.ToJsonString(), Encoding.UTF8, "application/json");
}

/// <summary>A Keystone token with the ids of its project and user.</summary>
public sealed record Scoped(string Token, string ProjectId, string UserId);
