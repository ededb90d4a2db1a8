using Doctor.Access;
using Doctor.Control;
using Doctor.Inventory;
using Doctor.Serialization;
using Doctor.Server.Access;
using Doctor.Server.Http;
using Doctor.State;

namespace Doctor.Server.Inventory;

using Host = Doctor.Inventory.Host;
using Server = Doctor.Inventory.Server;

/// <summary><c>/v1/servers</c> and <c>/v1/ports</c>: admins manage them, project callers read their own.</summary>
public static class ServerEndpoints
{
    public static void MapServersAndPorts(this IEndpointRouteBuilder app)
    {
        var servers = app.MapGroup("/v1/servers");
        servers.MapGet("", ListServers).Allow(Role.Admin, Role.Project);
        servers.MapGet("/{id}", GetServer).Allow(Role.Admin, Role.Project);
        servers.MapPut("/{id}", PutServer).Allow(Role.Admin);
        servers.MapDelete("/{id}", DeleteServer).Allow(Role.Admin);

        var ports = app.MapGroup("/v1/ports");
        ports.MapGet("", ListPorts).Allow(Role.Admin, Role.Project);
        ports.MapGet("/{id}", GetPort).Allow(Role.Admin, Role.Project);
        ports.MapPut("/{id}", PutPort).Allow(Role.Admin);
        ports.MapDelete("/{id}", DeletePort).Allow(Role.Admin);
    }

    private static IResult ListServers(HttpContext context, DoctorEngine engine)
    {
        var request = context.Request;
        var caller = context.Caller();
        var page = Page.From(request);
        var host = caller.IsAdmin ? Query.Identifier(request, "host") : null;
        var project = Query.Identifier(request, "project_id");
        var state = Query.Enum<ServerState>(request, "state", ServerStates.TryParse, "normal, error, down, maintenance");
        if (!caller.IsAdmin)
        {
            if (request.Query.ContainsKey("host"))
                throw new RequestException(Problems.BadRequest("host", "host is an admin filter"));
            if (project is not null && project != caller.ProjectId)
                return Page.Answer("servers", (new List<ServerView>(), (string?)null)); // another project's servers: none visible
            project = caller.ProjectId;
        }

        var map = engine.State.Map;
        // The narrowest index decides where to look; the other filters apply on the way.
        IEnumerable<Server> candidates = host is not null
            ? Ordered.After(map.ServersByHost.Get(host), page.Marker).Select(id => map.Servers.Get(id)!)
            : project is not null
                ? Ordered.After(map.ServersByProject.Get(project), page.Marker).Select(id => map.Servers.Get(id)!)
                : map.Servers.After(page.Marker);
        bool Matches(Server s) =>
            (host is null || s.Host == host) && (project is null || s.ProjectId == project) && (state is null || s.State == state) && caller.CanSee(s.ProjectId);
        return Page.Answer("servers", page.Take(candidates, Matches, s => s.Id, s => ServerView.Of(s, map, caller)));
    }

    private static IResult GetServer(string id, HttpContext context, DoctorEngine engine)
    {
        var map = engine.State.Map;
        var caller = context.Caller();
        return map.Servers.Get(id) is { } server && caller.CanSee(server.ProjectId)
            ? TypedResults.Json(ServerView.Of(server, map, caller), DoctorJson.Options)
            : Problems.NotFound($"server {id}");
    }

    private static async Task<IResult> PutServer(string id, HttpContext context, DoctorEngine engine, ServerMoves moves, TimeProvider time)
    {
        InventoryValidation.Identifier(id, "id", required: true);
        var input = await RequestBody.ReadAsync<ServerInput>(context);
        InventoryValidation.ToServer(input, id, "server", null, time.GetUtcNow());
        var (server, created) = await engine.ExecuteAsync(editor =>
        {
            var current = editor.Map.Server(id);
            var next = InventoryValidation.ToServer(input, id, "server", current, editor.Now);
            editor.Map.PutServer(next);
            return (next, current is null);
        });
        // Moved off a failed host (the admin evacuated it): the answer already shows it recovered.
        if (await moves.ReportAsync([id], wait: true, CancellationToken.None) > 0)
            server = engine.State.Map.Servers.Get(id) ?? server;
        var view = ServerView.Of(server, engine.State.Map, context.Caller());
        return created ? TypedResults.Created($"/v1/servers/{Uri.EscapeDataString(id)}", view) : TypedResults.Json(view, DoctorJson.Options);
    }

    private static async Task<IResult> DeleteServer(string id, DoctorEngine engine) =>
        await engine.ExecuteAsync(editor => editor.Map.RemoveServer(id)) ? TypedResults.NoContent() : Problems.NotFound($"server {id}");

    private static IResult ListPorts(HttpContext context, DoctorEngine engine)
    {
        var request = context.Request;
        var caller = context.Caller();
        var page = Page.From(request);
        var serverId = Query.Identifier(request, "server_id");
        var host = caller.IsAdmin ? Query.Identifier(request, "host") : null;
        var project = caller.IsAdmin ? Query.Identifier(request, "project_id") : caller.ProjectId;
        var map = engine.State.Map;
        IEnumerable<Port> candidates = serverId is not null
            ? Ordered.After(map.PortsByServer.Get(serverId), page.Marker).Select(id => map.Ports.Get(id)!)
            : host is not null
                ? Ordered.After(map.PortsByHost.Get(host), page.Marker).Select(id => map.Ports.Get(id)!)
                : project is not null
                    ? Ordered.After(map.PortsByProject.Get(project), page.Marker).Select(id => map.Ports.Get(id)!)
                    : map.Ports.After(page.Marker);
        bool Matches(Port p) =>
            (serverId is null || p.ServerId == serverId) && (host is null || p.Host == host) && (project is null || p.ProjectId == project) && caller.CanSee(p.ProjectId);
        return Page.Answer("ports", page.Take(candidates, Matches, p => p.Id, p => PortView.Of(p, caller)));
    }

    private static IResult GetPort(string id, HttpContext context, DoctorEngine engine)
    {
        var caller = context.Caller();
        return engine.State.Map.Ports.Get(id) is { } port && caller.CanSee(port.ProjectId)
            ? TypedResults.Json(PortView.Of(port, caller), DoctorJson.Options)
            : Problems.NotFound($"port {id}");
    }

    private static async Task<IResult> PutPort(string id, HttpContext context, DoctorEngine engine, ServerMoves moves, TimeProvider time)
    {
        InventoryValidation.Identifier(id, "id", required: true);
        var input = await RequestBody.ReadAsync<PortInput>(context);
        InventoryValidation.ToPort(input, id, "port", null, time.GetUtcNow());
        var (port, created) = await engine.ExecuteAsync(editor =>
        {
            var current = editor.Map.Port(id);
            editor.Map.PutPort(InventoryValidation.ToPort(input, id, "port", current, editor.Now));
            return (editor.Map.Port(id)!, current is null);
        });
        if (port.ServerId is { } serverId && await moves.ReportAsync([serverId], wait: true, CancellationToken.None) > 0)
            port = engine.State.Map.Ports.Get(id) ?? port;
        var view = PortView.Of(port, context.Caller());
        return created ? TypedResults.Created($"/v1/ports/{Uri.EscapeDataString(id)}", view) : TypedResults.Json(view, DoctorJson.Options);
    }

    private static async Task<IResult> DeletePort(string id, DoctorEngine engine) =>
        await engine.ExecuteAsync(editor => editor.Map.RemovePort(id)) ? TypedResults.NoContent() : Problems.NotFound($"port {id}");
}
