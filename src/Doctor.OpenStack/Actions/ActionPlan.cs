using Doctor.Faults;
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
/// setting asks for it); a port's data plane follows Doctor's.
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
        // A fault only ever pushes the cloud towards down/error, a recovery only back: a warning (nothing changed) or a
        // server Doctor never put in error (it may be SHUTOFF in Nova) is left alone.
        var raised = notice.Type == NotificationType.Fault;
        var map = state.Map;
        foreach (var resource in notice.Resources)
        {
            var timeline = notice.Timeline ?? TimelineOf(resource, timelines);
            switch (resource.Type)
            {
                case ResourceType.Host when options.ForceDown && map.Hosts.Get(resource.Id) is { } host
                                            && host.ForcedDown == raised && host.Metadata.GetValueOrDefault(MapSync.ServiceIdKey) is { } serviceId:
                    yield return new ControllerAction(ActionKind.ForceDown, host.Name, host.ForcedDown ? "true" : "false", serviceId, timeline);
                    break;
                case ResourceType.Server when options.ResetServerState && map.Servers.Get(resource.Id) is { } server
                                              && server.State == (raised ? ServerState.Error : ServerState.Normal):
                    yield return new ControllerAction(ActionKind.ResetState, server.Id, server.State == ServerState.Error ? "error" : "active", null, timeline);
                    break;
                case ResourceType.Port when options.DataPlaneStatus && dataPlaneSupported && map.Ports.Get(resource.Id) is { DataPlaneUp: { } up } port && up != raised:
                    yield return new ControllerAction(ActionKind.DataPlaneStatus, port.Id, up ? "ACTIVE" : "DOWN", null, timeline);
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
