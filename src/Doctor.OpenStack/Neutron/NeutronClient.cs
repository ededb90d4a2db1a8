using System.Text.Json.Nodes;
using Doctor.OpenStack.Keystone;

namespace Doctor.OpenStack.Neutron;

/// <summary>The Neutron calls Doctor makes.</summary>
public sealed class NeutronClient(HttpClient http, KeystoneSession keystone, OpenStackOptions options)
    : ServiceClient(http, keystone, options, "network")
{
    private const int Page = 1000;

    /// <summary>Every port of every project (admin), page by page (as <see cref="Nova.NovaClient.AllServersAsync"/>: on while a
    /// next page is linked or a page is full; a page that cannot be followed is an error).</summary>
    public async Task<IReadOnlyList<NeutronPort>> AllPortsAsync(CancellationToken cancellationToken)
    {
        var ports = new List<NeutronPort>();
        string? marker = null;
        for (var pages = 1; ; pages++)
        {
            var path = $"/v2.0/ports?limit={Page}" + (marker is null ? "" : "&marker=" + Uri.EscapeDataString(marker));
            var answer = await GetAsync(path, cancellationToken);
            var items = JsonFields.List(answer, "ports", "GET network" + path);
            ports.AddRange(items.Select(NeutronPort.From).OfType<NeutronPort>());
            if (items.Count == 0 || items.Count < Page && !JsonFields.HasNext(answer, "ports"))
                return ports;
            marker = JsonFields.NextMarker(items, marker, pages, "GET network" + path);
        }
    }

    /// <summary>True when the cloud offers the <c>data-plane-status</c> API extension.</summary>
    public async Task<bool> HasDataPlaneStatusAsync(CancellationToken cancellationToken)
    {
        const string path = "/v2.0/extensions";
        var answer = await GetAsync(path, cancellationToken);
        return JsonFields.List(answer, "extensions", "GET network" + path).Any(e => e is JsonObject extension && JsonFields.Text(extension["alias"]) == "data-plane-status");
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
        if (node is not JsonObject || JsonFields.Text(node["id"]) is not { } id)
            return null;
        static string? Text(JsonNode? n) => JsonFields.Text(n);
        return new NeutronPort(id, Text(node["device_id"]), Text(node["device_owner"]), Text(node["project_id"]) ?? Text(node["tenant_id"]),
            Text(node["binding:host_id"]), Text(node["network_id"]), Text(node["status"]), Text(node["data_plane_status"]));
    }

    /// <summary>Only ports of servers belong in the map (not routers', DHCP's, …).</summary>
    public bool IsServerPort => DeviceId is not null && (DeviceOwner is null || DeviceOwner.StartsWith("compute:", StringComparison.Ordinal));
}
