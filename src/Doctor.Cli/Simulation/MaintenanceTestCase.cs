using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Doctor.Cli.Bench;
using Doctor.Cli.Client;
using Doctor.Simulator.Cloud;
using Doctor.Simulator.Maintenance;

namespace Doctor.Cli.Simulation;

/// <summary>Parameters of <c>doctor test maintenance</c>: the cloud (<see cref="CloudSpec.Full"/>: no host can be emptied
/// without SCALE_IN), the session's timers (they go in its metadata), and how many instances each app manager removes
/// on SCALE_IN.</summary>
public sealed record MaintenanceTestOptions(CloudSpec Cloud, double MigrationSeconds, double HostMaintenanceSeconds, TimeSpan Timeout, int ScaleInCount = 1);

/// <summary>
/// The original Doctor maintenance test case on the simulator: an embedded Doctor, a cloud with an ACT-STBY pair and
/// non-redundant instances, one sample app manager per tenant subscribed to maintenance notifications, and one
/// session over every host. Passes when the session ends MAINTENANCE_DONE, every host was maintained and is enabled
/// again, no ACT-STBY pair ever had both instances out of service, and every instance scaled in on SCALE_IN is back.
/// </summary>
public static class MaintenanceTestCase
{
    private const string AdminToken = "dr_maintenance-test-admin-token";

    public static async Task<JsonObject> RunAsync(MaintenanceTestOptions o, Action<string> say, CancellationToken cancellationToken)
    {
        var cloud = SimulatedCloud.Generate(o.Cloud);
        if (cloud.Hosts.Count < 3)
            throw new ArgumentException("the maintenance test needs at least 3 hosts");
        var dataDir = Directory.CreateTempSubdirectory("doctor-maintenance-test-").FullName;
        try
        {
            await using var server = await InProcessServer.StartAsync(dataDir, AdminToken, cancellationToken);
            await using var hooks = await WebhookReceiver.StartAsync();
            using var admin = new DoctorClient(server.Url, AdminToken);
            await admin.PostAsync("/v1/inventory", cloud.ToInventory().ToJsonString(), cancellationToken);

            var managers = cloud.Projects.ToDictionary(p => p, p => new AppManager(p, cloud.Vms, o.ScaleInCount), StringComparer.Ordinal);
            var clients = new Dictionary<string, DoctorClient>(StringComparer.Ordinal);
            foreach (var project in cloud.Projects)
            {
                var token = (await admin.PostAsync("/v1/tokens", new { role = "project", project_id = project }, cancellationToken))!["token"]!.GetValue<string>();
                clients[project] = new DoctorClient(server.Url, token);
                await clients[project].PostAsync("/v1/subscriptions", new
                {
                    callback_url = $"{hooks.Url.TrimEnd('/')}/{project}", filter = new { notification_types = new[] { "maintenance" } },
                }, cancellationToken);
            }

            var inbox = Channel.CreateUnbounded<ReceivedNotification>();
            hooks.OnReceived = n => inbox.Writer.TryWrite(n);
            var errors = new ConcurrentQueue<string>();
            var instanceReads = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var compute = new DoctorComputeApi(admin);
            var replies = Task.Run(() => AnswerAsync(inbox.Reader, managers, clients, compute, instanceReads, errors, say, stop.Token), CancellationToken.None);

            var started = Stopwatch.GetTimestamp();
            var created = await admin.PostAsync("/v1/maintenance", new
            {
                hosts = Array.Empty<string>(), state = "MAINTENANCE", workflow = "default",
                maintenance_at = DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture),
                metadata = new Dictionary<string, double> { ["migration_seconds"] = o.MigrationSeconds, ["host_maintenance_seconds"] = o.HostMaintenanceSeconds },
            }, cancellationToken);
            var sid = created!["session_id"]!.GetValue<string>();
            say($"session {sid} over {cloud.Hosts.Count} hosts, {cloud.Vms.Count} instances, {cloud.Projects.Count} tenants{(o.Cloud.Full ? " (full cloud)" : "")} " +
                $"(migration {o.MigrationSeconds} s, host action {o.HostMaintenanceSeconds} s)");

            var state = "MAINTENANCE";
            var deadline = Stopwatch.GetTimestamp() + (long)(o.Timeout.TotalSeconds * Stopwatch.Frequency);
            while (state is not ("MAINTENANCE_DONE" or "MAINTENANCE_FAILED") && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(50, cancellationToken);
                var now = (await admin.GetAsync($"/v1/maintenance/{sid}", cancellationToken))!["state"]!.GetValue<string>();
                if (now != state)
                    say($"  {Stopwatch.GetElapsedTime(started).TotalSeconds,7:0.00} s  {now}");
                state = now;
            }

            var totalSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            await stop.CancelAsync();
            await replies;
            var detail = (await admin.GetAsync($"/v1/maintenance/{sid}/detail", cancellationToken))!;
            var hostsNow = (await admin.GetAsync("/v1/hosts?limit=1000", cancellationToken))!["hosts"]!.AsArray();
            var serversNow = (await compute.ServersAsync(cancellationToken)).Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
            foreach (var client in clients.Values)
                client.Dispose();
            return Report(o, cloud, sid, state, totalSeconds, detail, hostsNow, serversNow, managers.Values, instanceReads, errors, say);
        }
        finally
        {
            try
            {
                Directory.Delete(dataDir, recursive: true);
            }
            catch (IOException)
            {
                // a temporary directory left behind is not worth failing the test over
            }
        }
    }

    /// <summary>Each tenant's app manager: reads its instance ids when a session starts, scales in and out through the
    /// cloud's API, and answers every question.</summary>
    private static async Task AnswerAsync(
        ChannelReader<ReceivedNotification> inbox, Dictionary<string, AppManager> managers, Dictionary<string, DoctorClient> clients, IComputeApi compute,
        ConcurrentDictionary<string, int> instanceReads, ConcurrentQueue<string> errors, Action<string> say, CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await foreach (var received in inbox.ReadAllAsync(cancellationToken))
            {
                if (received.NotificationId is { Length: > 0 } id && !seen.Add(id))
                    continue; // at-least-once delivery
                var body = received.Json;
                var project = body["project_id"]?.GetValue<string>();
                if (project is null || !managers.TryGetValue(project, out var manager))
                    continue;
                try
                {
                    var answer = await manager.HandleAsync(body, compute, cancellationToken);
                    if (answer is null)
                        continue;
                    var path = $"/v1/maintenance/{answer.SessionId}/{project}";
                    if (answer.State == "ACK_MAINTENANCE")
                    {
                        var own = (await clients[project].GetAsync(path, cancellationToken))!["instance_ids"]!.AsArray().Count;
                        instanceReads[project] = own;
                    }

                    await clients[project].SendAsync(HttpMethod.Put, path,
                        JsonSerializer.Serialize(new { state = answer.State, instance_actions = answer.InstanceActions }), cancellationToken);
                }
                catch (DoctorApiException ex)
                {
                    errors.Enqueue($"{project}: {ex.Message}");
                    say($"  app manager of {project}: {ex.Message}");
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the session ended
        }
    }

    private static JsonObject Report(
        MaintenanceTestOptions o, SimulatedCloud cloud, string sid, string state, double totalSeconds, JsonNode detail, JsonArray hostsNow,
        HashSet<string> serversNow, IEnumerable<AppManager> managers, ConcurrentDictionary<string, int> instanceReads, ConcurrentQueue<string> errors, Action<string> say)
    {
        var perHost = new JsonArray();
        var maintained = 0;
        foreach (var host in detail["hosts"]!.AsArray())
        {
            if (host!["state"]!.GetValue<string>() == "maintained")
                maintained++;
            perHost.Add(new JsonObject { ["host"] = host["host"]!.GetValue<string>(), ["state"] = host["state"]!.GetValue<string>(), ["seconds"] = host["seconds"]?.DeepClone() });
        }

        var enabled = hostsNow.Count(h => h!["status"]!.GetValue<string>() == "enabled" && h["maintenance"] is null);
        var list = managers.ToList();
        var both = list.Sum(m => m.BothOutOfService);
        var activeMoved = list.Sum(m => m.ActiveMoved);
        var switchovers = list.Sum(m => m.Switchovers.Count);
        var pairs = cloud.Vms.Count(v => v.Role == "ACT");
        var scaleIn = list.Any(m => m.ScaleInRequests > 0) || detail["history"]?.AsArray().Any(h => h!["state"]?.GetValue<string>() == "SCALE_IN") == true;
        var scaledIn = list.SelectMany(m => m.ScaledIn).ToList();
        var restored = scaledIn.Count(serversNow.Contains);
        var restoreFailures = list.SelectMany(m => m.RestoreFailures).ToList();
        var passed = state == "MAINTENANCE_DONE" && maintained == cloud.Hosts.Count && enabled == cloud.Hosts.Count && both == 0 && activeMoved == 0 && errors.IsEmpty
            && restored == scaledIn.Count && restoreFailures.Count == 0;

        say("");
        say($"{"host",-14} {"seconds",8}");
        foreach (var host in perHost)
            say($"{host!["host"],-14} {host["seconds"]?.ToString() ?? "-",8}");
        say("");
        say($"session {state}; {maintained}/{cloud.Hosts.Count} hosts maintained, {enabled}/{cloud.Hosts.Count} enabled; total {totalSeconds:0.00} s");
        say($"ACT-STBY pairs: {pairs}; switch-overs before a move: {switchovers}; both instances out of service at once: {(both == 0 ? "never" : $"{both} time(s)")}");
        say($"SCALE_IN: {(scaleIn ? "yes" : "no")}; instances scaled in: {scaledIn.Count}; restored: {restored}/{scaledIn.Count}");
        foreach (var failure in restoreFailures)
            say($"restore failed: {failure}");
        if (detail["reason"] is { } reason)
            say($"reason: {reason}");
        say(passed ? "PASSED" : "FAILED");

        return new JsonObject
        {
            ["test"] = "maintenance",
            ["session_id"] = sid,
            ["state"] = state,
            ["reason"] = detail["reason"]?.DeepClone(),
            ["hosts"] = cloud.Hosts.Count,
            ["instances"] = cloud.Vms.Count,
            ["projects"] = cloud.Projects.Count,
            ["act_stby_pairs"] = pairs,
            ["migration_seconds"] = o.MigrationSeconds,
            ["host_maintenance_seconds"] = o.HostMaintenanceSeconds,
            ["hosts_maintained"] = maintained,
            ["hosts_enabled"] = enabled,
            ["total_seconds"] = Math.Round(totalSeconds, 3),
            ["per_host"] = perHost,
            ["switchovers"] = switchovers,
            ["act_stby_both_out_of_service"] = both,
            ["active_moved_while_active"] = activeMoved,
            ["full"] = o.Cloud.Full,
            ["scale_in"] = scaleIn,
            ["scaled_in"] = scaledIn.Count,
            ["scaled_in_ids"] = new JsonArray([.. scaledIn.Select(id => (JsonNode)JsonValue.Create(id))]),
            ["restored"] = restored,
            ["restore_failures"] = new JsonArray([.. restoreFailures.Select(e => (JsonNode)JsonValue.Create(e))]),
            ["instance_ids_read"] = new JsonObject([.. instanceReads.OrderBy(p => p.Key).Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))]),
            ["app_manager_errors"] = new JsonArray([.. errors.Select(e => (JsonNode)JsonValue.Create(e))]),
            ["passed"] = passed,
        };
    }
}
