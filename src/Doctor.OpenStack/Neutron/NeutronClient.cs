using System.Text.Json.Nodes;
using Doctor.OpenStack.Keystone;

namespace Doctor.OpenStack.Neutron;

/// <summary>The Neutron calls Doctor makes.</summary>
public sealed class NeutronClient(HttpClient http, KeystoneSession keystone, OpenStackOptions options)
    : ServiceClient(http, keystone, options, "network")
{
    private const int Page = 1000;

    /// <summary>Every port of every project (admin), page by page.</summary>
    public async Task<IReadOnlyList<NeutronPort>> AllPortsAsync(CancellationToken cancellationToken)
    {
        var ports = new List<NeutronPort>();
        string? marker = null;
        while (true)
        {
            var path = $"/v2.0/ports?limit={Page}" + (marker is null ? "" : "&marker=" + Uri.EscapeDataString(marker));
            var page = (((await GetAsync(path, cancellationToken))?["ports"]) as JsonArray ?? []).Select(NeutronPort.From).OfType<NeutronPort>().ToList();
            ports.AddRange(page);
            if (page.Count < Page)
                return ports;
            marker = page[^1].Id;
        }
    }

    /// <summary>True when the cloud offers the <c>data-plane-status</c> API extension.</summary>
    public async Task<bool> HasDataPlaneStatusAsync(CancellationToken cancellationToken)
    {
        var answer = await GetAsync("/v2.0/extensions", cancellationToken);
        return (answer?["extensions"] as JsonArray ?? []).Any(e => e?["alias"]?.GetValue<string>() == "data-plane-status");
    }

    /// <summary>Sets a port's <c>data_plane_status</c> (<c>ACTIVE</c> or <c>DOWN</c>).</summary>
    public Task SetDataPlaneStatusAsync(string portId, string status, CancellationToken cancellationToken) =>
        SendAsync(HttpMethod.Put, "/v2.0/ports/" + Uri.EscapeDataString(portId),
            new JsonObject { ["port"] = new JsonObject { ["data_plane_status"] = status } }, cancellationToken);
}

/// <summary>A port as Neutron shows it to an admin.</summary>
public sealed record NeutronPort(string Id, string? DeviceId, string? DeviceOwner, string? ProjectId, string? Host, string? NetworkId, string? Status, string? DataPlaneStatus)
{
    public static NeutronPort? From(JsonNode? node)
    {
        if (node?["id"]?.GetValue<string>() is not { Length: > 0 } id)
            return null;
        static string? Text(JsonNode? n) => n?.GetValue<string>() is { Length: > 0 } s ? s : null;
        return new NeutronPort(id, Text(node["device_id"]), Text(node["device_owner"]), Text(node["project_id"]) ?? Text(node["tenant_id"]),
            Text(node["binding:host_id"]), Text(node["network_id"]), Text(node["status"]), Text(node["data_plane_status"]));
    }

    /// <summary>Only ports of servers belong in the map (not routers', DHCP's, …).</summary>
    public bool IsServerPort => DeviceId is not null && (DeviceOwner is null || DeviceOwner.StartsWith("compute:", StringComparison.Ordinal));
}
