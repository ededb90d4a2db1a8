using Doctor.Faults;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.Notification;
using Doctor.OpenStack.Sync;
using Doctor.Profiling;
using Doctor.State;
using Doctor.Subscriptions;

namespace Doctor.OpenStack.Actions;

/// <summary>
/// Which cloud calls one notice needs. The state after the event decides, not the message: a host is forced down in Nova
/// exactly while Doctor holds it forced down; a server is reset to error while Doctor holds it in error (when the
/// setting asks for it); a port's data plane follows Doctor's. Only what the notice's faults can change is looked at: a
/// host when one of its faults has the <c>host_down</c> effect, a server for <c>host_down</c>/<c>server_error</c>, a port
/// for <c>host_down</c>/<c>ports_down</c>.
/// </summary>
public static class ActionPlan
{
    /// <param name="lastDecided">The value of the newest call queued so far for a kind and target (the runner's memory), or
    /// null when none was; used to undo on recovery what the map alone cannot tell was done.</param>
    public static IEnumerable<ControllerAction> For(Notice notice, DoctorState state, OpenStackOptions options, bool dataPlaneSupported, TimelineBook timelines,
        Func<ActionKind, string, string?>? lastDecided = null)
    {
        if (notice.Type is not (NotificationType.Fault or NotificationType.FaultCleared))
            yield break;
        // A fault only ever pushes the cloud towards down/error, a recovery only back, and only for what the fault itself
        // changed: a warning (nothing changed), a NIC failure's recovery (the host was never forced down by it) or a server
        // Doctor never put in error (it may be SHUTOFF in Nova) is left alone.
        var raised = notice.Type == NotificationType.Fault;
        var map = state.Map;
        foreach (var resource in notice.Resources)
        {
            var timeline = notice.Timeline ?? TimelineOf(resource, timelines);
            switch (resource.Type)
            {
                case ResourceType.Host when options.ForceDown && Changes(resource, Effect.HostDown) && map.Hosts.Get(resource.Id) is { } host
                                            && host.ForcedDown == raised && host.Metadata.GetValueOrDefault(MapSync.ServiceIdKey) is { } serviceId:
                    yield return new ControllerAction(ActionKind.ForceDown, host.Name, host.ForcedDown ? "true" : "false", serviceId, timeline);
                    break;
                case ResourceType.Server when options.ResetServerState && Changes(resource, Effect.HostDown, Effect.ServerError)
                                              && map.Servers.Get(resource.Id) is { } server && server.State == (raised ? ServerState.Error : ServerState.Normal):
                    yield return new ControllerAction(ActionKind.ResetState, server.Id, server.State == ServerState.Error ? "error" : "active", null, timeline);
                    break;
                // On a recovery a port Doctor no longer holds down goes back to ACTIVE, also when Doctor's own value went back
                // to unknown (it had none before the fault): Doctor set DOWN in Neutron, and nothing else would lift it.
                case ResourceType.Port when options.DataPlaneStatus && dataPlaneSupported && Changes(resource, Effect.HostDown, Effect.PortsDown)
                                            && map.Ports.Get(resource.Id) is { } port && (port.DataPlaneUp == false) == raised:
                    yield return new ControllerAction(ActionKind.DataPlaneStatus, port.Id, raised ? "DOWN" : "ACTIVE", null, timeline);
                    break;
                // A recovery restores the map's data plane to what it was before the fault, which for a port Neutron had no
                // status for is null (unknown); Neutron, though, still holds the DOWN Doctor set, so it is set ACTIVE.
                case ResourceType.Port when !raised && options.DataPlaneStatus && dataPlaneSupported && map.Ports.Get(resource.Id) is { DataPlaneUp: null } port
                                            && lastDecided?.Invoke(ActionKind.DataPlaneStatus, port.Id) == "DOWN":
                    yield return new ControllerAction(ActionKind.DataPlaneStatus, port.Id, "ACTIVE", null, timeline);
                    break;
            }
        }
    }

    /// <summary>True when one of the resource's faults in this notice has one of <paramref name="effects"/>.</summary>
    private static bool Changes(NoticeResource resource, params Effect[] effects)
    {
        foreach (var fault in resource.Faults)
        {
            if (Array.IndexOf(effects, fault.Effect) >= 0)
                return true;
        }

        return false;
    }

    /// <summary>A recovery has no timeline of its own: its calls are recorded on the timeline of the fault it clears.</summary>
    private static Timeline? TimelineOf(NoticeResource resource, TimelineBook timelines)
    {
        foreach (var fault in resource.Faults)
        {
            var root = fault.IsRootCause ? fault.FaultId : fault.CorrelatedFaultIds.FirstOrDefault();
            if (root is not null && timelines.Get(root) is { } timeline)
                return timeline;
        }

        return null;
    }
}
