using System.Collections.Immutable;
using Doctor.Events;
using Doctor.Faults;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.Notification;
using Doctor.Profiling;
using Doctor.State;
using Doctor.Subscriptions;

namespace Doctor.Control;

/// <summary>The result of applying one event: its verdict and, when something changed, what to tell.</summary>
public readonly record struct ProcessResult(EventOutcome Outcome, Notice? Notice);

/// <summary>
/// Inspection and control for one event, on the engine's single writer: picks the policy rule, finds the
/// affected resources through the map's indexes, applies the effect to all of them in one unit of work, and
/// records the root and derived faults. Deterministic in the event and the map, so a replay is exact.
/// </summary>
public sealed class FaultProcessor(PolicySource policies, TimelineBook timelines)
{
    // FaultType is explicit: the admin's event type is the internal doctor.host.state, and a force-down must raise the
    // same fault as compute.host.down (filters like "compute.host.*" match it, a monitor's report correlates to it).
    private static readonly PolicyRule AdminHostDown = new()
    {
        Match = "compute.host.down", FaultType = "compute.host.down", Severity = Severity.Critical, Effect = Effect.HostDown, ProbableCause = "host failure",
    };

    private static readonly PolicyRule AdminHostUp = new() { Match = "compute.host.up", Clears = ["*"] };

    public ProcessResult Process(StateEditor state, EventRecord record)
    {
        var e = record.Event;
        if (e.Origin == EventOrigin.Admin && e.Type == InternalEventTypes.HostState)
            return AdminHostState(state, record);

        var policy = policies.Current;
        var rule = policy.Find(e.Type, e.Details);
        if (rule is null)
            return Ignored(record, EventOutcome.NoRuleReason);
        var detail = DetailNaming(rule.Target);
        var targetId = e.Detail(detail);
        if (targetId is null)
            return Ignored(record, $"details.{detail} is required for {e.Type}");

        return rule.IsRecovery
            ? Recover(state, record, rule, targetId, byAdmin: false)
            : Raise(state, record, rule, targetId, byAdmin: false);
    }

    private ProcessResult Raise(StateEditor state, EventRecord record, PolicyRule rule, string targetId, bool byAdmin)
    {
        var e = record.Event;
        var faultType = rule.FaultType ?? e.Type;
        foreach (var active in state.Faults.ActiveOn(rule.Target, targetId))
        {
            // A second report of what is already explained joins the existing fault instead of raising a storm. An
            // admin's force-down joins only the admin's own: joining a monitor's fault would let the monitor's
            // compute.host.up lift what the admin forced.
            if (active.IsRootCause && active.FaultType == faultType && (!byAdmin || active.ByAdmin))
                return new ProcessResult(new EventOutcome(record.Seq, EventStatus.Processed, [active.FaultId], "correlated to an active fault"), null);
        }

        return rule.Target switch
        {
            ResourceType.Host => RaiseOnHost(state, record, rule, faultType, targetId, byAdmin),
            ResourceType.Server => RaiseOnServer(state, record, rule, faultType, targetId),
            _ => Ignored(record, $"{rule.Target.Name()} faults are not supported by this policy"),
        };
    }

    private ProcessResult RaiseOnHost(StateEditor state, EventRecord record, PolicyRule rule, string faultType, string hostName, bool byAdmin)
    {
        var map = state.Map;
        var host = map.Host(hostName);
        if (host is null)
            return Ignored(record, $"unknown host {hostName}");

        var timeline = StartTimeline(record, out var ids, out var rootId);
        var servers = rule.Effect == Effect.HostDown ? map.ServersOn(hostName) : [];
        var portIds = AffectedPorts(map, hostName, map.ServersOn(hostName), rule.Effect);
        timeline?.Mark(Checkpoint.FoundAffected);

        var at = record.RecordedAt;
        var severity = SeverityOf(rule, record.Event);
        var details = byAdmin ? AdminDetails(record.Event) : record.Event.Details;
        var resources = ImmutableArray.CreateBuilder<NoticeResource>(1 + servers.Count + portIds.Count);
        resources.Add(default!); // the host goes first; filled in once the derived ids are known
        var derivedIds = ImmutableArray.CreateBuilder<string>(servers.Count + portIds.Count);

        var priorHost = host;
        var heldBy = HeldBy(state, ResourceType.Host, hostName, Effect.HostDown);
        if (rule.Effect == Effect.HostDown)
        {
            host = host with { Up = false, ForcedDown = true, UpdatedAt = at };
            map.PutHost(host);
            timeline?.Mark(Checkpoint.MarkedHostDown);
        }

        var hostStatus = host.Status;
        foreach (var serverId in servers)
        {
            var server = map.Server(serverId)!;
            var prior = server.State;
            if (prior != ServerState.Error)
            {
                server = server with { State = ServerState.Error, UpdatedAt = at };
                map.PutServer(server);
            }

            var priorValue = HeldBy(state, ResourceType.Server, server.Id, Effect.HostDown, Effect.ServerError)?.PriorValue ?? prior.Name();
            var fault = Derived(ids.Next(), rootId, faultType, severity, rule, record, ResourceType.Server, server.Id, server.ProjectId, hostName, priorValue, details, byAdmin);
            state.Faults.Put(fault);
            derivedIds.Add(fault.FaultId);
            resources.Add(new NoticeResource(ResourceType.Server, server.Id, server.ProjectId, hostName, ResourceStates.Of(server), hostStatus, server.HostId, [fault]));
        }

        foreach (var portId in portIds)
        {
            var port = map.Port(portId)!;
            var prior = HeldBy(state, ResourceType.Port, port.Id, Effect.HostDown, Effect.PortsDown) is { } holder
                ? holder.PriorValue
                : ResourceStates.DataPlane(port.DataPlaneUp);
            if (port.DataPlaneUp != false)
            {
                port = port with { DataPlaneUp = false, UpdatedAt = at };
                map.PutPort(port);
            }

            var fault = Derived(ids.Next(), rootId, faultType, severity, rule, record, ResourceType.Port, port.Id, port.ProjectId, port.Host, prior, details, byAdmin);
            state.Faults.Put(fault);
            derivedIds.Add(fault.FaultId);
            resources.Add(new NoticeResource(ResourceType.Port, port.Id, port.ProjectId, port.Host, ResourceStates.Of(port), map.HostStatusOf(port.Host), port.HostId, [fault]));
        }

        timeline?.Mark(Checkpoint.SetVmError);

        var root = new Fault
        {
            FaultId = rootId, FaultType = faultType, Severity = severity, ResourceType = ResourceType.Host, ResourceId = hostName,
            Host = hostName, EventId = record.Event.Id, EventTime = record.Event.Time, RaisedAt = at, ProbableCause = rule.ProbableCause,
            IsRootCause = true, CorrelatedFaultIds = derivedIds.ToImmutable(), Details = details, Effect = rule.Effect, ByAdmin = byAdmin,
            PriorValue = heldBy is null ? ResourceStates.Of(priorHost) : heldBy.PriorValue,
            PriorForcedDown = heldBy?.PriorForcedDown ?? priorHost.ForcedDown,
        };
        state.Faults.Put(root);
        resources[0] = new NoticeResource(ResourceType.Host, hostName, null, hostName, ResourceStates.Of(host), hostStatus, HostIdentity.For(null, hostName), [root]);

        var notice = new Notice(NotificationType.Fault, record.Event.Id, resources.MoveToImmutable(), timeline);
        return new ProcessResult(new EventOutcome(record.Seq, EventStatus.Processed, [rootId], null), notice);
    }

    private ProcessResult RaiseOnServer(StateEditor state, EventRecord record, PolicyRule rule, string faultType, string serverId)
    {
        var map = state.Map;
        var server = map.Server(serverId);
        if (server is null)
            return Ignored(record, $"unknown server {serverId}");

        var timeline = StartTimeline(record, out _, out var rootId);
        timeline?.Mark(Checkpoint.FoundAffected);
        var prior = server.State;
        var priorValue = HeldBy(state, ResourceType.Server, server.Id, Effect.HostDown, Effect.ServerError)?.PriorValue ?? prior.Name();
        if (rule.Effect == Effect.ServerError && prior != ServerState.Error)
        {
            server = server with { State = ServerState.Error, UpdatedAt = record.RecordedAt };
            map.PutServer(server);
        }

        timeline?.Mark(Checkpoint.SetVmError);
        var root = new Fault
        {
            FaultId = rootId, FaultType = faultType, Severity = SeverityOf(rule, record.Event), ResourceType = ResourceType.Server,
            ResourceId = server.Id, ProjectId = server.ProjectId, Host = server.Host, EventId = record.Event.Id, EventTime = record.Event.Time,
            RaisedAt = record.RecordedAt, ProbableCause = rule.ProbableCause, IsRootCause = true, Details = record.Event.Details,
            Effect = rule.Effect, PriorValue = priorValue,
        };
        state.Faults.Put(root);
        var resource = new NoticeResource(ResourceType.Server, server.Id, server.ProjectId, server.Host, ResourceStates.Of(server), map.HostStatusOf(server.Host), server.HostId, [root]);
        var notice = new Notice(NotificationType.Fault, record.Event.Id, [resource], timeline);
        return new ProcessResult(new EventOutcome(record.Seq, EventStatus.Processed, [rootId], null), notice);
    }

    private static ProcessResult Recover(StateEditor state, EventRecord record, PolicyRule rule, string targetId, bool byAdmin)
    {
        var roots = new List<Fault>();
        foreach (var active in state.Faults.ActiveOn(rule.Target, targetId))
        {
            if (!active.IsRootCause || (active.ByAdmin && !byAdmin))
                continue; // an admin's force-down is lifted by an admin only
            if (byAdmin ? active.Effect == Effect.HostDown : rule.Clears.Any(pattern => Glob.IsMatch(pattern, active.FaultType)))
                roots.Add(active);
        }

        if (roots.Count == 0)
            return Ignored(record, "no active fault to clear");

        var at = record.RecordedAt;
        var cleared = new List<Fault>();
        foreach (var root in roots)
        {
            cleared.Add(ClearOne(state, root, record));
            foreach (var derivedId in root.CorrelatedFaultIds)
            {
                if (state.Faults.Get(derivedId) is { IsActive: true } derived)
                    cleared.Add(ClearOne(state, derived, record));
            }
        }

        // Restore only after every fault of this recovery is cleared, so "another active fault holds it" is exact.
        var resources = ImmutableArray.CreateBuilder<NoticeResource>(cleared.Count);
        foreach (var fault in cleared)
            resources.Add(Restore(state, fault, at));

        var notice = new Notice(NotificationType.FaultCleared, record.Event.Id, resources.MoveToImmutable(), null);
        return new ProcessResult(new EventOutcome(record.Seq, EventStatus.Processed, [.. roots.Select(r => r.FaultId)], null), notice);
    }

    private static Fault ClearOne(StateEditor state, Fault fault, EventRecord record)
    {
        var cleared = fault with { ClearedAt = record.RecordedAt, ClearedByEventId = record.Event.Id };
        state.Faults.Put(cleared);
        return cleared;
    }

    /// <summary>Puts back what <paramref name="fault"/> changed, unless another active fault still holds it or
    /// somebody changed it since (an admin's later word wins).</summary>
    private static NoticeResource Restore(StateEditor state, Fault fault, DateTimeOffset at)
    {
        var map = state.Map;
        switch (fault.ResourceType)
        {
            case ResourceType.Host:
            {
                var host = map.Host(fault.ResourceId);
                if (host is null)
                    return Gone(fault);
                if (fault.Effect == Effect.HostDown && !Holds(state, fault, Effect.HostDown) && host.ForcedDown && !host.Up)
                {
                    host = host with { Up = fault.PriorValue != "down", ForcedDown = fault.PriorForcedDown, UpdatedAt = at };
                    map.PutHost(host);
                }

                return new NoticeResource(ResourceType.Host, host.Name, null, host.Name, ResourceStates.Of(host), host.Status, HostIdentity.For(null, host.Name), [fault]);
            }

            case ResourceType.Server:
            {
                var server = map.Server(fault.ResourceId);
                if (server is null)
                    return Gone(fault);
                if (fault.Effect is Effect.HostDown or Effect.ServerError && server.State == ServerState.Error
                    && !Holds(state, fault, Effect.HostDown, Effect.ServerError)
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
                if (port.DataPlaneUp == false && !Holds(state, fault, Effect.HostDown, Effect.PortsDown) && fault.PriorValue != "DOWN")
                {
                    port = port with { DataPlaneUp = ResourceStates.ParseDataPlane(fault.PriorValue), UpdatedAt = at };
                    map.PutPort(port);
                }

                return new NoticeResource(ResourceType.Port, port.Id, port.ProjectId, port.Host, ResourceStates.Of(port), map.HostStatusOf(port.Host), port.HostId, [fault]);
            }

            default:
                return Gone(fault);
        }
    }

    /// <summary>Whether another active fault with one of <paramref name="effects"/> still holds the resource.</summary>
    private static bool Holds(StateEditor state, Fault except, params ReadOnlySpan<Effect> effects)
    {
        foreach (var other in state.Faults.ActiveOn(except.ResourceType, except.ResourceId))
        {
            if (other.FaultId != except.FaultId && effects.Contains(other.Effect))
                return true;
        }

        // A server or port on a host that is still down stays down with it.
        if (except.ResourceType is ResourceType.Server or ResourceType.Port && except.Host is { } host)
        {
            foreach (var other in state.Faults.ActiveOn(ResourceType.Host, host))
            {
                if (other.Effect == Effect.HostDown || (except.ResourceType == ResourceType.Port && other.Effect == Effect.PortsDown))
                    return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The active fault that already changed what a new fault with one of <paramref name="effects"/> would change.
    /// A fault raised on top of it must remember the value from before both: otherwise, when the older fault clears
    /// first (its restore is held by the newer one), the newer one later "restores" the older fault's effect and the
    /// resource stays down or in error with no fault left to explain it.
    /// </summary>
    private static Fault? HeldBy(StateEditor state, ResourceType type, string id, params ReadOnlySpan<Effect> effects)
    {
        foreach (var other in state.Faults.ActiveOn(type, id))
        {
            if (effects.Contains(other.Effect))
                return other;
        }

        return null;
    }

    private static NoticeResource Gone(Fault fault) =>
        new(fault.ResourceType, fault.ResourceId, fault.ProjectId, fault.Host, "deleted", HostStatus.Unknown, HostIdentity.For(fault.ProjectId, fault.Host), [fault]);

    private ProcessResult AdminHostState(StateEditor state, EventRecord record)
    {
        var e = record.Event;
        var hostName = e.Detail("hostname");
        var host = hostName is null ? null : state.Map.Host(hostName);
        if (host is null)
            return Ignored(record, $"unknown host {hostName}");

        if (e.Detail("status") is { } status && host.Enabled != (status == "enabled"))
            state.Map.PutHost(host with { Enabled = status == "enabled", UpdatedAt = record.RecordedAt });

        switch (e.Detail("forced_down"))
        {
            case "true":
                return Raise(state, record, AdminHostDown, hostName!, byAdmin: true);
            case "false":
                var result = Recover(state, record, AdminHostUp, hostName!, byAdmin: true);
                if (result.Notice is null && state.Map.Host(hostName!) is { ForcedDown: true } forced)
                    state.Map.PutHost(forced with { ForcedDown = false, Up = true, UpdatedAt = record.RecordedAt });
                return result.Notice is null ? Processed(record) : result;
            default:
                return Processed(record);
        }
    }

    private Timeline? StartTimeline(EventRecord record, out FaultIds ids, out string rootId)
    {
        ids = new FaultIds(record.Seq);
        rootId = ids.Next();
        if (record.ReceivedTicks == 0)
            return null; // replayed after a restart: the original clock is gone
        var timeline = new Timeline(rootId, record.ReceivedTicks, record.RecordedTicks);
        timelines.Add(timeline);
        return timeline;
    }

    private static Fault Derived(
        string id, string rootId, string faultType, Severity severity, PolicyRule rule, EventRecord record,
        ResourceType type, string resourceId, string? projectId, string? host, string? prior,
        ImmutableSortedDictionary<string, string> details, bool byAdmin) => new()
    {
        FaultId = id, FaultType = faultType, Severity = severity, ResourceType = type, ResourceId = resourceId, ProjectId = projectId,
        Host = host, EventId = record.Event.Id, EventTime = record.Event.Time, RaisedAt = record.RecordedAt,
        ProbableCause = rule.ProbableCause, IsRootCause = false, CorrelatedFaultIds = [rootId], Details = details,
        Effect = rule.Effect, ByAdmin = byAdmin, PriorValue = prior,
    };

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

    private static Severity SeverityOf(PolicyRule rule, RawEvent e) =>
        rule.Severity ?? (Severities.TryParse(e.Detail("severity"), out var fromEvent) ? fromEvent : Severity.Indeterminate);

    private static ImmutableSortedDictionary<string, string> AdminDetails(RawEvent e) =>
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, new[]
        {
            KeyValuePair.Create("source", "admin"),
            KeyValuePair.Create("hostname", e.Detail("hostname") ?? string.Empty),
            KeyValuePair.Create("reason", e.Detail("reason") ?? string.Empty),
        });

    private static string DetailNaming(ResourceType target) => target switch
    {
        ResourceType.Server => "server_id",
        ResourceType.Port => "port_id",
        ResourceType.Device => "device_id",
        _ => "hostname",
    };

    private static ProcessResult Ignored(EventRecord record, string reason) =>
        new(new EventOutcome(record.Seq, EventStatus.Ignored, [], reason), null);

    private static ProcessResult Processed(EventRecord record) =>
        new(new EventOutcome(record.Seq, EventStatus.Processed, [], null), null);
}
