using System.Collections.Immutable;
using Doctor.Events;
using Doctor.Faults;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.Notification;
using Doctor.State;

namespace Doctor.Control;

/// <summary>
/// A server that was moved away from the failure that hurt it (Nova evacuated it, an operator migrated it and updated
/// the map) is no longer hurt by it: the faults it and its ports carry from their old host's failure clear, their states
/// come back, and the owner is told (<c>fault_cleared</c>, with the new host's identity), without waiting for the failed
/// host to recover. Only a move to a host that is up counts; the root fault on the old host stays active.
/// </summary>
/// <remarks>
/// The map change itself is a command; the clearing is an event (<see cref="InternalEventTypes.ServerMoved"/>, written
/// by whoever changed the map) so that it is durable, replayed exactly, and notifies like any other recovery.
/// </remarks>
public static class Relocation
{
    /// <summary>The servers among <paramref name="serverIds"/> (all servers with faults, when null) that carry a fault
    /// from a host they are no longer on, themselves or through a port.</summary>
    public static IReadOnlyList<string> LeftBehind(DoctorState state, IEnumerable<string>? serverIds = null)
    {
        var map = state.Map;
        var faults = state.Faults;
        var found = new SortedSet<string>(StringComparer.Ordinal);
        if (serverIds is null)
        {
            foreach (var fault in faults.Active.After(null))
            {
                var serverId = fault.ResourceType switch
                {
                    ResourceType.Server => fault.ResourceId,
                    ResourceType.Port => map.Ports.Get(fault.ResourceId)?.ServerId,
                    _ => null,
                };
                if (serverId is not null && !found.Contains(serverId) && HasLeftBehind(state, serverId))
                    found.Add(serverId);
            }
        }
        else
        {
            foreach (var serverId in serverIds)
            {
                if (!found.Contains(serverId) && HasLeftBehind(state, serverId))
                    found.Add(serverId);
            }
        }

        return [.. found];
    }

    /// <summary>The event that asks the engine to clear what <paramref name="serverId"/> left behind on its old host.</summary>
    public static RawEvent MovedEvent(string serverId, string host, DateTimeOffset now) => new()
    {
        Id = "moved-" + Guid.CreateVersion7(),
        Time = now,
        Type = InternalEventTypes.ServerMoved,
        Details = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal,
            [KeyValuePair.Create("server_id", serverId), KeyValuePair.Create("hostname", host)]),
        Origin = EventOrigin.Inventory,
    };

    private static bool HasLeftBehind(DoctorState state, string serverId)
    {
        var map = state.Map;
        if (map.Servers.Get(serverId) is not { Host: { } host } || map.Hosts.Get(host) is not { Up: true })
            return false;
        if (IsLeftBehind(state.Faults.ActiveByResource.Get(ResourceType.Server, serverId), state.Faults, host))
            return true;
        foreach (var portId in map.PortsByServer.Get(serverId))
        {
            if (map.Ports.Get(portId) is { Host: { } portHost } && map.Hosts.Get(portHost) is { Up: true }
                && IsLeftBehind(state.Faults.ActiveByResource.Get(ResourceType.Port, portId), state.Faults, portHost))
                return true;
        }

        return false;
    }

    private static bool IsLeftBehind(ImmutableArray<string> faultIds, FaultBook faults, string currentHost)
    {
        foreach (var id in faultIds)
        {
            if (faults.Active.Get(id) is { } fault && Carried(fault, currentHost))
                return true;
        }

        return false;
    }

    /// <summary>A fault derived from a failure of another host (the host itself, its NIC, or a device cutting it off).</summary>
    private static bool Carried(Fault fault, string currentHost) =>
        !fault.IsRootCause && fault.Effect is Effect.HostDown or Effect.PortsDown && fault.Host is { } host && host != currentHost;

    /// <summary>Clears what the server named by the event left behind; null when nothing is (any more).</summary>
    internal static (ImmutableArray<string> FaultIds, List<NoticeResource> Resources)? Clear(EventContext c)
    {
        var map = c.Map;
        var serverId = c.Event.Detail("server_id");
        if (serverId is null || map.Server(serverId) is not { Host: { } host } || map.Host(host) is not { Up: true })
            return null;

        var cleared = new List<Fault>();
        ClearCarried(c, ResourceType.Server, serverId, host, cleared);
        foreach (var portId in map.PortsOf(serverId))
        {
            if (map.Port(portId) is { Host: { } portHost } && map.Host(portHost) is { Up: true })
                ClearCarried(c, ResourceType.Port, portId, portHost, cleared);
        }

        if (cleared.Count == 0)
            return null;
        var resources = new List<NoticeResource>(cleared.Count);
        foreach (var fault in cleared)
            resources.Add(Recovery.Restore(c, fault));
        return ([.. cleared.Select(f => f.FaultId)], resources);
    }

    private static void ClearCarried(EventContext c, ResourceType type, string id, string currentHost, List<Fault> cleared)
    {
        var carried = new List<Fault>();
        foreach (var fault in c.State.Faults.ActiveOn(type, id))
        {
            if (Carried(fault, currentHost))
                carried.Add(fault);
        }

        foreach (var fault in carried)
            cleared.Add(Recovery.ClearAlone(c, fault));
    }
}
