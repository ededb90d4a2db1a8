using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Doctor.Cli.Client;
using Doctor.OpenStack.Nova;

namespace Doctor.Cli.Bench;

/// <summary>Parameters of the side-by-side benchmark against a real OpenStack.</summary>
/// <param name="VmCounts">Servers on the failed host, one measured series each.</param>
/// <param name="NovaPollMs">Pause between two polls of Nova's server list (each poll waits for the previous answer); negative: no polling.</param>
/// <param name="Host">The compute host the bench owns: its servers are booted there and it is the one that fails.</param>
public sealed record OpenStackBenchOptions(
    IReadOnlyList<int> VmCounts, int Runs, int Warmup, string? JsonPath, int NovaPollMs, string Host, int RunTimeoutSeconds);

/// <summary>
/// Doctor in OpenStack mode next to OpenStack's own path, on a real cloud. A host with N demo servers fails (a
/// <c>compute.host.down</c> event posted to Doctor); from that POST the bench times (a) Doctor's notification reaching
/// the owner's webhook with all N servers, (b) the Aodh event alarm's webhook for every server (Doctor's reset-state →
/// Nova's <c>compute.instance.update</c> → Ceilometer → Aodh: the original Doctor's "conservative" path), (c) Nova's API
/// showing <c>host_status: DOWN</c> for all N, and reads Doctor's timeline of its controller calls. Then the host
/// recovers and Nova is back to ACTIVE/UP before the next run.
/// </summary>
public static partial class OpenStackBench
{
    private const string AdminToken = "bench-admin-token-0123456789abcdef";
    private const string NamePrefix = "doctor-bench-";

    public static async Task<int> RunAsync(OpenStackBenchOptions o, CancellationToken ct)
    {
        var settings = BenchCloudSettings.FromEnvironment();
        var tag = NamePrefix + Convert.ToHexStringLower(Guid.NewGuid().ToByteArray())[..8];
        var queue = tag; // Doctor's own notification queue; durable, so the bench deletes it
        var total = Stopwatch.StartNew();
        using var cloud = BenchCloud.Connect(settings);
        await using var receiver = await WebhookReceiver.StartAsync();
        await WarmUpAsync(receiver.Url, ct);
        var servers = new List<string>();
        string? alarmId = null;
        var series = new List<Series>();
        try
        {
            Console.WriteLine($"OpenStack side by side on {o.Host}: VMs {string.Join(",", o.VmCounts)}, {o.Runs} runs (+{o.Warmup} warm-up) each, tag {tag}");
            await PrepareAsync(cloud, o.Host, ct);
            var imageId = await cloud.ImageIdAsync(ct);
            alarmId = await cloud.CreateErrorAlarmAsync(tag, receiver.Url + "/aodh", ct);
            Console.WriteLine($"  Aodh event alarm {alarmId} (project {settings.TenantProject}) → {receiver.Url}/aodh");
            foreach (var count in o.VmCounts)
            {
                var boot = Stopwatch.StartNew();
                await EnsureServersAsync(cloud, servers, tag, count, imageId, o.Host, ct);
                Console.WriteLine($"  {count} servers ACTIVE on {o.Host} ({boot.Elapsed.TotalSeconds:0.0} s)");
                series.Add(await MeasureCountAsync(cloud, receiver, servers, queue, o, ct));
                await DeleteQueueQuietlyAsync(cloud, queue);
            }

            Report(o, settings, series, total.Elapsed);
            return 0;
        }
        finally
        {
            // Cleanup runs even when cancelled (Ctrl-C) or failed, with its own time bound.
            using var cleanup = new CancellationTokenSource(TimeSpan.FromMinutes(5));
            await CleanupAsync(cloud, servers, alarmId, queue, o.Host, cleanup.Token);
        }
    }

    // ---------------------------------------------------------------- setup and cleanup

    /// <summary>One request through the receiver before anything is timed: its first request compiles the endpoint and
    /// Kestrel's paths (~100 ms on this machine), which would otherwise land on the first run's arrivals.</summary>
    private static async Task WarmUpAsync(string url, CancellationToken ct)
    {
        using var http = new HttpClient();
        for (var i = 0; i < 3; i++)
        {
            using var response = await http.PostAsync(url + "/warmup", new StringContent("{}", Encoding.UTF8, "application/json"), ct);
        }
    }

    /// <summary>Leftovers of a bench that died: its servers on the host, its alarms, the host forced down.</summary>
    private static async Task PrepareAsync(BenchCloud cloud, string host, CancellationToken ct)
    {
        var leftovers = (await cloud.ServersNamedAsync(NamePrefix, ct)).Select(s => s.Server).Where(s => s.Host == host || s.Host is null).Select(s => s.Id).ToList();
        if (leftovers.Count > 0)
        {
            Console.WriteLine($"  deleting {leftovers.Count} servers a previous bench left on {host}");
            await DeleteServersAsync(cloud, leftovers, ct);
        }

        foreach (var alarm in await cloud.AlarmIdsNamedAsync(NamePrefix, ct))
            await cloud.DeleteAlarmAsync(alarm, ct);
        var service = await cloud.ComputeServiceAsync(host, ct);
        if (service.ForcedDown)
        {
            Console.WriteLine($"  {host} was left forced down: un-forcing it");
            await cloud.SetForcedDownAsync(service.Id, false, ct);
        }

        if (!service.Up && !service.ForcedDown)
            throw new InvalidOperationException($"nova-compute on {host} is not up: start the AIO (scripts/openstack-aio.sh ensure)");
    }

    private static async Task CleanupAsync(BenchCloud cloud, List<string> servers, string? alarmId, string queue, string host, CancellationToken ct)
    {
        try
        {
            if (alarmId is not null)
                await cloud.DeleteAlarmAsync(alarmId, ct);
            await DeleteQueueQuietlyAsync(cloud, queue);
            var service = await cloud.ComputeServiceAsync(host, ct);
            if (service.ForcedDown)
                await cloud.SetForcedDownAsync(service.Id, false, ct);
            if (servers.Count > 0)
                await DeleteServersAsync(cloud, servers, ct);
            Console.WriteLine($"  cleaned up: {servers.Count} servers, the alarm, queue {queue}");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await Console.Error.WriteLineAsync($"  cleanup incomplete ({ex.Message}): servers named {NamePrefix}* on {host}, alarms named {NamePrefix}*, queue {queue} may remain; the next run deletes the servers and alarms");
        }
    }

    private static async Task DeleteQueueQuietlyAsync(BenchCloud cloud, string queue)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await cloud.DeleteQueueAsync(queue, timeout.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            await Console.Error.WriteLineAsync($"  could not delete queue {queue}: {ex.Message}");
        }
    }

    /// <summary>Brings the bench's servers on the host to exactly <paramref name="count"/>, all ACTIVE.</summary>
    private static async Task EnsureServersAsync(BenchCloud cloud, List<string> servers, string tag, int count, string imageId, string host, CancellationToken ct)
    {
        if (servers.Count > count)
        {
            var extra = servers.Skip(count).ToList();
            await DeleteServersAsync(cloud, extra, ct);
            servers.RemoveRange(count, servers.Count - count);
        }

        var batch = 0;
        while (servers.Count < count)
        {
            // At most 25 per request: one multi-create is built by the conductor in one go.
            var n = Math.Min(25, count - servers.Count);
            var name = $"{tag}-{servers.Count:0000}";
            await cloud.BootAsync(name, n, imageId, host, ct);
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                var mine = (await cloud.ServersNamedAsync(name, ct)).Where(s => !servers.Contains(s.Server.Id)).ToList();
                if (mine.FirstOrDefault(s => s.Server.Status == "ERROR") is { Server: not null } failed)
                    throw new InvalidOperationException($"server {failed.Server.Id} went to ERROR while booting: {failed.Fault}");
                if (mine.Count == n && mine.All(s => s.Server.Status == "ACTIVE" && s.Server.Host == host && s.Server.TaskState is null))
                {
                    servers.AddRange(mine.Select(s => s.Server.Id).Order(StringComparer.Ordinal));
                    break;
                }

                if (deadline.Elapsed > TimeSpan.FromMinutes(5))
                    throw new TimeoutException($"{n} servers {name}-* not ACTIVE on {host} within 5 minutes ({mine.Count(s => s.Server.Status == "ACTIVE")} are)");
                await Task.Delay(500, ct);
            }

            batch++;
        }
    }

    private static async Task DeleteServersAsync(BenchCloud cloud, IReadOnlyCollection<string> ids, CancellationToken ct)
    {
        foreach (var chunk in ids.Chunk(8))
            await Task.WhenAll(chunk.Select(id => cloud.DeleteServerAsync(id, ct)));
        var deadline = Stopwatch.StartNew();
        var wanted = ids.ToHashSet(StringComparer.Ordinal);
        while (deadline.Elapsed < TimeSpan.FromMinutes(3))
        {
            var left = (await cloud.ServersNamedAsync(NamePrefix, ct)).Count(s => wanted.Contains(s.Server.Id));
            if (left == 0)
                return;
            await Task.Delay(500, ct);
        }

        await Console.Error.WriteLineAsync($"  some of {ids.Count} servers were still being deleted after 3 minutes");
    }

    // ---------------------------------------------------------------- one VM count

    /// <param name="Plain">Runs without the Nova poller: (a), (b) and Doctor's calls as they are without extra load on nova-api.</param>
    /// <param name="Polled">Runs with the poller: (c), and (a), (b) again to show what polling costs the other paths.</param>
    private sealed record Series(int Vms, List<RunResult> Plain, List<RunResult> Polled, int Incomplete, TimeSpan DoctorStartup);

    /// <summary>What one measured run saw; times in ms after the event's POST started (Doctor's calls: after it received it).</summary>
    private sealed record RunResult
    {
        public double Accepted { get; set; }
        public double? Owner { get; set; }
        public double? AodhFirst { get; set; }
        public double? AodhLast { get; set; }
        public int AodhWebhooks { get; set; }
        public double? NovaDown { get; set; }
        public double? NovaDownSent { get; set; }
        public int NovaPolls { get; set; }
        public double NovaPollMs { get; set; }
        public double? Delivered { get; set; }
        public double? Sent { get; set; }
        public double? Built { get; set; }
        public double? Recorded { get; set; }
        public double? ForceDown { get; set; }
        public double? ResetFirst { get; set; }
        public double? ResetLast { get; set; }
        public int ResetsFailed { get; set; }
        public double? Recovery { get; set; }

        /// <summary>The machine's 1-minute load average when the run started (2 shared cores: above ~2, others were busy too).</summary>
        public double? Load { get; set; }

        public bool Polled { get; init; }

        public bool Complete => Owner is not null && AodhLast is not null && (!Polled || NovaDown is not null);
    }

    private static async Task<Series> MeasureCountAsync(BenchCloud cloud, WebhookReceiver receiver, List<string> servers, string queue, OpenStackBenchOptions o, CancellationToken ct)
    {
        var s = cloud.Settings;
        var dataDir = Directory.CreateTempSubdirectory("doctor-bench-os-").FullName;
        var environment = new Dictionary<string, string>
        {
            ["DOCTOR_CONTROLLER"] = "openstack",
            ["OS_AUTH_URL"] = s.AuthUrl,
            ["OS_USERNAME"] = s.DoctorUser,
            ["OS_PASSWORD"] = s.DoctorPassword,
            ["OS_PROJECT_NAME"] = s.DoctorProject,
            ["DOCTOR_TRANSPORT_URL"] = s.TransportUrl,
            ["Doctor__OpenStack__ResetServerState"] = "true",
            ["Doctor__OpenStack__Queue"] = queue,
        };
        var (server, startup) = await ServerProcess.StartAsync(dataDir, AdminToken, environment);
        try
        {
            Console.WriteLine($"  Doctor (OpenStack mode, queue {queue}) healthy after {startup.TotalSeconds:0.0} s");
            using var admin = new DoctorClient(server.Url, AdminToken);
            var ids = servers.ToHashSet(StringComparer.Ordinal);
            var project = await WaitForMapAsync(admin, o.Host, ids, ct);
            var token = await admin.PostAsync("/v1/tokens", new { role = "project", project_id = project }, ct);
            using (var tenant = new DoctorClient(server.Url, token!["token"]!.GetValue<string>()))
                await tenant.PostAsync("/v1/subscriptions", new { callback_url = receiver.Url + "/doctor" }, ct);

            // Polling Nova's server list loads nova-api, the same single worker that serves Doctor's force-down and reset-state
            // calls, so it slows the Aodh path: runs without and with the poller alternate, and each measure is read from its kind.
            var plain = new List<RunResult>();
            var polled = new List<RunResult>();
            var incomplete = 0;
            var kinds = o.NovaPollMs >= 0 ? new[] { false, true } : [false];
            for (var run = 0; run < o.Warmup + o.Runs; run++)
            {
                foreach (var poll in kinds)
                {
                    var result = await RunOnceAsync(cloud, admin, receiver, ids, o, poll, $"{queue}-{servers.Count}-{run}-{(poll ? "p" : "n")}", ct);
                    var label = run < o.Warmup ? $"warm-up {run + 1,2}" : $"run {run + 1 - o.Warmup,2}";
                    Console.WriteLine(
                        $"    {label}{(poll ? "P" : " ")}: 202 {Ms(result.Accepted)}  owner {Ms(result.Owner)} (built {Ms(result.Built)} sent {Ms(result.Sent)})  aodh first {Ms(result.AodhFirst)} last {Ms(result.AodhLast)} ({result.AodhWebhooks} webhooks)" +
                        (poll ? $"  nova DOWN {Ms(result.NovaDown)} ({result.NovaPolls} polls)" : "") +
                        $"  force-down {Ms(result.ForceDown)}  last reset {Ms(result.ResetLast)}  recovery {Ms(result.Recovery)}  load {result.Load:0.0}");
                    if (run < o.Warmup)
                        continue;
                    if (!result.Complete)
                        incomplete++;
                    else
                        (poll ? polled : plain).Add(result);
                }
            }

            return new Series(servers.Count, plain, polled, incomplete, startup);
        }
        finally
        {
            await server.DisposeAsync();
            Directory.Delete(dataDir, recursive: true);
        }
    }

    /// <summary>Waits until Doctor's map (its snapshot of the cloud) has every server on the host; returns their project.</summary>
    private static async Task<string> WaitForMapAsync(DoctorClient admin, string host, HashSet<string> ids, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var answer = await admin.GetAsync($"/v1/servers?host={Uri.EscapeDataString(host)}&limit=1000", ct);
            var known = (answer?["servers"]?.AsArray() ?? []).Where(x => ids.Contains(x?["id"]?.GetValue<string>() ?? "")).ToList();
            if (known.Count == ids.Count && known[0]?["project_id"]?.GetValue<string>() is { } project)
                return project;
            if (deadline.Elapsed > TimeSpan.FromSeconds(90))
                throw new TimeoutException($"Doctor's map shows {known.Count} of the {ids.Count} servers on {host} after 90 s");
            await Task.Delay(250, ct);
        }
    }

    private static async Task<RunResult> RunOnceAsync(
        BenchCloud cloud, DoctorClient admin, WebhookReceiver receiver, HashSet<string> ids, OpenStackBenchOptions o, bool pollNova, string eventId, CancellationToken ct)
    {
        var result = new RunResult { Load = Load1(), Polled = pollNova };
        var startUtc = DateTime.UtcNow.AddMilliseconds(-5); // Nova's timestamps have µs; a little slack for clock reads
        var start = Stopwatch.GetTimestamp();
        var watch = new RunWatch(ids, start, startUtc);
        receiver.OnReceived = watch.Offer;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(o.RunTimeoutSeconds));
        var poll = pollNova ? PollHostStatusAsync(cloud, o.Host, ids, start, o.NovaPollMs, result, timeout.Token) : Task.CompletedTask;

        using (var response = await admin.Http.PostAsync("v1/events", new StringContent(EventJson(eventId + "-down", "compute.host.down", o.Host), Encoding.UTF8, "application/json"), ct))
        {
            result.Accepted = Since(start, Stopwatch.GetTimestamp());
            if ((int)response.StatusCode != 202)
                throw new InvalidOperationException($"event refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        }

        try
        {
            var owner = await watch.OwnerDone.WaitAsync(timeout.Token);
            result.Owner = Since(start, owner);
            await Task.WhenAll(watch.AodhDone, poll).WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"    run timed out after {o.RunTimeoutSeconds} s: owner {(watch.OwnerDone.IsCompleted ? "told" : "NOT told")}, " +
                                               $"aodh {(watch.AodhDone.IsCompleted ? "all" : "NOT all")}, nova {(poll.IsCompleted ? "DOWN" : "NOT all DOWN")}");
        }

        (result.AodhFirst, result.AodhLast, result.AodhWebhooks) = watch.Aodh();
        await ReadTimelineAsync(admin, o.Host, ids.Count, result, ct);

        // Recovery: Doctor un-forces the host and resets the servers to active; the next run starts from a clean cloud.
        var recovery = Stopwatch.GetTimestamp();
        using (await admin.Http.PostAsync("v1/events", new StringContent(EventJson(eventId + "-up", "compute.host.up", o.Host), Encoding.UTF8, "application/json"), ct))
        {
        }

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var seen = (await cloud.ServersOnHostAsync(o.Host, ct)).Where(x => ids.Contains(x.Id)).ToList();
            if (seen.Count == ids.Count && seen.All(x => x.Status == "ACTIVE" && x.HostStatus == "UP" && x.TaskState is null))
                break;
            if (deadline.Elapsed > TimeSpan.FromMinutes(2))
                throw new TimeoutException($"Nova did not show all {ids.Count} servers ACTIVE on an UP {o.Host} within 2 minutes of compute.host.up");
            await Task.Delay(100, ct);
        }

        result.Recovery = Since(recovery, Stopwatch.GetTimestamp());
        // Quiet: no Aodh webhook for a second (a late one must not land in the next run), at most 15 s.
        var quiet = Stopwatch.StartNew();
        while (Stopwatch.GetElapsedTime(Math.Max(watch.LastAodhArrival, recovery)) < TimeSpan.FromSeconds(1) && quiet.Elapsed < TimeSpan.FromSeconds(15))
            await Task.Delay(100, ct);
        receiver.OnReceived = null;
        return result;
    }

    /// <summary>Polls Nova's server list of the host (one request at a time, <paramref name="pauseMs"/> between) until every
    /// server shows <c>host_status: DOWN</c>; records when that answer arrived and when its request was sent.</summary>
    private static async Task PollHostStatusAsync(BenchCloud cloud, string host, HashSet<string> ids, long start, int pauseMs, RunResult result, CancellationToken ct)
    {
        await Task.Yield();
        double busy = 0;
        while (true)
        {
            var sent = Stopwatch.GetTimestamp();
            IReadOnlyList<NovaServer> seen;
            try
            {
                seen = await cloud.ServersOnHostAsync(host, ct);
            }
            catch (Doctor.OpenStack.OpenStackException) when (!ct.IsCancellationRequested)
            {
                await Task.Delay(Math.Max(pauseMs, 10), ct);
                continue;
            }

            var arrived = Stopwatch.GetTimestamp();
            result.NovaPolls++;
            busy += Since(sent, arrived);
            result.NovaPollMs = busy / result.NovaPolls;
            if (seen.Count(x => ids.Contains(x.Id) && x.HostStatus == "DOWN") == ids.Count)
            {
                result.NovaDown = Since(start, arrived);
                result.NovaDownSent = Since(start, sent);
                return;
            }

            if (pauseMs > 0)
                await Task.Delay(pauseMs, ct);
        }
    }

    /// <summary>Doctor's own account of the fault: its controller calls (ms after it received the event), bounded wait until
    /// the force-down and every reset-state have completed.</summary>
    private static async Task ReadTimelineAsync(DoctorClient admin, string host, int vms, RunResult result, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var faults = await admin.GetAsync($"/v1/faults?state=active&resource_type=host&resource_id={Uri.EscapeDataString(host)}", ct);
            if (faults?["faults"]?[0]?["fault_id"]?.GetValue<string>() is { } faultId)
            {
                var timeline = await admin.GetAsync($"/v1/faults/{faultId}/timeline", ct);
                var calls = (timeline?["controller_actions"]?.AsArray() ?? []).OfType<JsonObject>().ToList();
                var delivered = (timeline?["deliveries"]?.AsArray() ?? []).Select(d => d?["delivered_ms"]).OfType<JsonValue>().Select(v => v.GetValue<double>()).ToList();
                result.Delivered = delivered.Count > 0 ? delivered.Max() : null;
                var sent = (timeline?["deliveries"]?.AsArray() ?? []).Select(d => d?["sent_ms"]).OfType<JsonValue>().Select(v => v.GetValue<double>()).ToList();
                result.Sent = sent.Count > 0 ? sent.Max() : null;
                double? Checkpoint(string name) =>
                    (timeline?["checkpoints"]?.AsArray() ?? []).FirstOrDefault(c => c?["name"]?.GetValue<string>() == name)?["ms"] is JsonValue v ? v.GetValue<double>() : null;
                result.Built = Checkpoint("notification_built");
                result.Recorded = Checkpoint("recorded");
                double? At(JsonObject c) => c["completed_ms"] is JsonValue v ? v.GetValue<double>() : null;
                var forced = calls.Where(c => c["action"]?.GetValue<string>() == "nova.force_down=true").Select(At).FirstOrDefault();
                var resets = calls.Where(c => c["action"]?.GetValue<string>() == "nova.reset_state=error").ToList();
                var ok = resets.Where(c => c["outcome"]?.GetValue<string>() == "succeeded").Select(At).OfType<double>().ToList();
                if ((forced is not null && resets.Count >= vms) || deadline.Elapsed > TimeSpan.FromSeconds(30))
                {
                    result.ForceDown = forced;
                    result.ResetFirst = ok.Count > 0 ? ok.Min() : null;
                    result.ResetLast = ok.Count == vms ? ok.Max() : null;
                    result.ResetsFailed = resets.Count - ok.Count;
                    return;
                }
            }
            else if (deadline.Elapsed > TimeSpan.FromSeconds(30))
                return;

            await Task.Delay(50, ct);
        }
    }

    private static string EventJson(string id, string type, string host) => new JsonObject
    {
        ["event"] = new JsonObject
        {
            ["id"] = id, ["time"] = DateTime.UtcNow.ToString("O"), ["type"] = type,
            ["details"] = new JsonObject { ["hostname"] = host, ["source"] = "bench" },
        },
    }.ToJsonString();

    private static double Since(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;

    private static string Ms(double? ms) => ms is { } v ? $"{v,7:0.0}" : "      –";
}
