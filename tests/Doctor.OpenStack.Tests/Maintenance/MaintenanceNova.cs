using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Doctor.OpenStack.Tests.Maintenance;

/// <summary>How the fake Nova answers a migration of one server.</summary>
public enum Behaviour
{
    /// <summary>A cold migration runs resize_prep → resize_migrating → resize_finish (on the target) → VERIFY_RESIZE, and
    /// waits there for <c>confirmResize</c>; a live migration runs MIGRATING → ACTIVE on the target.</summary>
    Completes,

    /// <summary>202, then the scheduler finds no host: the server is back ACTIVE on its source and only the instance
    /// action says why (what Zed does when the target is disabled or full).</summary>
    NoValidHost,

    /// <summary>The call itself is refused with 400 and Nova's message.</summary>
    Refused,

    /// <summary>The migration ends in ERROR with a fault.</summary>
    Error,

    /// <summary>The migration never ends.</summary>
    Stuck,

    /// <summary>The first call answers 503 without doing anything, the next one is accepted.</summary>
    Unavailable,

    /// <summary>The first call is accepted but its answer is lost (503); a repeat would be refused with 409.</summary>
    AnswerLost,
}

/// <summary>
/// A Keystone and a Nova on a loopback port, with just what maintenance uses: the token, compute services (list, enable,
/// disable), servers (read, migrate, live-migrate, confirm) and instance actions. A migrating server moves one step each
/// time it is read, so a test's outcome never depends on timing. Every call is recorded.
/// </summary>
public sealed class MaintenanceNova : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Service> _services = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FakeServer> _servers = new(StringComparer.Ordinal);
    private readonly List<string> _calls = [];
    private readonly WebApplication _app;
    private int _requests;

    private MaintenanceNova(WebApplication app) => _app = app;

    public string AuthUrl { get; private set; } = "";

    public static async Task<MaintenanceNova> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var nova = new MaintenanceNova(app);
        nova.Map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        nova.AuthUrl = address + "/v3";
        return nova;
    }

    /// <summary>Every call but token requests, e.g. <c>POST migrate fake-b vm-1</c>, <c>PUT service fake-a disabled Doctor …</c>.</summary>
    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_gate)
                return [.. _calls];
        }
    }

    /// <summary>When set, a service update waits for it (a slow Nova), after recording <c>(service update held)</c>.</summary>
    public TaskCompletionSource? ServiceUpdates { get; set; }

    /// <summary>How many times a server was read (GET /servers/{id}).</summary>
    public int Reads { get; private set; }

    public void AddService(string host, string id, bool enabled = true, string? reason = null)
    {
        lock (_gate)
            _services[host] = new Service(id, host, enabled, enabled ? null : reason);
    }

    public (bool Enabled, string? Reason) ServiceOf(string host)
    {
        lock (_gate)
            return (_services[host].Enabled, _services[host].Reason);
    }

    public void AddServer(string id, string host, Behaviour behaviour = Behaviour.Completes, string status = "ACTIVE", string? task = null)
    {
        lock (_gate)
            _servers[id] = new FakeServer(id) { Host = host, Status = status, Task = task, Behaviour = behaviour };
    }

    public (string Status, string? Task, string Host) ServerOf(string id)
    {
        lock (_gate)
            return (_servers[id].Status, _servers[id].Task, _servers[id].Host);
    }

    private void Map(WebApplication app)
    {
        app.MapPost("/v3/auth/tokens", (HttpContext context) =>
        {
            context.Response.Headers["X-Subject-Token"] = "service-token";
            var catalog = new JsonArray(new JsonObject
            {
                ["type"] = "compute",
                ["endpoints"] = new JsonArray(new JsonObject { ["interface"] = "internal", ["region_id"] = "RegionOne", ["url"] = AuthUrl[..^3] + "/v2.1" }),
            });
            return Results.Json(new JsonObject { ["token"] = new JsonObject { ["expires_at"] = "2100-01-01T00:00:00Z", ["catalog"] = catalog } }, statusCode: 201);
        });
        app.MapGet("/v2.1/os-services", (string? host) =>
        {
            lock (_gate)
            {
                var list = new JsonArray();
                foreach (var s in _services.Values.Where(s => host is null || s.Host == host))
                {
                    list.Add(new JsonObject
                    {
                        ["id"] = s.Id, ["host"] = s.Host, ["binary"] = "nova-compute", ["zone"] = "nova", ["state"] = "up", ["forced_down"] = false,
                        ["status"] = s.Enabled ? "enabled" : "disabled", ["disabled_reason"] = s.Reason,
                    });
                }

                return Results.Json(new JsonObject { ["services"] = list });
            }
        });
        app.MapPut("/v2.1/os-services/{id}", async (string id, HttpContext context) =>
        {
            var body = await JsonNode.ParseAsync(context.Request.Body);
            if (ServiceUpdates is { } gate)
            {
                lock (_gate)
                    _calls.Add("(service update held)");
                await gate.Task;
            }

            lock (_gate)
            {
                var service = _services.Values.FirstOrDefault(s => s.Id == id);
                if (service is null)
                    return Results.NotFound();
                var enabled = body?["status"]?.GetValue<string>() != "disabled";
                var reason = enabled ? null : body?["disabled_reason"]?.GetValue<string>();
                _services[service.Host] = service with { Enabled = enabled, Reason = reason };
                _calls.Add($"PUT service {service.Host} {(enabled ? "enabled" : "disabled")}{(reason is null ? "" : " " + reason)}");
                return Results.Json(new JsonObject { ["service"] = new JsonObject { ["id"] = id, ["status"] = enabled ? "enabled" : "disabled" } });
            }
        });
        app.MapGet("/v2.1/servers/{id}", (string id) =>
        {
            lock (_gate)
            {
                if (!_servers.TryGetValue(id, out var server))
                    return Results.Json(new JsonObject { ["itemNotFound"] = new JsonObject { ["message"] = "not found" } }, statusCode: 404);
                server.Step();
                Reads++;
                var node = new JsonObject
                {
                    ["id"] = id, ["name"] = id, ["tenant_id"] = "p", ["status"] = server.Status, ["OS-EXT-STS:task_state"] = server.Task,
                    ["OS-EXT-SRV-ATTR:host"] = server.Host,
                };
                if (server.Fault is not null)
                    node["fault"] = new JsonObject { ["message"] = server.Fault, ["code"] = 500 };
                return Results.Json(new JsonObject { ["server"] = node });
            }
        });
        app.MapPost("/v2.1/servers/{id}/action", async (string id, HttpContext context) =>
        {
            var body = await JsonNode.ParseAsync(context.Request.Body) as JsonObject;
            var version = context.Request.Headers["OpenStack-API-Version"].ToString();
            var requestId = "req-" + Interlocked.Increment(ref _requests);
            context.Response.Headers["X-OpenStack-Request-ID"] = requestId;
            lock (_gate)
            {
                if (!_servers.TryGetValue(id, out var server))
                    return Results.Json(new JsonObject { ["itemNotFound"] = new JsonObject { ["message"] = $"Instance {id} could not be found." } }, statusCode: 404);
                var name = body?.First().Key ?? "?";
                var to = body?[name]?["host"]?.GetValue<string>();
                _calls.Add($"POST {name}{(to is null ? "" : " " + to)} {id} ({version})");
                return name switch
                {
                    "migrate" or "os-migrateLive" => server.Migrate(name == "os-migrateLive", to!, requestId),
                    "confirmResize" => server.Confirm(),
                    _ => Results.BadRequest(),
                };
            }
        });
        app.MapGet("/v2.1/servers/{id}/os-instance-actions/{requestId}", (string id, string requestId) =>
        {
            lock (_gate)
            {
                _calls.Add($"GET instance action {requestId}");
                var server = _servers[id];
                var events = new JsonArray();
                if (server.FailedRequest == requestId)
                    events.Add(new JsonObject { ["event"] = "conductor_migrate_server", ["result"] = "Error", ["details"] = "No valid host was found. " });
                return Results.Json(new JsonObject { ["instanceAction"] = new JsonObject { ["request_id"] = requestId, ["events"] = events } });
            }
        });
        app.MapGet("/v2.1/servers/{id}/os-instance-actions", (string id) =>
        {
            lock (_gate)
            {
                var server = _servers[id];
                var list = new JsonArray();
                if (server.FailedRequest is { } failed)
                    list.Add(new JsonObject { ["action"] = server.LastAction, ["request_id"] = failed });
                return Results.Json(new JsonObject { ["instanceActions"] = list });
            }
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed record Service(string Id, string Host, bool Enabled, string? Reason);

    private sealed class FakeServer(string id)
    {
        private readonly Queue<(string Status, string? Task, string Host)> _steps = new();
        private int _calls;
        private string _rest = "ACTIVE";

        public string Id { get; } = id;
        public required string Host { get; set; }
        public required string Status { get; set; }
        public string? Task { get; set; }
        public string? Fault { get; set; }
        public Behaviour Behaviour { get; init; }
        public string? FailedRequest { get; private set; }
        public string? LastAction { get; private set; }

        /// <summary>One reading: the next step, if any.</summary>
        public void Step()
        {
            if (_steps.TryDequeue(out var step))
                (Status, Task, Host) = step;
        }

        public IResult Migrate(bool live, string to, string requestId)
        {
            _calls++;
            LastAction = live ? "live-migration" : "migrate";
            if (Task is not null)
                return Results.Json(new JsonObject { ["conflictingRequest"] = new JsonObject { ["message"] = $"Cannot '{LastAction}' instance {Id} while it is in task_state {Task}", ["code"] = 409 } }, statusCode: 409);
            var from = Host;
            if (live && Status != "ACTIVE")
                return Results.Json(new JsonObject { ["conflictingRequest"] = new JsonObject { ["message"] = $"Cannot 'os-migrateLive' instance {Id} while it is in vm_state stopped", ["code"] = 409 } }, statusCode: 409);
            _rest = Status;
            switch (Behaviour)
            {
                case Behaviour.Refused:
                    return Results.Json(new JsonObject { ["badRequest"] = new JsonObject { ["message"] = $"Compute host {to} could not be found.", ["code"] = 400 } }, statusCode: 400);
                case Behaviour.Unavailable when _calls == 1:
                    return Results.StatusCode(503);
                case Behaviour.NoValidHost:
                    (Status, Task) = (live ? "MIGRATING" : "RESIZE", live ? "migrating" : "resize_prep");
                    _steps.Enqueue((Status, Task, from));
                    _steps.Enqueue(("ACTIVE", null, from));
                    FailedRequest = requestId;
                    return Results.StatusCode(202);
                case Behaviour.Error:
                    (Status, Task) = ("MIGRATING", "migrating");
                    _steps.Enqueue(("MIGRATING", "migrating", from));
                    _steps.Enqueue(("ERROR", null, from));
                    Fault = "Unexpected error while migrating: disk copy failed";
                    return Results.StatusCode(202);
                case Behaviour.Stuck:
                    (Status, Task) = (live ? "MIGRATING" : "RESIZE", live ? "migrating" : "resize_prep");
                    return Results.StatusCode(202);
            }

            if (live)
            {
                (Status, Task) = ("MIGRATING", "migrating");
                _steps.Enqueue(("MIGRATING", "migrating", from));
                _steps.Enqueue(("ACTIVE", null, to));
            }
            else
            {
                (Status, Task) = ("RESIZE", "resize_prep");
                _steps.Enqueue(("RESIZE", "resize_migrating", from));
                _steps.Enqueue(("RESIZE", "resize_finish", to));
                _steps.Enqueue(("VERIFY_RESIZE", null, to));
            }

            return Behaviour == Behaviour.AnswerLost && _calls == 1 ? Results.StatusCode(503) : Results.StatusCode(202);
        }

        public IResult Confirm()
        {
            if (Status != "VERIFY_RESIZE")
                return Results.Json(new JsonObject { ["badRequest"] = new JsonObject { ["message"] = "Instance has not been resized.", ["code"] = 400 } }, statusCode: 400);
            (Status, Task) = (_rest, null);
            return Results.StatusCode(204);
        }
    }
}
