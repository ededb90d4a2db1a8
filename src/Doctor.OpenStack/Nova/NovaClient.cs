using System.Text.Json.Nodes;
using Doctor.OpenStack.Keystone;

namespace Doctor.OpenStack.Nova;

/// <summary>The Nova calls Doctor makes. Microversions: 2.53 for services (UUID ids, <c>forced_down</c>), 2.16+ for
/// <c>host_status</c> in server details, 2.56 for a cold migration to a named host, 2.84 for the details of instance action
/// events.</summary>
public sealed class NovaClient(HttpClient http, KeystoneSession keystone, OpenStackOptions options)
    : ServiceClient(http, keystone, options, "compute")
{
    public const string ServicesVersion = "2.53";
    public const string ServersVersion = "2.56";

    /// <summary>Instance action events with their <c>details</c> (the failure's message).</summary>
    public const string ActionEventsVersion = "2.84";
    private const int Page = 1000;

    /// <summary>Every nova-compute service (one per hypervisor host).</summary>
    public async Task<IReadOnlyList<NovaService>> ComputeServicesAsync(CancellationToken cancellationToken)
    {
        const string path = "/os-services?binary=nova-compute";
        var answer = await GetAsync(path, cancellationToken, ServicesVersion);
        return JsonFields.List(answer, "services", "GET compute" + path).Select(NovaService.From).OfType<NovaService>().ToList();
    }

    /// <summary>Every server of every project (admin), page by page: on while Nova links a next page (its <c>[api]
    /// max_limit</c> may cut pages shorter than asked) or a page is full. A page that cannot be followed is an error, never
    /// the end of the list: a snapshot that misses servers would remove them from the map.</summary>
    public async Task<IReadOnlyList<NovaServer>> AllServersAsync(CancellationToken cancellationToken)
    {
        var servers = new List<NovaServer>();
        string? marker = null;
        for (var pages = 1; ; pages++)
        {
            var path = $"/servers/detail?all_tenants=1&limit={Page}" + (marker is null ? "" : "&marker=" + Uri.EscapeDataString(marker));
            var answer = await GetAsync(path, cancellationToken, ServersVersion);
            var items = JsonFields.List(answer, "servers", "GET compute" + path);
            servers.AddRange(items.Select(NovaServer.From).OfType<NovaServer>());
            if (items.Count == 0 || items.Count < Page && !JsonFields.HasNext(answer, "servers"))
                return servers;
            marker = JsonFields.NextMarker(items, marker, pages, "GET compute" + path);
        }
    }


    /// <summary>One server, or null when Nova does not know it.</summary>
    public async Task<NovaServer?> ServerAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            return NovaServer.From((await GetAsync("/servers/" + Uri.EscapeDataString(id), cancellationToken, ServersVersion))?["server"]);
        }
        catch (OpenStackException notFound) when (notFound.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Server group id of every member of every group (all projects), page by page (<c>limit</c>/<c>offset</c>:
    /// more groups than a page, or than Nova's <c>max_limit</c>, would otherwise lose their members' group).</summary>
    public async Task<IReadOnlyDictionary<string, string>> ServerGroupsAsync(CancellationToken cancellationToken)
    {
        var groups = new Dictionary<string, string>(StringComparer.Ordinal);
        var offset = 0;
        for (var pages = 1; ; pages++)
        {
            var path = $"/os-server-groups?all_projects=true&limit={Page}&offset={offset}";
            var items = JsonFields.List(await GetAsync(path, cancellationToken, ServicesVersion), "server_groups", "GET compute" + path);
            foreach (var group in items)
            {
                if (group is not JsonObject g || JsonFields.Text(g["id"]) is not { } groupId || g["members"] is not JsonArray members)
                    continue;
                foreach (var member in members)
                {
                    if (JsonFields.Text(member) is { } serverId)
                        groups.TryAdd(serverId, groupId);
                }
            }

            if (items.Count == 0)
                return groups;
            if (pages >= JsonFields.MaxPages)
                throw new OpenStackException($"GET compute{path}: more than {JsonFields.MaxPages} pages");
            offset += items.Count;
        }
    }

    /// <summary><c>PUT /os-services/{id}</c> with <c>forced_down</c>.</summary>
    public Task SetForcedDownAsync(string serviceId, bool forcedDown, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Put, "/os-services/" + Uri.EscapeDataString(serviceId), new JsonObject { ["forced_down"] = forcedDown }, cancellationToken, ServicesVersion);

    /// <summary>Disables (with a reason) or enables the compute service: the scheduler stops or resumes placing on it.</summary>
    public Task SetEnabledAsync(string serviceId, bool enabled, string? reason, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["status"] = enabled ? "enabled" : "disabled" };
        if (!enabled && reason is not null)
            body["disabled_reason"] = reason;
        return SendAsync(HttpMethod.Put, "/os-services/" + Uri.EscapeDataString(serviceId), body, cancellationToken, ServicesVersion);
    }

    /// <summary><c>os-resetState</c> to <c>error</c> or <c>active</c>.</summary>
    public Task ResetStateAsync(string serverId, string state, CancellationToken cancellationToken) =>
        Action(serverId, new JsonObject { ["os-resetState"] = new JsonObject { ["state"] = state } }, cancellationToken);

    /// <summary>Cold migration (to <paramref name="host"/> when given; 2.56); returns Nova's request id of the call.</summary>
    public async Task<string?> MigrateAsync(string serverId, string? host, CancellationToken cancellationToken) =>
        (await ActionForRequest(serverId, new JsonObject { ["migrate"] = host is null ? null : new JsonObject { ["host"] = host } }, cancellationToken)).RequestId;

    /// <summary>Live migration (to <paramref name="host"/> when given, the scheduler's choice otherwise); returns Nova's
    /// request id of the call.</summary>
    public async Task<string?> LiveMigrateAsync(string serverId, string? host, CancellationToken cancellationToken) =>
        (await ActionForRequest(serverId, new JsonObject { ["os-migrateLive"] = new JsonObject { ["host"] = host, ["block_migration"] = "auto" } }, cancellationToken)).RequestId;

    /// <summary>The nova-compute service of <paramref name="host"/>, or null when Nova has none.</summary>
    public async Task<NovaService?> ComputeServiceAsync(string host, CancellationToken cancellationToken)
    {
        var answer = await GetAsync("/os-services?binary=nova-compute&host=" + Uri.EscapeDataString(host), cancellationToken, ServicesVersion);
        return (answer?["services"] as JsonArray ?? []).Select(NovaService.From).OfType<NovaService>().FirstOrDefault(s => s.Host == host);
    }

    /// <summary>
    /// Why an action on a server failed, in Nova's words: the failed events of the instance action Nova recorded for the
    /// call (<paramref name="requestId"/>; without it, the newest action named one of <paramref name="actions"/>), with
    /// their <c>details</c> (2.84, admin). Null when Nova recorded no failure.
    /// </summary>
    public async Task<string?> ActionFailureAsync(string serverId, string? requestId, IReadOnlyCollection<string> actions, CancellationToken cancellationToken)
    {
        var path = $"/servers/{Uri.EscapeDataString(serverId)}/os-instance-actions";
        if (requestId is null)
        {
            var list = await GetAsync(path, cancellationToken, ActionEventsVersion);
            requestId = (list?["instanceActions"] as JsonArray ?? [])
                .FirstOrDefault(a => a?["action"]?.GetValue<string>() is { } name && actions.Contains(name))?["request_id"]?.GetValue<string>();
            if (requestId is null)
                return null;
        }

        var answer = await GetAsync($"{path}/{Uri.EscapeDataString(requestId)}", cancellationToken, ActionEventsVersion);
        var failed = (answer?["instanceAction"]?["events"] as JsonArray ?? [])
            .Where(e => e?["result"]?.GetValue<string>() is "Error" or "error")
            .Select(e => e!["details"]?.GetValue<string>() is { Length: > 0 } details ? details.Trim() : $"{e["event"]?.GetValue<string>()} failed")
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return failed.Count == 0 ? null : string.Join("; ", failed);
    }

    /// <summary>Confirms a finished cold migration (the server waits in VERIFY_RESIZE until then).</summary>
    public Task ConfirmResizeAsync(string serverId, CancellationToken cancellationToken) =>
        Action(serverId, new JsonObject { ["confirmResize"] = null }, cancellationToken);

    private Task Action(string serverId, JsonObject body, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Post, $"/servers/{Uri.EscapeDataString(serverId)}/action", body, cancellationToken, ServersVersion);

    private Task<(JsonNode? Body, string? RequestId)> ActionForRequest(string serverId, JsonObject body, CancellationToken cancellationToken) =>
        SendForRequestAsync(HttpMethod.Post, $"/servers/{Uri.EscapeDataString(serverId)}/action", body, cancellationToken, ServersVersion);
}

/// <summary>A nova-compute service as <c>GET /os-services</c> shows it.</summary>
public sealed record NovaService(string Id, string Host, string? Zone, bool Enabled, bool ForcedDown, bool Up)
{
    /// <summary>Why the service is disabled (whoever disabled it wrote it); null when enabled or not said.</summary>
    public string? DisabledReason { get; init; }

    public static NovaService? From(JsonNode? node)
    {
        if (node is not JsonObject o || JsonFields.Id(o["id"]) is not { } id || JsonFields.Text(o["host"]) is not { } host)
            return null;
        return new NovaService(id, host, JsonFields.Text(o["zone"]), JsonFields.Text(o["status"]) != "disabled",
            JsonFields.Flag(o["forced_down"]) ?? false, JsonFields.Text(o["state"]) == "up")
        {
            DisabledReason = JsonFields.Text(o["disabled_reason"]),
        };
    }
}

/// <summary>A server as <c>GET /servers/detail</c> shows it to an admin.</summary>
public sealed record NovaServer(string Id, string? Name, string? ProjectId, string? Host, string Status, string? TaskState, string? HostStatus)
{
    /// <summary>The message of the server's fault (Nova shows one on a server in ERROR).</summary>
    public string? Fault { get; init; }

    public static NovaServer? From(JsonNode? node)
    {
        if (node is not JsonObject o || JsonFields.Text(o["id"]) is not { } id)
            return null;
        return new NovaServer(id, JsonFields.Text(o["name"]), JsonFields.Text(o["tenant_id"]),
            JsonFields.Text(o["OS-EXT-SRV-ATTR:host"]), JsonFields.Text(o["status"]) ?? "UNKNOWN",
            JsonFields.Text(o["OS-EXT-STS:task_state"]), JsonFields.Text(o["host_status"]))
        {
            Fault = JsonFields.Text(o["fault"] is JsonObject fault ? fault["message"] : null),
        };
    }
}
