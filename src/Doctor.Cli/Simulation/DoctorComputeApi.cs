using System.Text.Json;
using Doctor.Cli.Client;
using Doctor.Simulator.Cloud;
using Doctor.Simulator.Maintenance;

namespace Doctor.Cli.Simulation;

/// <summary>
/// The simulated cloud's compute API on Doctor's resource map, for the sample app managers' scaling. It uses an admin
/// client: in the simulator Doctor's map is the cloud, and these calls stand for the VNFM's own orchestration (in
/// Fenix the VNFM scales through Heat/Nova), not for anything a project token may do.
/// </summary>
public sealed class DoctorComputeApi(DoctorClient admin) : IComputeApi
{
    public async Task<IReadOnlyList<CloudServer>> ServersAsync(CancellationToken cancellationToken)
    {
        var servers = new List<CloudServer>();
        string? marker = null;
        do
        {
            var page = (await admin.GetAsync("/v1/servers?limit=1000" + (marker is null ? "" : "&marker=" + Uri.EscapeDataString(marker)), cancellationToken))!;
            foreach (var s in page["servers"]!.AsArray())
                servers.Add(new CloudServer(s!["id"]!.GetValue<string>(), s["host"]?.GetValue<string>() ?? "", s["group_id"]?.GetValue<string>()));
            marker = page["next"]?.GetValue<string>();
        }
        while (marker is not null);
        return servers;
    }

    public async Task<IReadOnlyList<string>> PlaceableHostsAsync(CancellationToken cancellationToken)
    {
        var hosts = new List<string>();
        string? marker = null;
        do
        {
            var page = (await admin.GetAsync("/v1/hosts?limit=1000" + (marker is null ? "" : "&marker=" + Uri.EscapeDataString(marker)), cancellationToken))!;
            foreach (var h in page["hosts"]!.AsArray())
            {
                if (h!["status"]!.GetValue<string>() == "enabled" && h["state"]!.GetValue<string>() == "up" && !h["forced_down"]!.GetValue<bool>() && h["maintenance"] is null)
                    hosts.Add(h["name"]!.GetValue<string>());
            }

            marker = page["next"]?.GetValue<string>();
        }
        while (marker is not null);
        return hosts;
    }

    public async Task DeleteServerAsync(SimVm vm, CancellationToken cancellationToken)
    {
        await admin.SendAsync(HttpMethod.Delete, $"/v1/servers/{Uri.EscapeDataString(vm.Id)}", null, cancellationToken);
        try
        {
            await admin.SendAsync(HttpMethod.Delete, $"/v1/ports/{Uri.EscapeDataString(vm.PortId)}", null, cancellationToken);
        }
        catch (DoctorApiException ex) when (ex.Status == 404)
        {
            // no port to delete
        }
    }

    public async Task CreateServerAsync(SimVm vm, CancellationToken cancellationToken)
    {
        var server = new Dictionary<string, object?> { ["name"] = vm.Id, ["project_id"] = vm.ProjectId, ["host"] = vm.Host };
        if (vm.GroupId is not null)
            server["group_id"] = vm.GroupId;
        await admin.SendAsync(HttpMethod.Put, $"/v1/servers/{Uri.EscapeDataString(vm.Id)}", JsonSerializer.Serialize(server), cancellationToken);
        await admin.SendAsync(HttpMethod.Put, $"/v1/ports/{Uri.EscapeDataString(vm.PortId)}",
            JsonSerializer.Serialize(new { server_id = vm.Id, network_id = "provider-net", data_plane_status = "ACTIVE" }), cancellationToken);
    }
}
