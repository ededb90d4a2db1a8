using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Doctor.OpenStack.Keystone;
using Doctor.OpenStack.Maintenance;
using Doctor.OpenStack.Messaging;
using Doctor.Server.Hosting;
using Doctor.Simulator.Cloud;
using Doctor.Simulator.Maintenance;
using Doctor.OpenStack.Integration.Infrastructure;
using Doctor.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using Xunit.Abstractions;

namespace Doctor.OpenStack.Integration.Maintenance;

/// <summary>
/// A maintenance session of Doctor in OpenStack mode on a real Nova (fake compute driver): fake-host-4 and fake-host-5 with
/// one server each, a tenant app manager (the simulator's <see cref="AppManager"/>) answering through Doctor's project
/// API. Nova must show each host disabled (by this session) while it is in maintenance, the servers really moved by Nova
/// (a cold migration and a live migration), and both hosts enabled at the end. Only fake-host-4 and fake-host-5 are
/// touched: the other compute hosts of the cloud are marked down in this Doctor only (with every Nova call of fault
/// management off), so the workflow never places a server there.
/// </summary>
public sealed class NovaMaintenanceIntegrationTests(ITestOutputHelper output)
{
    private const string HostA = "fake-host-4";
    private const string HostB = "fake-host-5";
    private const string AdminToken = "dr_osm-integration-admin-token";

    private static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback;

    [OpenStackFact]
    public async Task Session_OnTwoHosts_DisablesEachInNovaMigratesTheServersThroughNovaAndEnablesBoth()
    {
        var log = new ConcurrentQueue<string>();
        var queue = "doctor-maint-" + Guid.NewGuid().ToString("N")[..8];
        var transport = Env("DOCTOR_TRANSPORT_URL", "rabbit://openstack:rabbitpw@127.0.0.1:5672/");
        await using var cloud = await CloudAdmin.ConnectAsync();
        string? a = null, b = null;
        WebApplication? doctor = null;
        await using var receiver = await Receiver.StartAsync();
        using var dataDir = new TempDirectory();
        try
        {
            await cloud.PrepareHostsAsync([HostA, HostB]);
            await cloud.DeleteServersAsync("osm-it-");
            var bootStarted = Stopwatch.GetTimestamp();
            a = await cloud.BootAsync("osm-it-a", HostA);
            b = await cloud.BootAsync("osm-it-b", HostB);
            await cloud.WaitAsync(a, s => s.Status == "ACTIVE" && s.Host == HostA, "osm-it-a ACTIVE on " + HostA);
            await cloud.WaitAsync(b, s => s.Status == "ACTIVE" && s.Host == HostB, "osm-it-b ACTIVE on " + HostB);
            output.WriteLine($"2 servers ACTIVE in {Stopwatch.GetElapsedTime(bootStarted).TotalSeconds:0.00} s");
            var project = (await cloud.ServerAsync(a))!.ProjectId!;

            doctor = await StartDoctorAsync(dataDir.Path, queue, transport, log);
            var api = new DoctorApi(doctor.GetTestClient());
            await api.WaitForAsync(async () => await api.GetAsync($"/v1/servers/{a}") is { } s && s["host"]?.GetValue<string>() == HostA
                && await api.GetAsync($"/v1/servers/{b}") is { } t && t["host"]?.GetValue<string>() == HostB, "Doctor's map to show both servers");

            // The other compute hosts belong to other tests: down in this Doctor's map, so no server is placed there.
            foreach (var host in (await api.GetAsync("/v1/hosts?limit=1000"))!["hosts"]!.AsArray().Select(h => h!["name"]!.GetValue<string>()))
            {
                if (host is not (HostA or HostB))
                    await api.SendAsync(HttpMethod.Post, "/v1/events", new JsonObject { ["type"] = "compute.host.down", ["time"] = DateTimeOffset.UtcNow.ToString("O"), ["details"] = new JsonObject { ["hostname"] = host } }, AdminToken, 202);
            }

            await api.WaitForAsync(async () => (await api.GetAsync("/v1/hosts?limit=1000"))!["hosts"]!.AsArray()
                .All(h => h!["name"]!.GetValue<string>() is HostA or HostB || h["state"]!.GetValue<string>() == "down"), "the other hosts to be down in Doctor");

            // The tenant's app manager (ACK everything; MIGRATE for osm-it-a, LIVE_MIGRATE for osm-it-b) and an admin
            // listener that reads Nova the moment each host is reported in maintenance.
            var projectToken = (await api.SendAsync(HttpMethod.Post, "/v1/tokens", new JsonObject { ["role"] = "project", ["project_id"] = project }, AdminToken, 201))!["token"]!.GetValue<string>();
            await api.SendAsync(HttpMethod.Post, "/v1/subscriptions", new JsonObject
            {
                ["callback_url"] = receiver.Url + "/app", ["filter"] = new JsonObject { ["notification_types"] = new JsonArray("maintenance") },
            }, projectToken, 201);
            await api.SendAsync(HttpMethod.Post, "/v1/subscriptions", new JsonObject
            {
                ["callback_url"] = receiver.Url + "/admin", ["filter"] = new JsonObject { ["notification_types"] = new JsonArray("maintenance") },
            }, AdminToken, 201);
            var manager = new AppManager(project, [new SimVm(a, project, HostA, null, null), new SimVm(b, project, HostB, null, null)]);
            var inMaintenance = new ConcurrentDictionary<string, (bool Enabled, string? Reason)>(StringComparer.Ordinal);
            var hostsSeen = new ConcurrentDictionary<string, List<string>>(StringComparer.Ordinal);
            using var stop = new CancellationTokenSource();
            var answering = Task.Run(async () =>
            {
                await foreach (var (path, body) in receiver.Messages.ReadAllAsync(stop.Token))
                {
                    var m = body["maintenance"];
                    log.Enqueue($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} webhook {path}: {m?["event_type"]} {m?["state"]} {m?["host"]} [{string.Join(",", m?["instance_ids"]?.AsArray().Select(i => i!.ToString()) ?? [])}]");
                    if (path == "/admin" && m?["event_type"]?.GetValue<string>() == "maintenance.host" && m["state"]?.GetValue<string>() == "IN_MAINTENANCE")
                    {
                        var host = m["host"]!.GetValue<string>();
                        inMaintenance[host] = await cloud.ServiceStatusAsync(host);
                    }
                    else if (path == "/app" && manager.Handle(body) is { } answer)
                    {
                        var reply = new JsonObject { ["state"] = answer.State };
                        if (answer.InstanceActions is { } actions)
                            reply["instance_actions"] = new JsonObject(actions.Select(x => KeyValuePair.Create<string, JsonNode?>(x.Key, x.Key == a ? "MIGRATE" : x.Value)));
                        await api.SendAsync(HttpMethod.Put, $"/v1/maintenance/{answer.SessionId}/{project}", reply, projectToken, 200);
                    }
                }
            });
            var watching = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    foreach (var id in new[] { a, b })
                    {
                        if (await cloud.ServerAsync(id) is { Host: { } host })
                        {
                            var seen = hostsSeen.GetOrAdd(id, _ => []);
                            lock (seen)
                            {
                                if (seen.Count == 0 || seen[^1] != host)
                                    seen.Add(host);
                            }
                        }
                    }

                    await Task.Delay(200);
                }
            });

            var started = DateTimeOffset.UtcNow;
            var clock = Stopwatch.GetTimestamp();
            var created = await api.SendAsync(HttpMethod.Post, "/v1/maintenance", new JsonObject
            {
                ["hosts"] = new JsonArray(HostA, HostB), ["state"] = "MAINTENANCE", ["maintenance_at"] = started.ToString("O"), ["workflow"] = "default",
                ["metadata"] = new JsonObject(),
            }, AdminToken, 201);
            var sessionId = created!["session_id"]!.GetValue<string>();
            string state = "";
            await api.WaitForAsync(async () =>
            {
                state = (await api.GetAsync($"/v1/maintenance/{sessionId}"))!["state"]!.GetValue<string>();
                return state is "MAINTENANCE_DONE" or "MAINTENANCE_FAILED";
            }, "the session to end", attempts: 1200);
            var elapsed = Stopwatch.GetElapsedTime(clock);
            await stop.CancelAsync();
            await Task.WhenAll(answering, watching).ContinueWith(_ => { }, TaskScheduler.Default);

            var detail = (await api.GetAsync($"/v1/maintenance/{sessionId}/detail"))!;
            output.WriteLine($"session {sessionId}: {state} in {elapsed.TotalSeconds:0.00} s");
            foreach (var h in detail["history"]!.AsArray())
                output.WriteLine($"  {h!["at"]} {h["state"]}: {h["detail"]}");
            foreach (var h in detail["hosts"]!.AsArray())
                output.WriteLine($"  host {h!["host"]} {h["state"]} in {h["seconds"]} s");
            foreach (var (id, seen) in hostsSeen)
                output.WriteLine($"  Nova placed {id} on {string.Join(" → ", seen)}");

            Assert.True(state == "MAINTENANCE_DONE", $"session ended {state}: {detail["reason"]}");
            var reason = NovaMaintenance.Reason(sessionId);
            Assert.Equal((false, reason), inMaintenance[HostA]);
            Assert.Equal((false, reason), inMaintenance[HostB]);
            Assert.Equal((true, (string?)null), await cloud.ServiceStatusAsync(HostA));
            Assert.Equal((true, (string?)null), await cloud.ServiceStatusAsync(HostB));

            // Nova moved them: osm-it-a by cold migration (to fake-host-5, then back to the maintained fake-host-4),
            // osm-it-b by live migration to the maintained fake-host-4.
            var serverA = (await cloud.ServerAsync(a))!;
            var serverB = (await cloud.ServerAsync(b))!;
            Assert.Equal(("ACTIVE", (string?)null, HostA), (serverA.Status, serverA.TaskState, serverA.Host));
            Assert.Equal(("ACTIVE", (string?)null, HostA), (serverB.Status, serverB.TaskState, serverB.Host));
            Assert.Contains(HostB, hostsSeen[a]);
            var migrationsA = await cloud.MigrationsAsync(a, started);
            var migrationsB = await cloud.MigrationsAsync(b, started);
            Assert.Equal([("migration", "confirmed", HostA, HostB), ("migration", "confirmed", HostB, HostA)], migrationsA);
            Assert.Equal([("live-migration", "completed", HostB, HostA)], migrationsB);
            Assert.All(detail["actions"]!.AsArray(), x => Assert.StartsWith("Nova completed", x!["result"]!.GetValue<string>(), StringComparison.Ordinal));
            Assert.Equal(4, manager.Answers); // MAINTENANCE, PREPARE_MAINTENANCE, PLANNED_MAINTENANCE, MAINTENANCE_COMPLETE
        }
        finally
        {
            foreach (var line in log)
                output.WriteLine(line);
            // Every step on its own: one that fails must not leave the others' leftovers in the shared cloud.
            await CleanUpAsync(async () =>
            {
                if (doctor is not null)
                {
                    await doctor.StopAsync();
                    await doctor.DisposeAsync();
                }
            });
            await CleanUpAsync(() => cloud.DeleteServersAsync("osm-it-"));
            await CleanUpAsync(() => cloud.PrepareHostsAsync([HostA, HostB]));
            await CleanUpAsync(() => DeleteQueueAsync(transport, queue));
        }
    }

    private async Task CleanUpAsync(Func<Task> step)
    {
        try
        {
            await step();
        }
        catch (Exception ex)
        {
            output.WriteLine("clean-up step failed: " + ex.Message);
        }
    }

    private static async Task<WebApplication> StartDoctorAsync(string dataDir, string queue, string transport, ConcurrentQueue<string> log)
    {
        var app = DoctorApp.Create(
            [],
            o =>
            {
                o.DataDir = dataDir;
                o.AdminToken = AdminToken;
                o.ShutdownDrainSeconds = 0;
                o.Controller = "openstack";
                o.OpenStack.AuthUrl = Env("OS_AUTH_URL", "http://127.0.0.1:5000/v3");
                o.OpenStack.Username = Env("OS_USERNAME", "doctor");
                o.OpenStack.Password = Env("OS_PASSWORD", "doctorpw");
                o.OpenStack.ProjectName = Env("OS_PROJECT_NAME", "service");
                o.OpenStack.TransportUrl = transport;
                o.OpenStack.Queue = queue;
                // Fault management must not touch the hosts of other tests (marked down in this Doctor only).
                o.OpenStack.ForceDown = false;
                o.OpenStack.DataPlaneStatus = false;
                o.OpenStack.ResetServerState = false;
                o.OpenStack.MigrationTimeoutSeconds = 120;
            },
            builder =>
            {
                builder.WebHost.UseTestServer();
                builder.Logging.ClearProviders();
                builder.Logging.AddProvider(new QueueLoggerProvider(log));
            });
        await app.StartAsync();
        return app;
    }

    private static async Task DeleteQueueAsync(string transport, string queue)
    {
        await using var connection = await Transport.Factory(transport, "osm-it-cleanup").CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false);
    }

    /// <summary>Doctor's API through the in-process test server.</summary>
    private sealed class DoctorApi(HttpClient client)
    {
        public async Task<JsonNode?> GetAsync(string path)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
            using var response = await client.SendAsync(request);
            return response.StatusCode == HttpStatusCode.OK ? JsonNode.Parse(await response.Content.ReadAsStringAsync()) : null;
        }

        public async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonNode body, string token, int expected)
        {
            using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {text}");
            return text.Length == 0 ? null : JsonNode.Parse(text);
        }

        /// <summary>Polls every 250 ms, at most <paramref name="attempts"/> times.</summary>
        public async Task WaitForAsync(Func<Task<bool>> condition, string what, int attempts = 240)
        {
            for (var i = 0; i < attempts; i++)
            {
                if (await condition())
                    return;
                await Task.Delay(250);
            }

            Assert.Fail($"gave up waiting for {what}");
        }
    }

    /// <summary>Where the subscriptions deliver: one loopback listener, messages in arrival order.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly Channel<(string Path, JsonNode Body)> _messages = Channel.CreateUnbounded<(string, JsonNode)>();

        private Receiver(WebApplication app) => _app = app;

        public string Url { get; private set; } = "";

        public ChannelReader<(string Path, JsonNode Body)> Messages => _messages.Reader;

        public static async Task<Receiver> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var receiver = new Receiver(app);
            app.MapPost("/{path}", async (string path, HttpContext context) =>
            {
                if (await JsonNode.ParseAsync(context.Request.Body) is { } body)
                    receiver._messages.Writer.TryWrite(("/" + path, body));
                return Results.Ok();
            });
            await app.StartAsync();
            receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return receiver;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    /// <summary>The test's own admin view of the cloud (the AIO's admin user in project demo, which owns the servers).</summary>
    private sealed class CloudAdmin : IAsyncDisposable
    {
        private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false });
        private ServiceClient _compute = null!;
        private ServiceClient _image = null!;

        public static async Task<CloudAdmin> ConnectAsync()
        {
            var admin = new CloudAdmin();
            var options = new OpenStackOptions
            {
                AuthUrl = Env("OS_AUTH_URL", "http://127.0.0.1:5000/v3"), Username = Env("DOCTOR_IT_ADMIN", "admin"), Password = Env("DOCTOR_IT_ADMIN_PASSWORD", "adminpw"),
                ProjectName = Env("DOCTOR_IT_PROJECT", "demo"), Interface = "public",
            };
            var keystone = new KeystoneSession(admin._http, options, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<KeystoneSession>.Instance);
            admin._compute = new ServiceClient(admin._http, keystone, options, "compute");
            admin._image = new ServiceClient(admin._http, keystone, options, "image");
            await keystone.TokenAsync(CancellationToken.None);
            return admin;
        }

        public async Task<string> BootAsync(string name, string host)
        {
            var image = (await _image.GetAsync("/v2/images?name=fake-image", CancellationToken.None))!["images"]![0]!["id"]!.GetValue<string>();
            var body = new JsonObject
            {
                ["server"] = new JsonObject { ["name"] = name, ["imageRef"] = image, ["flavorRef"] = "1", ["networks"] = "none", ["host"] = host },
            };
            var answer = await _compute.SendAsync(HttpMethod.Post, "/servers", body, CancellationToken.None, "2.74");
            return answer!["server"]!["id"]!.GetValue<string>();
        }

        public async Task<Nova.NovaServer?> ServerAsync(string id)
        {
            try
            {
                return Nova.NovaServer.From((await _compute.GetAsync("/servers/" + id, CancellationToken.None, "2.56"))?["server"]);
            }
            catch (OpenStackException e) when (e.Status == 404)
            {
                return null;
            }
        }

        public async Task WaitAsync(string id, Func<Nova.NovaServer, bool> condition, string what)
        {
            for (var i = 0; i < 240; i++)
            {
                if (await ServerAsync(id) is { } s && condition(s))
                    return;
                Assert.False(await ServerAsync(id) is { Status: "ERROR" }, $"{what}: the server went to ERROR");
                await Task.Delay(250);
            }

            Assert.Fail("gave up waiting for " + what);
        }

        public async Task<(bool Enabled, string? Reason)> ServiceStatusAsync(string host)
        {
            var answer = await _compute.GetAsync("/os-services?binary=nova-compute&host=" + host, CancellationToken.None, "2.53");
            var service = answer!["services"]![0]!;
            return (service["status"]!.GetValue<string>() == "enabled", service["disabled_reason"]?.GetValue<string>());
        }

        /// <summary>Both test hosts enabled before and after: one a previous run of Doctor left disabled is enabled; one
        /// disabled by anyone else stops the test (it is not ours to enable).</summary>
        public async Task PrepareHostsAsync(IEnumerable<string> hosts)
        {
            foreach (var host in hosts)
            {
                var answer = await _compute.GetAsync("/os-services?binary=nova-compute&host=" + host, CancellationToken.None, "2.53");
                var service = answer!["services"]![0]!;
                if (service["status"]!.GetValue<string>() == "enabled")
                    continue;
                var reason = service["disabled_reason"]?.GetValue<string>();
                Assert.True(NovaMaintenance.IsDoctors(reason), $"{host} is disabled by someone else ({reason}); the test needs it enabled");
                await _compute.SendAsync(HttpMethod.Put, "/os-services/" + service["id"], new JsonObject { ["status"] = "enabled" }, CancellationToken.None, "2.53");
            }

            // Right after the cloud started, a compute takes up to a minute to report in; a boot pinned to it before then
            // ends in ERROR (no valid host).
            foreach (var host in hosts)
            {
                await Poll.UntilAsync(
                    async () => (await _compute.GetAsync("/os-services?binary=nova-compute&host=" + host, CancellationToken.None, "2.53"))!["services"]![0]!["state"]?.GetValue<string>() == "up",
                    $"{host}'s nova-compute up", TimeSpan.FromSeconds(180));
            }
        }

        public async Task DeleteServersAsync(string prefix)
        {
            var answer = await _compute.GetAsync("/servers?all_tenants=1&name=^" + prefix, CancellationToken.None, "2.56");
            var ids = (answer!["servers"]!.AsArray()).Select(s => s!["id"]!.GetValue<string>()).ToList();
            foreach (var id in ids)
                await _compute.SendAsync(HttpMethod.Delete, "/servers/" + id, null, CancellationToken.None, "2.56");
            foreach (var id in ids)
            {
                for (var i = 0; i < 120 && await ServerAsync(id) is not null; i++)
                    await Task.Delay(250);
            }
        }

        /// <summary>Nova's migration records of a server since <paramref name="since"/>, oldest first: (type, status, from, to).</summary>
        public async Task<List<(string, string, string?, string?)>> MigrationsAsync(string id, DateTimeOffset since)
        {
            var answer = await _compute.GetAsync($"/os-migrations?instance_uuid={id}", CancellationToken.None, "2.59");
            return answer!["migrations"]!.AsArray()
                .Where(m => DateTimeOffset.Parse(m!["created_at"]!.GetValue<string>() + "Z", System.Globalization.CultureInfo.InvariantCulture) >= since.AddSeconds(-1))
                .OrderBy(m => m!["id"]!.GetValue<int>())
                .Select(m => (m!["migration_type"]!.GetValue<string>(), m["status"]!.GetValue<string>(), m["source_compute"]?.GetValue<string>(), m["dest_compute"]?.GetValue<string>()))
                .ToList();
        }

        public ValueTask DisposeAsync()
        {
            _http.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class QueueLoggerProvider(ConcurrentQueue<string> log) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => categoryName.StartsWith("Doctor.", StringComparison.Ordinal)
            ? new QueueLogger(log, categoryName[(categoryName.LastIndexOf('.') + 1)..])
            : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

        public void Dispose()
        {
        }

        private sealed class QueueLogger(ConcurrentQueue<string> log, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (IsEnabled(logLevel))
                    log.Enqueue($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.Message)}");
            }
        }
    }
}
