using Doctor.Access;
using Doctor.Control;
using Doctor.Maintenance;
using Doctor.Serialization;
using Doctor.Server.Access;
using Doctor.Server.Http;

namespace Doctor.Server.Maintenance;

/// <summary>
/// ETSI FEAT03 constraint records (SPEC §6): <c>/v1/instance/{id}</c> and <c>/v1/instance_group/{id}</c>. Admins manage
/// any; a project member only its own project's (another project's record is 404, as if it did not exist).
/// </summary>
public static class ConstraintEndpoints
{
    public static void MapConstraints(this IEndpointRouteBuilder app)
    {
        var instances = app.MapGroup("/v1/instance").Allow(Role.Admin, Role.Project);
        instances.MapPut("/{instanceId}", PutInstance);
        instances.MapGet("/{instanceId}", GetInstance);
        instances.MapDelete("/{instanceId}", DeleteInstance);
        var groups = app.MapGroup("/v1/instance_group").Allow(Role.Admin, Role.Project);
        groups.MapPut("/{groupId}", PutGroup);
        groups.MapGet("/{groupId}", GetGroup);
        groups.MapDelete("/{groupId}", DeleteGroup);
    }

    private static async Task<IResult> PutInstance(HttpContext context, string instanceId, DoctorEngine engine)
    {
        var caller = context.Caller();
        var input = await RequestBody.ReadAsync<InstanceConstraintInput>(context);
        var record = ConstraintInputs.ToInstance(input, instanceId, caller);
        var saved = await engine.ExecuteAsync(editor =>
        {
            if (editor.Constraints.Instance(instanceId) is { } old && !caller.CanSee(old.ProjectId))
                return null;
            var server = editor.Map.Server(instanceId);
            if (server is not null && !caller.CanSee(server.ProjectId))
                return null; // a tenant cannot constrain (or learn about) another tenant's server
            var owned = record with { ProjectId = record.ProjectId ?? server?.ProjectId, UpdatedAt = editor.Now };
            if (server?.ProjectId is { } owner && owned.ProjectId != owner)
                throw new RequestException(Problems.BadRequest("project_id", $"project_id must be {owner}, the project of server {instanceId}"));
            editor.Constraints.PutInstance(owned);
            return owned;
        });
        return saved is null ? Problems.NotFound($"instance {instanceId}") : TypedResults.Json(InstanceConstraintView.Of(saved), DoctorJson.Options);
    }

    private static IResult GetInstance(HttpContext context, string instanceId, DoctorEngine engine) =>
        engine.State.Constraints.Instances.Get(instanceId) is { } record && context.Caller().CanSee(record.ProjectId)
            ? TypedResults.Json(InstanceConstraintView.Of(record), DoctorJson.Options)
            : Problems.NotFound($"instance {instanceId}");

    private static async Task<IResult> DeleteInstance(HttpContext context, string instanceId, DoctorEngine engine)
    {
        var caller = context.Caller();
        var removed = await engine.ExecuteAsync(editor =>
            editor.Constraints.Instance(instanceId) is { } record && caller.CanSee(record.ProjectId) && editor.Constraints.RemoveInstance(instanceId));
        return removed ? TypedResults.NoContent() : Problems.NotFound($"instance {instanceId}");
    }

    private static async Task<IResult> PutGroup(HttpContext context, string groupId, DoctorEngine engine)
    {
        var caller = context.Caller();
        var input = await RequestBody.ReadAsync<InstanceGroupConstraintInput>(context);
        var record = ConstraintInputs.ToGroup(input, groupId, caller);
        var saved = await engine.ExecuteAsync(editor =>
        {
            if (editor.Constraints.Group(groupId) is { } old && !caller.CanSee(old.ProjectId))
                return null;
            var owned = record with { UpdatedAt = editor.Now };
            editor.Constraints.PutGroup(owned);
            return owned;
        });
        return saved is null ? Problems.NotFound($"instance group {groupId}") : TypedResults.Json(InstanceGroupConstraintView.Of(saved), DoctorJson.Options);
    }

    private static IResult GetGroup(HttpContext context, string groupId, DoctorEngine engine) =>
        engine.State.Constraints.Groups.Get(groupId) is { } record && context.Caller().CanSee(record.ProjectId)
            ? TypedResults.Json(InstanceGroupConstraintView.Of(record), DoctorJson.Options)
            : Problems.NotFound($"instance group {groupId}");

    private static async Task<IResult> DeleteGroup(HttpContext context, string groupId, DoctorEngine engine)
    {
        var caller = context.Caller();
        var removed = await engine.ExecuteAsync(editor =>
            editor.Constraints.Group(groupId) is { } record && caller.CanSee(record.ProjectId) && editor.Constraints.RemoveGroup(groupId));
        return removed ? TypedResults.NoContent() : Problems.NotFound($"instance group {groupId}");
    }
}
