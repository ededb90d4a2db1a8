using Doctor.OpenStack.Neutron;
using Doctor.OpenStack.Nova;

namespace Doctor.OpenStack.Sync;

/// <summary>The cloud as one full read saw it: compute services, servers of all projects, their groups, server ports.</summary>
public sealed record CloudSnapshot(
    IReadOnlyList<NovaService> Computes,
    IReadOnlyList<NovaServer> Servers,
    IReadOnlyDictionary<string, string> GroupOf,
    IReadOnlyList<NeutronPort> Ports)
{
    /// <summary>Reads everything, the four lists in parallel.</summary>
    public static async Task<CloudSnapshot> ReadAsync(NovaClient nova, NeutronClient neutron, CancellationToken cancellationToken)
    {
        var computes = nova.ComputeServicesAsync(cancellationToken);
        var servers = nova.AllServersAsync(cancellationToken);
        var groups = nova.ServerGroupsAsync(cancellationToken);
        var ports = neutron.AllPortsAsync(cancellationToken);
        await Task.WhenAll(computes, servers, groups, ports);
        return new CloudSnapshot(await computes, await servers, await groups, (await ports).Where(p => p.IsServerPort).ToList());
    }
}
