using System.Collections.Immutable;
using Doctor.Events;
using Doctor.Faults;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.Notification;
using Doctor.Subscriptions;

namespace Doctor.Control;

/// <summary>
/// Clears faults and puts back what they changed: the root with everything derived from it, then whatever the
/// recovered devices no longer cut off, each restored only if no other active fault still holds it and nobody
/// changed it since (an admin's later word wins).
/// </summary>
internal static class Recovery
{
    /// <summary>Clears the active roots on the target that <paramref name="clears"/> selects; null when there are none.</summary>
    public static (ImmutableArray<string> RootIds, List<NoticeResource> Resources)? Clear(
        EventContext c, ResourceType target, string targetId, Func<Fault, bool> clears, bool byAdmin)
    {
        var roots = new List<Fault>();
        foreach (var active in c.State.Faults.ActiveOn(target, targetId))
        {
            if (!active.IsRootCause || (active.ByAdmin && !byAdmin))
                continue; // an admin's force-down is lifted by an admin only
            if (clears(active))
                roots.Add(active);
        }

        if (roots.Count == 0)
            return null;

        var cleared = new List<Fault>();
        foreach (var root in roots)
        {
            cleared.Add(ClearOne(c, root));
            foreach (var derivedId in root.CorrelatedFaultIds)
            {
                // Only what this root derived: it also lists the roots it correlates to (the fault that explained it,
                // the warnings an escalation counted), which clear on their own recovery.
                if (c.State.Faults.Get(derivedId) is { IsActive: true, IsRootCause: false } derived && derived.CorrelatedFaultIds[0] == root.FaultId)
                    cleared.Add(ClearOne(c, derived));
            }
        }

        // Restore only after every fault of this recovery is cleared, so "another active fault holds it" is exact.
        var resources = new List<NoticeResource>(cleared.Count);
        foreach (var fault in cleared)
            resources.Add(Restore(c, fault));
        Revive(c, cleared, resources);
        return ([.. roots.Select(r => r.FaultId)], resources);
    }

    public static Notice Notice(EventContext c, IReadOnlyList<NoticeResource> resources) =>
        new(NotificationType.FaultCleared, c.Event.Id, [.. resources], null);

    /// <summary>
    /// A device that came back may end a cut-off that another device's fault caused (a host on two switches: the
    /// second one's failure cut it off, the first one's return connects it again): those derived faults clear too,
    /// down the feed edges.
    /// </summary>
    private static void Revive(EventContext c, List<Fault> cleared, List<NoticeResource> resources)
    {
        var map = c.Map;
        var queue = new Queue<string>();
        foreach (var fault in cleared)
        {
            if (fault.ResourceType == ResourceType.Device && map.Device(fault.ResourceId) is { Up: true } device)
                queue.Enqueue(device.Id);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (queue.Count > 0)
        {
            var device = map.Device(queue.Dequeue());
            if (device is null || !seen.Add(device.Id))
                continue;
            foreach (var target in device.Feeds)
            {
                if (map.Device(target) is { Up: false } fed)
                {
                    if (Topology.IsCutOff(map, fed.Id))
                        continue;
                    var again = ClearDerived(c, ResourceType.Device, fed.Id, Effect.DeviceDown, resources);
                    if (again && map.Device(fed.Id) is { Up: true })
                        queue.Enqueue(fed.Id);
                }
                else if (map.Host(target) is not null && !Topology.IsCutOff(map, target))
                {
                    ClearDerived(c, ResourceType.Host, target, Effect.HostDown, resources);
                }
            }
        }
    }

    /// <summary>Clears the derived faults with <paramref name="effect"/> on a resource, and for a host the same roots'
    /// faults on its servers and ports; restores them. Returns whether anything cleared.</summary>
    private static bool ClearDerived(EventContext c, ResourceType type, string id, Effect effect, List<NoticeResource> resources)
    {
        var faults = c.State.Faults;
        var derived = faults.ActiveOn(type, id).Where(f => !f.IsRootCause && f.Effect == effect).ToList();
        if (derived.Count == 0)
            return false;
        var roots = derived.Select(f => f.CorrelatedFaultIds[0]).ToHashSet(StringComparer.Ordinal);
        var cleared = derived.Select(f => ClearOne(c, f)).ToList();
        if (type == ResourceType.Host)
        {
            var map = c.Map;
            foreach (var serverId in map.ServersOn(id))
                cleared.AddRange(ClearFrom(c, ResourceType.Server, serverId, roots));
            foreach (var portId in map.PortsOn(id))
                cleared.AddRange(ClearFrom(c, ResourceType.Port, portId, roots));
        }

        foreach (var fault in cleared)
            resources.Add(Restore(c, fault));
        return true;
    }

    private static List<Fault> ClearFrom(EventContext c, ResourceType type, string id, HashSet<string> roots) =>
        [.. c.State.Faults.ActiveOn(type, id).Where(f => !f.IsRootCause && roots.Contains(f.CorrelatedFaultIds[0])).ToList().Select(f => ClearOne(c, f))];

    private static Fault ClearOne(EventContext c, Fault fault)
    {
        var cleared = fault with { ClearedAt = c.At, ClearedByEventId = c.Event.Id };
        c.State.Faults.Put(cleared);
        return cleared;
    }

    /// <summary>Puts back what <paramref name="fault"/> changed, unless another active fault still holds it or
    /// somebody changed it since.</summary>
    internal static NoticeResource Restore(EventContext c, Fault fault)
    {
        var map = c.Map;
        var state = c.State;
        var at = c.At;
        switch (fault.ResourceType)
        {
            case ResourceType.Host:
            {
                var host = map.Host(fault.ResourceId);
                if (host is null)
                    return Gone(fault);
                if (fault.Effect == Effect.HostDown && !Held.ByAnother(state, fault, Effect.HostDown) && host.ForcedDown && !host.Up)
                {
                    host = host with { Up = fault.PriorValue != "down", ForcedDown = fault.PriorForcedDown, UpdatedAt = at };
                    map.PutHost(host);
                }

                return HostImpact.HostResource(host, fault);
            }

            case ResourceType.Device:
            {
                var device = map.Device(fault.ResourceId);
                if (device is null)
                    return Gone(fault);
                if (fault.Effect == Effect.DeviceDown && !device.Up && fault.PriorValue != "down"
                    && !Held.ByAnother(state, fault, Effect.DeviceDown) && !Topology.IsCutOff(map, device.Id))
                {
                    device = device with { Up = true, UpdatedAt = at };
                    map.PutDevice(device);
                }

                return Topology.DeviceResource(device, fault);
            }

            case ResourceType.Server:
            {
                var server = map.Server(fault.ResourceId);
                if (server is null)
                    return Gone(fault);
                if (fault.Effect is Effect.HostDown or Effect.ServerError && server.State == ServerState.Error
                    && !Held.ByAnother(state, fault, Effect.HostDown, Effect.ServerError)
                    && ServerStates.TryParse(fault.PriorValue, out var prior) && prior != ServerState.Error)
                {
                    server = server with { State = prior, UpdatedAt = at };
                    map.PutServer(server);
                }

                return new NoticeResource(ResourceType.Server, server.Id, server.ProjectId, server.Host, ResourceStates.Of(server), map.HostStatusOf(server.Host), server.HostId, [fault]);
            }

            case ResourceType.Port:
            {
                var port = map.Port(fault.ResourceId);
                if (port is null)
                    return Gone(fault);
                if (fault.Effect is Effect.HostDown or Effect.PortsDown && port.DataPlaneUp == false
                    && !Held.ByAnother(state, fault, Effect.HostDown, Effect.PortsDown) && fault.PriorValue != "DOWN")
                {
                    port = port with { DataPlaneUp = ResourceStates.ParseDataPlane(fault.PriorValue), UpdatedAt = at };
                    map.PutPort(port);
                }

                return new NoticeResource(ResourceType.Port, port.Id, port.ProjectId, port.Host, ResourceStates.Of(port), map.HostStatusOf(port.Host), port.HostId, [fault]);
            }

            case ResourceType.ServerGroup:
                return GroupWatch.GroupResource(fault, "normal");

            default:
                return Gone(fault);
        }
    }

    private static NoticeResource Gone(Fault fault) =>
        new(fault.ResourceType, fault.ResourceId, fault.ProjectId, fault.Host, "deleted", HostStatus.Unknown, HostIdentity.For(fault.ProjectId, fault.Host), [fault]);

    /// <summary>Clears one fault that nothing else will (a group fault whose group recovered).</summary>
    public static Fault ClearAlone(EventContext c, Fault fault) => ClearOne(c, fault);
}
