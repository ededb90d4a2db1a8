using System.Collections.Immutable;
using Doctor.Access;
using Doctor.Control;
using Doctor.Events;
using Doctor.Inventory;
using Doctor.Server.Access;
using Doctor.Server.Http;
using Doctor.Storage;

namespace Doctor.Server.Inventory;

using Host = Doctor.Inventory.Host;
using Server = Doctor.Inventory.Server;

/// <summary><c>/v1/hosts</c>: the physical hosts (admin only) and the StateChangeRequest.</summary>
public static class HostEndpoints
{
    public static void MapHosts(this IEndpointRouteBuilder app)
    {
        var hosts = app.MapGroup("/v1/hosts").Allow(Role.Admin);
        hosts.MapGet("", List);
        hosts.MapGet("/{name}", Get);
        hosts.MapPut("/{name}", Put);
        hosts.MapDelete("/{name}", Delete);
        hosts.MapPost("/{name}/state", ChangeState);
    }

    private static IResult List(HttpRequest request, DoctorEngine engine)
    {
        var page = Page.From(request);
        var state = Query.Identifier(request, "state");
        if (state is not (null or "up" or "down"))
            throw new RequestException(Problems.BadRequest("state", "state must be up or down"));
        var zone = Query.Identifier(request, "zone");
        var maintenance = Query.Identifier(request, "maintenance");
        if (maintenance is not (null or "true" or "false" or "going_to_maintenance" or "in_maintenance"))
            throw new RequestException(Problems.BadRequest("maintenance", "maintenance must be true, false, going_to_maintenance or in_maintenance"));

        var map = engine.State.Map;
        bool Matches(Host h) =>
            (state is null || ResourceStates.Of(h) == state) &&
            (zone is null || h.Zone == zone) &&
            maintenance switch
            {
                null => true,
                "true" => h.Maintenance is not null,
                "false" => h.Maintenance is null,
                "in_maintenance" => h.Maintenance?.State == MaintenanceState.InMaintenance,
                _ => h.Maintenance?.State == MaintenanceState.GoingToMaintenance,
            };
        return Page.Answer("hosts", page.Take(map.Hosts.After(page.Marker), Matches, h => h.Name, HostView.Of));
    }

    private static IResult Get(string name, DoctorEngine engine) =>
        engine.State.Map.Hosts.Get(name) is { } host ? TypedResults.Json(HostView.Of(host), Serialization.DoctorJson.Options) : Problems.NotFound($"host {name}");

    private static async Task<IResult> Put(string name, HttpContext context, DoctorEngine engine, TimeProvider time)
    {
        InventoryValidation.Identifier(name, "name", required: true);
        var input = await RequestBody.ReadAsync<HostInput>(context);
        InventoryValidation.ToHost(input, name, "host", null, time.GetUtcNow()); // validate before queueing
        var (host, created) = await engine.ExecuteAsync(editor =>
        {
            var current = editor.Map.Host(name);
            var next = InventoryValidation.ToHost(input, name, "host", current, editor.Now);
            editor.Map.PutHost(next);
            return (next, current is null);
        });
        var view = HostView.Of(host);
        return created ? TypedResults.Created($"/v1/hosts/{Uri.EscapeDataString(name)}", view) : TypedResults.Json(view, Serialization.DoctorJson.Options);
    }

    private static async Task<IResult> Delete(string name, DoctorEngine engine)
    {
        var outcome = await engine.ExecuteAsync(editor =>
        {
            if (editor.Map.Host(name) is null)
                return 404;
            var servers = editor.Map.ServersOn(name).Count;
            if (servers > 0)
                return -servers;
            editor.Map.RemoveHost(name);
            return 204;
        });
        return outcome switch
        {
            404 => Problems.NotFound($"host {name}"),
            < 0 => Problems.Conflict($"host {name} still has {-outcome} servers; move or delete them first"),
            _ => TypedResults.NoContent(),
        };
    }

    /// <summary>Input of <c>POST /v1/hosts/{name}/state</c>.</summary>
    public sealed record StateChangeInput(bool? ForcedDown, string? Status, string? Reason);

    /// <summary>
    /// The StateChangeRequest is written to the event log like a monitor's event (so a force-down survives a
    /// crash and is ordered with the faults around it) and answers once the engine has applied it.
    /// </summary>
    private static async Task<IResult> ChangeState(string name, HttpContext context, DoctorEngine engine, IDoctorStore store, TimeProvider time)
    {
        var input = await RequestBody.ReadAsync<StateChangeInput>(context);
        if (input.Status is not (null or "enabled" or "disabled"))
            throw new RequestException(Problems.BadRequest("status", "status must be enabled or disabled"));
        if (input.Reason is { Length: > DoctorConstants.MaxDetailValueBytes })
            throw new RequestException(Problems.BadRequest("reason", $"reason is longer than {DoctorConstants.MaxDetailValueBytes} characters"));
        if (input.ForcedDown is null && input.Status is null)
            throw new RequestException(Problems.BadRequest("body", "give forced_down and/or status"));
        if (engine.State.Map.Hosts.Get(name) is null)
            return Problems.NotFound($"host {name}");

        var details = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        details["hostname"] = name;
        if (input.ForcedDown is { } forced)
            details["forced_down"] = forced ? "true" : "false";
        if (input.Status is not null)
            details["status"] = input.Status;
        if (input.Reason is not null)
            details["reason"] = input.Reason;
        var e = new RawEvent
        {
            Id = "admin-" + Guid.CreateVersion7(),
            Time = time.GetUtcNow(),
            Type = InternalEventTypes.HostState,
            Details = details.ToImmutable(),
            Origin = EventOrigin.Admin,
        };
        var appended = await store.AppendAsync([e], System.Diagnostics.Stopwatch.GetTimestamp(), context.RequestAborted);
        await engine.WhenProcessedAsync(appended.Recorded[0].Seq);
        return engine.State.Map.Hosts.Get(name) is { } host ? TypedResults.Json(HostView.Of(host), Serialization.DoctorJson.Options) : Problems.NotFound($"host {name}");
    }
}
