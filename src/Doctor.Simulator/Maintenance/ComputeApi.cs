using Doctor.Simulator.Cloud;

namespace Doctor.Simulator.Maintenance;

/// <summary>A server as the app manager sees it through the cloud's API.</summary>
public sealed record CloudServer(string Id, string Host, string? GroupId);

/// <summary>
/// The simulated cloud's compute API as a VNFM uses it to scale: list servers and usable hosts, delete a server, create
/// one. In Fenix the VNFM scales through its own orchestration (Heat/Nova); in the simulator the cloud is Doctor's
/// resource map, so an implementation may use an admin client of <c>/v1/servers</c> and <c>/v1/ports</c> — that stands
/// for the VNFM's own orchestration, not for a tenant right Doctor grants.
/// </summary>
public interface IComputeApi
{
    /// <summary>Every server of the cloud (any project) with its host and group.</summary>
    Task<IReadOnlyList<CloudServer>> ServersAsync(CancellationToken cancellationToken);

    /// <summary>Hosts a new server may be placed on: enabled, up, not forced down, in no maintenance.</summary>
    Task<IReadOnlyList<string>> PlaceableHostsAsync(CancellationToken cancellationToken);

    /// <summary>Deletes the server (and its port).</summary>
    Task DeleteServerAsync(SimVm vm, CancellationToken cancellationToken);

    /// <summary>Creates the server (and its port) on <see cref="SimVm.Host"/>, with the same id, project and group.</summary>
    Task CreateServerAsync(SimVm vm, CancellationToken cancellationToken);
}
