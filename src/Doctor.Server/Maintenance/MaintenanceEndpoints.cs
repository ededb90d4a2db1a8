using Doctor.Access;
using Doctor.Control;
using Doctor.Maintenance;
using Doctor.Serialization;
using Doctor.Server.Access;
using Doctor.Server.Http;

namespace Doctor.Server.Maintenance;

/// <summary>
/// <c>/v1/maintenance</c> (SPEC §6, Fenix-compatible): sessions for admins; the project side
/// (<c>/{sid}/{project_id}</c>) for the project's own members and admins. The ETSI FEAT03 constraint records are
/// in <see cref="ConstraintEndpoints"/>.
/// </summary>
public static class MaintenanceEndpoints
{
    public static void MapMaintenance(this IEndpointRouteBuilder app)
    {
        var sessions = app.MapGroup("/v1/maintenance");
        sessions.MapPost("", Create).Allow(Role.Admin);
        sessions.MapGet("", List).Allow(Role.Admin);
        sessions.MapGet("/{sessionId}", Get).Allow(Role.Admin);
        sessions.MapPut("/{sessionId}", Continue).Allow(Role.Admin);
        sessions.MapDelete("/{sessionId}", Delete).Allow(Role.Admin);
        sessions.MapGet("/{sessionId}/detail", Detail).Allow(Role.Admin);
        sessions.MapGet("/{sessionId}/{projectId}", GetProject).Allow(Role.Admin, Role.Project);
        sessions.MapPut("/{sessionId}/{projectId}", Reply).Allow(Role.Admin, Role.Project);
        app.MapConstraints();
    }

    private static async Task<IResult> Create(HttpContext context, DoctorEngine engine, TimeProvider time, MaintenanceTimers defaults)
    {
        var input = await RequestBody.ReadAsync<MaintenanceInput>(context);
        var request = MaintenanceInputs.ToRequest(input, time.GetUtcNow());
        return await Run(async () =>
        {
            var migrations = engine.Maintenance?.Migrations ?? MigrationControl.Timed;
            var session = await engine.ExecuteAsync(editor => MaintenanceCommands.Create(editor, request, defaults, migrations));
            return TypedResults.Created($"/v1/maintenance/{session.SessionId}", SessionView.Of(session));
        });
    }

    private static IResult List(HttpRequest request, DoctorEngine engine)
    {
        var page = Page.From(request);
        return Page.Answer("sessions", page.Take(engine.State.Maintenance.All.After(page.Marker), _ => true, s => s.SessionId, SessionView.Of));
    }

    private static IResult Get(string sessionId, DoctorEngine engine) =>
        engine.State.Maintenance.All.Get(sessionId) is { } session
            ? TypedResults.Json(SessionView.Of(session), DoctorJson.Options)
            : Problems.NotFound($"maintenance session {sessionId}");

    private static IResult Detail(string sessionId, DoctorEngine engine)
    {
        var state = engine.State;
        return state.Maintenance.All.Get(sessionId) is { } session
            ? TypedResults.Json(SessionDetailView.Of(session, state), DoctorJson.Options)
            : Problems.NotFound($"maintenance session {sessionId}");
    }

    private static Task<IResult> Continue(string sessionId, DoctorEngine engine) =>
        Run(async () => TypedResults.Json(SessionView.Of(await engine.ExecuteAsync(editor => MaintenanceCommands.Continue(editor, sessionId))), DoctorJson.Options));

    private static async Task<IResult> Delete(string sessionId, DoctorEngine engine) =>
        await engine.ExecuteAsync(editor => MaintenanceCommands.Delete(editor, sessionId))
            ? TypedResults.NoContent()
            : Problems.NotFound($"maintenance session {sessionId}");

    private static IResult GetProject(HttpContext context, string sessionId, string projectId, DoctorEngine engine)
    {
        var caller = context.Caller();
        var session = engine.State.Maintenance.All.Get(sessionId);
        // A project member learns nothing of another project, not even whether it takes part.
        if (session is null || !caller.CanSee(projectId) || !session.Involved.Contains(projectId) && !session.Projects.ContainsKey(projectId))
            return Problems.NotFound($"project {projectId} in maintenance session {sessionId}");
        var map = engine.State.Map;
        var ids = session.Hosts.SelectMany(h => map.ServersByHost.Get(h))
            .Where(id => map.Servers.Get(id)?.ProjectId == projectId).Order(StringComparer.Ordinal).ToList();
        var awaiting = session.Phase == SessionPhase.Replies && session.Projects.TryGetValue(projectId, out var reply) && reply.Reply is null
            ? session.State.Name() : null;
        return TypedResults.Json(
            new ProjectSessionView(session.SessionId, projectId, session.State.Name(), ids, awaiting is null || session.ReplyAt is not { } at ? null : Rfc3339.Format(at), awaiting),
            DoctorJson.Options);
    }

    private static async Task<IResult> Reply(HttpContext context, string sessionId, string projectId, DoctorEngine engine)
    {
        var caller = context.Caller();
        if (!caller.CanSee(projectId))
            return Problems.NotFound($"project {projectId} in maintenance session {sessionId}");
        var input = await RequestBody.ReadAsync<ReplyInput>(context);
        var (state, actions) = MaintenanceInputs.ToReply(input);
        return await Run(async () =>
        {
            var session = await engine.ExecuteAsync(editor => MaintenanceCommands.Reply(editor, sessionId, projectId, state, actions));
            return TypedResults.Json(SessionView.Of(session), DoctorJson.Options);
        });
    }

    private static async Task<IResult> Run(Func<Task<IResult>> work)
    {
        try
        {
            return await work();
        }
        catch (MaintenanceRequestException refused)
        {
            return Problems.Of(refused.Status, refused.Message, refused.Field);
        }
    }
}
