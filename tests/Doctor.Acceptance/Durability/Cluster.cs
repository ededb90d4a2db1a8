using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Doctor.Acceptance.Durability;

/// <summary>The small cloud the durability tests run on, and what of a server's state they compare.</summary>
internal static class Cluster
{
    public static string HostName(int i) => $"compute-{i:D2}";

    /// <summary><paramref name="hosts"/> hosts with two VMs each (tenant-a and tenant-b), one port per VM.</summary>
    public static JsonObject Inventory(int hosts)
    {
        var hostList = new JsonArray();
        var servers = new JsonArray();
        var ports = new JsonArray();
        for (var i = 0; i < hosts; i++)
        {
            hostList.Add(new JsonObject { ["name"] = HostName(i), ["zone"] = "az1" });
            foreach (var project in new[] { "tenant-a", "tenant-b" })
            {
                var id = $"{project}-vm-{i:D2}";
                servers.Add(new JsonObject { ["id"] = id, ["name"] = id, ["project_id"] = project, ["host"] = HostName(i) });
                ports.Add(new JsonObject { ["id"] = id + "-port", ["server_id"] = id, ["network_id"] = "provider", ["data_plane_status"] = "ACTIVE" });
            }
        }

        return new JsonObject { ["hosts"] = hostList, ["servers"] = servers, ["ports"] = ports };
    }

    public static JsonObject HostEvent(string id, string type, string host, DateTimeOffset time) => new()
    {
        ["id"] = id,
        ["time"] = time.ToString("O"),
        ["type"] = type,
        ["details"] = new JsonObject { ["hostname"] = host },
    };

    /// <summary>Every page of a list.</summary>
    public static async Task<List<JsonNode>> AllAsync(HttpClient client, string path, string plural)
    {
        var all = new List<JsonNode>();
        string? marker = null;
        var separator = path.Contains('?') ? '&' : '?';
        do
        {
            var page = await client.GetJsonAsync($"{path}{separator}limit=1000" + (marker is null ? "" : "&marker=" + Uri.EscapeDataString(marker)));
            all.AddRange(page[plural]!.AsArray().Select(n => n!));
            marker = page["next"]?.GetValue<string>();
        }
        while (marker is not null);
        return all;
    }

    /// <summary>Waits (bounded) until no recorded event is pending, then answers the log in order.</summary>
    public static async Task<List<JsonNode>> ProcessedLogAsync(HttpClient client)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var events = await AllAsync(client, "/v1/events", "events");
            if (events.All(e => e["status"]!.GetValue<string>() != "pending"))
                return events;
            if (waited.Elapsed > TimeSpan.FromSeconds(20))
                throw new TimeoutException($"{events.Count(e => e["status"]!.GetValue<string>() == "pending")} events still pending after 20 s");
            await Task.Delay(50);
        }
    }

    /// <summary>Hosts, servers and active faults as lines, sorted: two servers that agree print the same.</summary>
    public static async Task<string[]> StateAsync(HttpClient client)
    {
        var lines = new List<string>();
        foreach (var h in await AllAsync(client, "/v1/hosts", "hosts"))
            lines.Add($"host {h["name"]} state={h["state"]} status={h["status"]} host_status={h["host_status"]} forced_down={h["forced_down"]}");
        foreach (var s in await AllAsync(client, "/v1/servers", "servers"))
            lines.Add($"server {s["id"]} state={s["state"]} host_status={s["host_status"]}");
        foreach (var f in await AllAsync(client, "/v1/faults?state=active", "faults"))
            lines.Add($"fault {f["fault_id"]} {f["fault_type"]} on {f["resource_type"]} {f["resource_id"]} severity={f["severity"]}");
        lines.Sort(StringComparer.Ordinal);
        return [.. lines];
    }
}
