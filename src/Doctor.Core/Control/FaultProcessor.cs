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
/// Inspection and control for one event, on the engine's single writer: picks the policy rule, finds the affected
/// resources through the map's indexes and feed edges, applies the effect to all of them in one unit of work, and
/// records the root and derived faults. Deterministic in the event, the map and the policy, so a replay is exact.
/// </summary>
public sealed class FaultProcessor(PolicySource policies, TimelineBook timelines)
{
    // FaultType is explicit: the admin's event type is the internal doctor.host.state, and a force-down must raise the
    // same fault as compute.host.down (filters like "compute.host.*" match it, a monitor's report correlates to it).
    private static readonly PolicyRule AdminHostDown = new()
    {
        Match = "compute.host.down", FaultType = "compute.host.down", Severity = Severity.Critical, Effect = Effect.HostDown, ProbableCause = "host failure",
    };

    public ProcessResult Process(StateEditor state, EventRecord record)
    {
        var c = new EventContext(state, record, timelines);
        var policy = policies.Current;
        var e = record.Event;
        if (e.Origin == EventOrigin.Admin && e.Type == InternalEventTypes.HostState)
            return AdminHostState(c, policy);
        if (e.Origin == EventOrigin.Inventory && e.Type == InternalEventTypes.ServerMoved)
            return ServerMoved(c, policy);

        var rule = policy.Find(e.Type, e.Details);
        if (rule is null)
            return Ignored(c, EventOutcome.NoRuleReason);
        var detail = DetailNaming(rule.Target);
        var targetId = e.Detail(detail);
        if (targetId is null)
            return Ignored(c, $"details.{detail} is required for {e.Type}");

        return rule.IsRecovery
            ? Recover(c, policy, rule.Target, targetId, f => rule.Clears.Any(pattern => Glob.IsMatch(pattern, f.FaultType)), byAdmin: false)
            : Raise(c, policy, rule, targetId, byAdmin: false);
    }

    private static ProcessResult Raise(EventContext c, FailurePolicy policy, PolicyRule rule, string targetId, bool byAdmin)
    {
        var faultType = rule.FaultType ?? c.Event.Type;
        string? explainedBy = null;
        foreach (var active in c.State.Faults.ActiveOn(rule.Target, targetId))
        {
            // A second report of the same fault joins it instead of raising a storm. An admin's force-down joins only
            // the admin's own: joining a monitor's fault would let the monitor's compute.host.up lift what the admin forced.
            if (active.IsRootCause && active.FaultType == faultType && (!byAdmin || active.ByAdmin))
                return Repeated(c, policy, rule, active);
            if (!byAdmin && Explains(active.Effect, rule.Target))
                explainedBy ??= active.IsRootCause ? active.FaultId : active.CorrelatedFaultIds[0];
        }

        if (explainedBy is not null && rule.Effect == Effect.NotifyOnly)
            return Correlated(c, explainedBy); // a warning about a resource that is down tells nothing new

        var kind = new FaultKind(faultType, SeverityOf(rule, c.Event), rule.ProbableCause, rule.Effect);
        var details = byAdmin ? AdminDetails(c.Event) : c.Event.Details;
        switch (rule.Target)
        {
            case ResourceType.Host:
            {
                if (c.Map.Host(targetId) is null)
                    return Ignored(c, $"unknown host {targetId}");
                if (rule.Effect is not (Effect.HostDown or Effect.PortsDown or Effect.NotifyOnly))
                    return Ignored(c, $"the effect {rule.Effect.Name()} does not apply to a host");
                var o = new Outbreak(c, kind, details, byAdmin, explainedBy: explainedBy);
                HostImpact.Apply(o, targetId, rule.Effect, asRoot: true);
                if (explainedBy is not null)
                    return Explained(c, o);
                var escalation = Escalate(c, rule, kind, targetId);
                return Raised(c, policy, escalation is null ? [o] : [o, escalation]);
            }

            case ResourceType.Server:
            {
                if (c.Map.Server(targetId) is null)
                    return Ignored(c, $"unknown server {targetId}");
                if (rule.Effect is not (Effect.ServerError or Effect.NotifyOnly))
                    return Ignored(c, $"the effect {rule.Effect.Name()} does not apply to a server");
                var o = new Outbreak(c, kind, details, byAdmin, explainedBy: explainedBy);
                RaiseOnServer(o, targetId);
                return explainedBy is null ? Raised(c, policy, [o]) : Explained(c, o);
            }

            case ResourceType.Device:
            {
                if (c.Map.Device(targetId) is not { } device)
                    return Ignored(c, $"unknown device {targetId}");
                if (rule.Effect is not (Effect.DeviceDown or Effect.NotifyOnly))
                    return Ignored(c, $"the effect {rule.Effect.Name()} does not apply to a device");
                var o = new Outbreak(c, kind, details, byAdmin, rootDevice: device.Id, explainedBy: explainedBy);
                if (rule.Effect == Effect.DeviceDown)
                    Topology.Fail(o, device);
                else
                    o.AddFirst(Topology.DeviceResource(device, o.Root(ResourceType.Device, device.Id, null, null, null)));
                return explainedBy is null ? Raised(c, policy, [o]) : Explained(c, o);
            }

            default:
                return Ignored(c, $"{rule.Target.Name()} faults are not raised by events");
        }
    }

    /// <summary>
    /// A report about a resource that an active fault already explains (a host cut off by its switch, then its own
    /// monitor's compute.host.down): the fault is recorded and holds what it changed — so the host stays down if the
    /// switch returns first — but nobody is told, since every owner already knows.
    /// </summary>
    private static ProcessResult Explained(EventContext c, Outbreak o) =>
        new(new EventOutcome(c.Record.Seq, EventStatus.Processed, [o.RootId], $"explained by active fault {o.ExplainedBy}: recorded, nobody notified again"), null);

    /// <summary>Whether an active fault with <paramref name="effect"/> on the target already explains any new fault on it:
    /// a host that is down (itself, or cut off by a device) explains a NIC, a warning, or its monitor's own report.</summary>
    private static bool Explains(Effect effect, ResourceType target) => target switch
    {
        ResourceType.Host => effect == Effect.HostDown,
        ResourceType.Server => effect is Effect.HostDown or Effect.ServerError,
        ResourceType.Device => effect == Effect.DeviceDown,
        _ => false,
    };

    private static void RaiseOnServer(Outbreak o, string serverId)
    {
        var c = o.Context;
        var map = c.Map;
        var server = map.Server(serverId)!;
        c.Timeline?.Mark(Checkpoint.FoundAffected);
        var priorValue = Held.By(c.State, ResourceType.Server, server.Id, Effect.HostDown, Effect.ServerError)?.PriorValue ?? server.State.Name();
        if (o.Kind.Effect == Effect.ServerError && server.State != ServerState.Error)
        {
            server = server with { State = ServerState.Error, UpdatedAt = c.At };
            map.PutServer(server);
        }

        c.Timeline?.Mark(Checkpoint.SetVmError);
        var root = o.Root(ResourceType.Server, server.Id, server.ProjectId, server.Host, priorValue);
        o.AddFirst(new NoticeResource(ResourceType.Server, server.Id, server.ProjectId, server.Host, ResourceStates.Of(server), map.HostStatusOf(server.Host), server.HostId, [root]));
    }

    /// <summary>A repeat of an active root fault: counted for the aggregation, then correlated to it.</summary>
    private static ProcessResult Repeated(EventContext c, FailurePolicy policy, PolicyRule rule, Fault active)
    {
        if (rule.Aggregate is not { } aggregate || active.ResourceType != ResourceType.Host || active.Severity >= Severity.Critical)
            return Correlated(c, active.FaultId);
        var repeats = active.RepeatedAt.Add(c.At);
        if (repeats.Length > aggregate.Count)
            repeats = repeats.RemoveRange(0, repeats.Length - aggregate.Count);
        c.State.Faults.Put(active with { RepeatedAt = repeats });
        var kind = new FaultKind(active.FaultType, active.Severity, active.ProbableCause, active.Effect);
        var escalation = Escalate(c, rule, kind, active.ResourceId);
        return escalation is null
            ? Correlated(c, active.FaultId)
            : Raised(c, policy, [escalation], also: active.FaultId);
    }

    /// <summary>
    /// Requirement 3.3.2: non-critical faults piling up on one host within the window make it unavailable. Counts every
    /// report (first and repeats) of the host's active non-critical root faults by their recording time, so a replay
    /// escalates exactly where the first run did; returns the escalated outbreak, or null.
    /// </summary>
    private static Outbreak? Escalate(EventContext c, PolicyRule rule, FaultKind kind, string hostName)
    {
        if (rule.Aggregate is not { } aggregate || kind.Severity >= Severity.Critical)
            return null;
        var since = c.At - aggregate.Window;
        var count = 0;
        var contributors = new List<string>();
        foreach (var fault in c.State.Faults.ActiveOn(ResourceType.Host, hostName))
        {
            if (fault.IsRootCause && fault.FaultType == aggregate.FaultType)
                return null; // already escalated: this report adds to it, nothing new to do
            if (!fault.IsRootCause || fault.Severity >= Severity.Critical)
                continue;
            var recent = (fault.RaisedAt > since ? 1 : 0) + fault.RepeatedAt.Count(t => t > since);
            if (recent == 0)
                continue;
            count += recent;
            contributors.Add(fault.FaultId);
        }

        if (count < aggregate.Count)
            return null;
        var escalated = new FaultKind(aggregate.FaultType, aggregate.Severity, aggregate.ProbableCause, aggregate.EscalateTo);
        var o = new Outbreak(c, escalated, c.Event.Details, byAdmin: false);
        HostImpact.Apply(o, hostName, aggregate.EscalateTo is Effect.HostDown or Effect.PortsDown ? aggregate.EscalateTo : Effect.NotifyOnly, asRoot: true, alsoCorrelated: contributors);
        return o;
    }

    private static ProcessResult Raised(EventContext c, FailurePolicy policy, IReadOnlyList<Outbreak> outbreaks, string? also = null)
    {
        var resources = Merge(outbreaks);
        var groupRaised = new List<NoticeResource>();
        GroupWatch.Evaluate(c, policy.Group, resources, groupRaised, []);
        resources.AddRange(groupRaised);
        var ids = ImmutableArray.CreateBuilder<string>();
        if (also is not null)
            ids.Add(also);
        foreach (var o in outbreaks)
            ids.Add(o.RootId);
        var notice = new Notice(NotificationType.Fault, c.Event.Id, [.. resources], c.Timeline);
        return new ProcessResult(new EventOutcome(c.Record.Seq, EventStatus.Processed, ids.ToImmutable(), null), notice);
    }

    /// <summary>One entry per resource: an escalation names the host and its servers again, with one more fault each.</summary>
    private static List<NoticeResource> Merge(IReadOnlyList<Outbreak> outbreaks)
    {
        if (outbreaks.Count == 1)
            return [.. outbreaks[0].Resources];
        var merged = new List<NoticeResource>();
        var at = new Dictionary<(ResourceType, string), int>();
        foreach (var o in outbreaks)
        {
            foreach (var resource in o.Resources)
            {
                if (at.TryGetValue((resource.Type, resource.Id), out var i))
                    merged[i] = resource with { Faults = merged[i].Faults.AddRange(resource.Faults) };
                else
                {
                    at[(resource.Type, resource.Id)] = merged.Count;
                    merged.Add(resource);
                }
            }
        }

        return merged;
    }

    private static ProcessResult Recover(EventContext c, FailurePolicy policy, ResourceType target, string targetId, Func<Fault, bool> clears, bool byAdmin)
    {
        if (Recovery.Clear(c, target, targetId, clears, byAdmin) is not var (rootIds, resources))
            return Ignored(c, "no active fault to clear");
        var groupCleared = new List<NoticeResource>();
        GroupWatch.Evaluate(c, policy.Group, resources, [], groupCleared);
        resources.AddRange(groupCleared);
        return new ProcessResult(new EventOutcome(c.Record.Seq, EventStatus.Processed, rootIds, null), Recovery.Notice(c, resources));
    }

    private static ProcessResult ServerMoved(EventContext c, FailurePolicy policy)
    {
        if (Relocation.Clear(c) is not var (faultIds, resources))
            return Ignored(c, "the server carries no fault from a host it left (or is not on a host that is up)");
        var groupCleared = new List<NoticeResource>();
        GroupWatch.Evaluate(c, policy.Group, resources, [], groupCleared);
        resources.AddRange(groupCleared);
        return new ProcessResult(new EventOutcome(c.Record.Seq, EventStatus.Processed, faultIds, null), Recovery.Notice(c, resources));
    }

    private static ProcessResult AdminHostState(EventContext c, FailurePolicy policy)
    {
        var e = c.Event;
        var hostName = e.Detail("hostname");
        var host = hostName is null ? null : c.Map.Host(hostName);
        if (host is null)
            return Ignored(c, $"unknown host {hostName}");

        if (e.Detail("status") is { } status && host.Enabled != (status == "enabled"))
            c.Map.PutHost(host with { Enabled = status == "enabled", UpdatedAt = c.At });

        switch (e.Detail("forced_down"))
        {
            case "true":
                return Raise(c, policy, AdminHostDown, hostName!, byAdmin: true);
            case "false":
                var result = Recover(c, policy, ResourceType.Host, hostName!, f => f.Effect == Effect.HostDown, byAdmin: true);
                if (result.Notice is null && c.Map.Host(hostName!) is { ForcedDown: true } forced)
                    c.Map.PutHost(forced with { ForcedDown = false, Up = true, UpdatedAt = c.At });
                return result.Notice is null ? Processed(c) : result;
            default:
                return Processed(c);
        }
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

    private static ProcessResult Correlated(EventContext c, string faultId) =>
        new(new EventOutcome(c.Record.Seq, EventStatus.Processed, [faultId], "correlated to an active fault"), null);

    private static ProcessResult Ignored(EventContext c, string reason) =>
        new(new EventOutcome(c.Record.Seq, EventStatus.Ignored, [], reason), null);

    private static ProcessResult Processed(EventContext c) =>
        new(new EventOutcome(c.Record.Seq, EventStatus.Processed, [], null), null);
}
