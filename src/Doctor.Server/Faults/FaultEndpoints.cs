using Doctor.Access;
using Doctor.Control;
using Doctor.Faults;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.Profiling;
using Doctor.Serialization;
using Doctor.Server.Access;
using Doctor.Server.Http;
using Doctor.State;
using Doctor.Subscriptions;

namespace Doctor.Server.Faults;

using Host = Doctor.Inventory.Host;
using Server = Doctor.Inventory.Server;

/// <summary>The FaultQuery (<c>/v1/faults</c>) and the profiler's timeline.</summary>
public static class FaultEndpoints
{
    /// <summary>A fault; tenants get <c>host_id</c> instead of <c>host</c>, no raw details, no event id.</summary>
    public sealed record FaultView(
        string FaultId, string FaultType, string Severity, string State, string ResourceType, string ResourceId, string? ProjectId,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Host,
        string? HostId,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? EventId,
        string EventTime, string RaisedAt, string? ClearedAt, string ProbableCause, bool IsRootCause, IReadOnlyList<string> CorrelatedFaultIds,
        IReadOnlyDictionary<string, string> Details, string Effect,
        [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? SuppressedBy)
    {
        /// <summary>Tenants never see what was kept from them (SPEC §4: a silenced fault is never sent to tenants).</summary>
        public static bool Visible(Fault f, Caller caller) =>
            caller.CanSee(f.ProjectId) && (caller.IsAdmin || (!f.ResourceType.IsPhysical() && !f.IsSuppressed));

        public static FaultView Of(Fault f, Caller caller, FaultTable all)
        {
            var admin = caller.IsAdmin;
            var correlated = admin
                ? (IReadOnlyList<string>)f.CorrelatedFaultIds
                : [.. f.CorrelatedFaultIds.Where(id => all.Get(id) is { } other && caller.CanSee(other.ProjectId) && !other.ResourceType.IsPhysical())];
            return new FaultView(
                f.FaultId, f.FaultType, f.Severity.Name(), f.IsActive ? "active" : "cleared", f.ResourceType.Name(), f.ResourceId, f.ProjectId,
                admin ? f.Host : null, HostIdentity.For(f.ProjectId, f.Host), admin ? f.EventId : null,
                Rfc3339.Format(f.EventTime), Rfc3339.Format(f.RaisedAt), f.ClearedAt is { } c ? Rfc3339.Format(c) : null, f.ProbableCause,
                f.IsRootCause, correlated, admin ? f.Details : new Dictionary<string, string>(), f.Effect.Name(), admin ? f.SuppressedBy : null);
        }
    }

    /// <summary>The profiler's view of one fault (SPEC §7): ms after <c>received</c>.</summary>
    public sealed record TimelineView(string FaultId, IReadOnlyList<CheckpointView> Checkpoints, IReadOnlyList<DeliveryTimeView> Deliveries, IReadOnlyList<ControllerCallView> ControllerActions);

    /// <summary>A call to the cloud's APIs made for this fault (OpenStack mode), ms after <c>received</c>.</summary>
    public sealed record ControllerCallView(string Action, string Target, double? CompletedMs, string Outcome, string? Error);

    public sealed record CheckpointView(string Name, double? Ms);

    public sealed record DeliveryTimeView(string SubscriptionId, double? SentMs, double? DeliveredMs);

    public static void MapFaults(this IEndpointRouteBuilder app)
    {
        var faults = app.MapGroup("/v1/faults");
        faults.MapGet("", List).Allow(Role.Admin, Role.Project);
        faults.MapGet("/{faultId}", Get).Allow(Role.Admin, Role.Project);
        faults.MapGet("/{faultId}/timeline", GetTimeline).Allow(Role.Admin);
    }

    private static IResult List(HttpContext context, DoctorEngine engine)
    {
        var request = context.Request;
        var caller = context.Caller();
        var page = Page.From(request);
        var state = request.Query["state"].ToString();
        if (state is not ("" or "active" or "cleared" or "all"))
            throw new RequestException(Problems.BadRequest("state", "state must be active, cleared or all"));
        var resourceType = Query.Enum<ResourceType>(request, "resource_type", ResourceTypes.TryParse, "host, server, port, device, server_group");
        var resourceId = Query.Identifier(request, "resource_id");
        var faultType = Query.Identifier(request, "fault_type");
        var minSeverity = Query.Enum<Severity>(request, "min_severity", Severities.TryParse, "critical, major, minor, warning, indeterminate");
        var since = Query.Time(request, "since");
        var until = Query.Time(request, "until");

        var faults = engine.State.Faults.All;
        bool Matches(Fault f) =>
            FaultView.Visible(f, caller) &&
            state switch { "cleared" => !f.IsActive, "all" => true, _ => f.IsActive } &&
            (resourceType is null || f.ResourceType == resourceType) &&
            (resourceId is null || f.ResourceId == resourceId) &&
            (faultType is null || Glob.IsMatch(faultType, f.FaultType)) &&
            (minSeverity is null || f.Severity >= minSeverity) &&
            (since is null || f.RaisedAt >= since) &&
            (until is null || f.RaisedAt <= until);
        return Page.Answer("faults", page.Take(faults.After(page.Marker), Matches, f => f.FaultId, f => FaultView.Of(f, caller, faults)));
    }

    private static IResult Get(string faultId, HttpContext context, DoctorEngine engine)
    {
        var caller = context.Caller();
        var faults = engine.State.Faults.All;
        return faults.Get(faultId) is { } fault && FaultView.Visible(fault, caller)
            ? TypedResults.Json(FaultView.Of(fault, caller, faults), DoctorJson.Options)
            : Problems.NotFound($"fault {faultId}");
    }

    private static IResult GetTimeline(string faultId, DoctorEngine engine, TimelineBook timelines)
    {
        var fault = engine.State.Faults.All.Get(faultId);
        if (fault is null)
            return Problems.NotFound($"fault {faultId}");
        var rootId = fault.IsRootCause ? fault.FaultId : fault.CorrelatedFaultIds.FirstOrDefault() ?? fault.FaultId;
        if (timelines.Get(rootId) is not { } timeline)
            return Problems.NotFound($"timeline of fault {faultId} (timelines live in memory and start anew at each start)");
        var names = new (Checkpoint Checkpoint, string Name)[]
        {
            (Checkpoint.Received, "received"), (Checkpoint.Recorded, "recorded"), (Checkpoint.FoundAffected, "found_affected"),
            (Checkpoint.MarkedHostDown, "marked_host_down"), (Checkpoint.SetVmError, "set_vm_error"), (Checkpoint.NotificationBuilt, "notification_built"),
        };
        var checkpoints = names.Select(n => new CheckpointView(n.Name, timeline.MillisecondsAt(timeline[n.Checkpoint]))).ToList();
        var deliveries = timeline.Deliveries
            .OrderBy(d => d.Key, StringComparer.Ordinal)
            .Select(d => new DeliveryTimeView(d.Key, timeline.MillisecondsAt(d.Value.Sent), timeline.MillisecondsAt(d.Value.Delivered)))
            .ToList();
        var calls = timeline.ControllerCalls
            .Select(c => new ControllerCallView(c.Action, c.Target, timeline.MillisecondsAt(c.CompletedAt), c.Succeeded ? "succeeded" : "failed", c.Error))
            .ToList();
        return TypedResults.Json(new TimelineView(rootId, checkpoints, deliveries, calls), DoctorJson.Options);
    }
}
