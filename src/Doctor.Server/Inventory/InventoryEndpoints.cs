using Doctor.Access;
using Doctor.Control;
using Doctor.Inventory;
using Doctor.Serialization;
using Doctor.Server.Access;
using Doctor.Server.Http;

namespace Doctor.Server.Inventory;

using Host = Doctor.Inventory.Host;
using Server = Doctor.Inventory.Server;

/// <summary><c>POST /v1/inventory</c>: a whole document in one unit of work, all or nothing.</summary>
public static class InventoryEndpoints
{
    /// <summary>What an import did.</summary>
    public sealed record ImportResult(int Hosts, int Devices, int Servers, int Ports, int Deleted);

    public static void MapInventory(this IEndpointRouteBuilder app) =>
        app.MapPost("/v1/inventory", Import).Allow(Role.Admin);

    private static async Task<IResult> Import(HttpContext context, DoctorEngine engine, ServerMoves moves, TimeProvider time)
    {
        var replaceText = context.Request.Query["replace"].ToString();
        if (replaceText is not ("" or "true" or "false"))
            throw new RequestException(Problems.BadRequest("replace", "replace must be true or false"));
        var replace = replaceText == "true";
        var document = await RequestBody.ReadAsync<InventoryInput>(context);

        // Validate every item before the engine sees any, so one bad item rejects the whole document.
        var now = time.GetUtcNow();
        var hosts = document.Hosts ?? [];
        var servers = document.Servers ?? [];
        var ports = document.Ports ?? [];
        var devices = document.Devices ?? [];
        Unique(hosts.Select((h, i) => InventoryValidation.ToHost(h, null, $"hosts[{i}]", null, now).Name), "hosts", "name");
        Unique(devices.Select((d, i) => InventoryValidation.ToDevice(d, null, $"devices[{i}]", null, now).Id), "devices", "id");
        Unique(servers.Select((s, i) => InventoryValidation.ToServer(s, null, $"servers[{i}]", null, now).Id), "servers", "id");
        Unique(ports.Select((p, i) => InventoryValidation.ToPort(p, null, $"ports[{i}]", null, now).Id), "ports", "id");

        var result = await engine.ExecuteAsync(editor =>
        {
            var map = editor.Map;
            var deleted = 0;
            if (replace)
            {
                var keepHosts = hosts.Select(h => h!.Name!).ToHashSet(StringComparer.Ordinal);
                var keepServers = servers.Select(s => s!.Id!).ToHashSet(StringComparer.Ordinal);
                var keepPorts = ports.Select(p => p!.Id!).ToHashSet(StringComparer.Ordinal);
                var keepDevices = devices.Select(d => d!.Id!).ToHashSet(StringComparer.Ordinal);
                foreach (var id in map.PortIds().Where(id => !keepPorts.Contains(id)))
                    deleted += map.RemovePort(id) ? 1 : 0;
                foreach (var id in map.ServerIds().Where(id => !keepServers.Contains(id)))
                    deleted += map.RemoveServer(id) ? 1 : 0;
                foreach (var name in map.HostNames().Where(name => !keepHosts.Contains(name)))
                    deleted += map.RemoveHost(name) ? 1 : 0;
                foreach (var id in map.DeviceIds().Where(id => !keepDevices.Contains(id)))
                    deleted += map.RemoveDevice(id) ? 1 : 0;
            }

            for (var i = 0; i < hosts.Count; i++)
                map.PutHost(InventoryValidation.ToHost(hosts[i], null, $"hosts[{i}]", map.Host(hosts[i]!.Name!), editor.Now));
            for (var i = 0; i < devices.Count; i++)
                map.PutDevice(InventoryValidation.ToDevice(devices[i], null, $"devices[{i}]", map.Device(devices[i]!.Id!), editor.Now));
            for (var i = 0; i < servers.Count; i++)
                map.PutServer(InventoryValidation.ToServer(servers[i], null, $"servers[{i}]", map.Server(servers[i]!.Id!), editor.Now));
            for (var i = 0; i < ports.Count; i++)
                map.PutPort(InventoryValidation.ToPort(ports[i], null, $"ports[{i}]", map.Port(ports[i]!.Id!), editor.Now));
            return new ImportResult(hosts.Count, devices.Count, servers.Count, ports.Count, deleted);
        });
        await moves.ReportAsync(null, wait: true, CancellationToken.None); // servers the document moved off a failed host
        return TypedResults.Json(result, DoctorJson.Options);
    }

    private static void Unique(IEnumerable<string> keys, string list, string field)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var key in keys)
        {
            if (!seen.Add(key))
                throw new RequestException(Problems.BadRequest($"{list}[{index}].{field}", $"{list}[{index}].{field} {key} appears twice in the document"));
            index++;
        }
    }
}
