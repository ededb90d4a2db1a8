using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.Notification;
using Doctor.Profiling;

namespace Doctor.Control;

/// <summary>
/// Applies one effect to a host and everything on it, through the map's indexes, as part of one outbreak:
/// <c>host_down</c> takes the host down (forced) with its servers in error and its ports' data plane down;
/// <c>ports_down</c> takes only the ports' data plane down; <c>notify_only</c> changes nothing but tells the owner of
/// every server on the host (a warning is about their VMs too).
/// </summary>
internal static class HostImpact
{
    /// <param name="asRoot">The host is the root's resource (the event named it); otherwise it is derived (a device fed it).</param>
    /// <param name="kind">The fault this host and its resources get; null: the outbreak's own.</param>
    /// <param name="profile">Mark the profiler's checkpoints here (one host); a device outbreak marks them itself.</param>
    public static void Apply(
        Outbreak o, string hostName, Effect effect, bool asRoot, FaultKind? kind = null, IEnumerable<string>? alsoCorrelated = null, bool profile = true)
    {
        var map = o.Context.Map;
        var state = o.Context.State;
        var at = o.Context.At;
        var timeline = profile ? o.Context.Timeline : null;
        var host = map.Host(hostName)!;
        var servers = effect is Effect.HostDown or Effect.NotifyOnly ? map.ServersOn(hostName) : [];
        var portIds = AffectedPorts(map, hostName, map.ServersOn(hostName), effect);
        timeline?.Mark(Checkpoint.FoundAffected);

        var priorHost = host;
        var heldBy = Held.By(state, ResourceType.Host, hostName, Effect.HostDown);
        if (effect == Effect.HostDown && (host.Up || !host.ForcedDown))
        {
            host = host with { Up = false, ForcedDown = true, UpdatedAt = at };
            map.PutHost(host);
            timeline?.Mark(Checkpoint.MarkedHostDown);
        }

        var hostPrior = heldBy is null ? ResourceStates.Of(priorHost) : heldBy.PriorValue;
        var hostPriorForced = heldBy?.PriorForcedDown ?? priorHost.ForcedDown;
        var hostStatus = host.Status;
        if (!asRoot)
        {
            var derived = o.Derive(ResourceType.Host, hostName, null, hostName, effect, hostPrior, hostPriorForced, kind);
            o.Add(HostResource(host, derived));
        }

        foreach (var serverId in servers)
        {
            var server = map.Server(serverId)!;
            string? prior = null;
            if (effect == Effect.HostDown)
            {
                prior = Held.By(state, ResourceType.Server, server.Id, Effect.HostDown, Effect.ServerError)?.PriorValue ?? server.State.Name();
                if (server.State != ServerState.Error)
                {
                    server = server with { State = ServerState.Error, UpdatedAt = at };
                    map.PutServer(server);
                }
            }

            var fault = o.Derive(ResourceType.Server, server.Id, server.ProjectId, hostName, effect, prior, kind: kind);
            o.Add(new NoticeResource(ResourceType.Server, server.Id, server.ProjectId, hostName, ResourceStates.Of(server), hostStatus, server.HostId, [fault]));
        }

        foreach (var portId in portIds)
        {
            var port = map.Port(portId)!;
            var prior = Held.By(state, ResourceType.Port, port.Id, Effect.HostDown, Effect.PortsDown) is { } holder
                ? holder.PriorValue
                : ResourceStates.DataPlane(port.DataPlaneUp);
            if (port.DataPlaneUp != false)
            {
                port = port with { DataPlaneUp = false, UpdatedAt = at };
                map.PutPort(port);
            }

            var fault = o.Derive(ResourceType.Port, port.Id, port.ProjectId, port.Host, effect, prior, kind: kind);
            o.Add(new NoticeResource(ResourceType.Port, port.Id, port.ProjectId, port.Host, ResourceStates.Of(port), map.HostStatusOf(port.Host), port.HostId, [fault]));
        }

        timeline?.Mark(Checkpoint.SetVmError);
        if (asRoot)
        {
            var root = o.Root(ResourceType.Host, hostName, null, hostName, hostPrior, hostPriorForced, alsoCorrelated);
            o.AddFirst(HostResource(host, root));
        }
    }

    public static NoticeResource HostResource(Host host, Faults.Fault fault) =>
        new(ResourceType.Host, host.Name, null, host.Name, ResourceStates.Of(host), host.Status, HostIdentity.For(null, host.Name), [fault]);

    private static IReadOnlyCollection<string> AffectedPorts(ResourceMapEditor map, string hostName, IReadOnlyCollection<string> servers, Effect effect)
    {
        if (effect is not (Effect.HostDown or Effect.PortsDown))
            return [];
        var onHost = map.PortsOn(hostName);
        // Ports follow their server; a port whose binding host was never given is found through its server.
        HashSet<string>? extra = null;
        foreach (var serverId in servers)
        {
            foreach (var portId in map.PortsOf(serverId))
            {
                if (!onHost.Contains(portId))
                    (extra ??= new HashSet<string>(StringComparer.Ordinal)).Add(portId);
            }
        }

        return extra is null ? onHost : [.. onHost, .. extra.Order(StringComparer.Ordinal)];
    }
}
