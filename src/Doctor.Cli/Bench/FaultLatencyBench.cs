using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Doctor.Cli.Client;
using Doctor.Server.Hosting;
using Doctor.Simulator.Cloud;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Doctor.Cli.Bench;

/// <summary>Parameters of the fault → webhook latency benchmark.</summary>
/// <param name="HostsPerSwitch">When positive, the hosts hang off top-of-rack switches, this many each.</param>
/// <param name="FailSwitch">Fail a switch (every host behind it, every VM on them) instead of one host.</param>
public sealed record FaultBenchOptions(
    int VmsPerHost, int Projects, int Hosts, int Runs, int Warmup, string? JsonPath, bool InProcess = false, int HostsPerSwitch = 0, bool FailSwitch = false)
{
    /// <summary>VMs behind the failed resource.</summary>
    public int AffectedVms => FailSwitch ? VmsPerHost * Math.Min(HostsPerSwitch, Hosts) : VmsPerHost;

    /// <summary>Owners of those VMs: each must get its one notification for a run to end.</summary>
    public int Owners => Math.Min(Projects, AffectedVms);
}

/// <summary>
/// Event → every owner's webhook, end to end on loopback: a real Doctor server (SQLite, fsync on), real HTTP
/// consumers, one monotonic clock. Each run fails one host (or one switch and every host behind it), waits for every
/// owner's notification, then recovers it.
/// </summary>
public static class FaultLatencyBench
{
    private const string AdminToken = "bench-admin-token-0123456789abcdef";

    public static async Task<int> RunAsync(FaultBenchOptions o, CancellationToken cancellationToken)
    {
        // The server runs in its own process, as in production: its heap and its GC pauses are its own, not shared
        // with the load generator and the consumers that parse every notification.
        // --in-process hosts it in the benchmark's own process instead (one heap, no process boundary).
        var dataDir = Directory.CreateTempSubdirectory("doctor-bench-").FullName;
        await using var server = o.InProcess ? await InProcessServer.StartAsync(dataDir, AdminToken, cancellationToken) : (IAsyncDisposable)(await ServerProcess.StartAsync(dataDir, AdminToken)).Server;
        var url = server is ServerProcess process ? process.Url : ((InProcessServer)server).Url;
        await using var receiver = await WebhookReceiver.StartAsync();
        try
        {
            using var admin = new DoctorClient(url, AdminToken);
            await LoadCloudAsync(admin, receiver, url, o, cancellationToken);
            var result = await MeasureAsync(admin, receiver, o, cancellationToken);
            Report(o, result);
            return 0;
        }
        finally
        {
            await server.DisposeAsync(); // before the directory goes (the await using would come too late)
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static async Task LoadCloudAsync(DoctorClient admin, WebhookReceiver receiver, string url, FaultBenchOptions o, CancellationToken ct)
    {
        var hosts = new JsonArray();
        var servers = new JsonArray();
        var ports = new JsonArray();
        for (var h = 0; h < o.Hosts; h++)
        {
            hosts.Add(new JsonObject { ["name"] = $"host-{h}", ["zone"] = "az1" });
            // Owners run on consecutive VMs across hosts, so a host has min(projects, VMs) owners and a switch's hosts
            // together min(projects, their VMs).
            for (var v = 0; v < o.VmsPerHost; v++)
            {
                var id = $"vm-{h}-{v}";
                servers.Add(new JsonObject { ["id"] = id, ["name"] = id, ["project_id"] = $"project-{(h * o.VmsPerHost + v) % o.Projects}", ["host"] = $"host-{h}" });
                ports.Add(new JsonObject { ["id"] = $"port-{h}-{v}", ["server_id"] = id, ["network_id"] = "net-1" });
            }
        }

        var inventory = new JsonObject { ["hosts"] = hosts, ["servers"] = servers, ["ports"] = ports };
        if (o.HostsPerSwitch > 0)
        {
            var names = Enumerable.Range(0, o.Hosts).Select(h => $"host-{h}").ToList();
            var racks = RackTopology.Build(names, _ => "az1", o.HostsPerSwitch, switchesPerRack: 1, pdus: false);
            inventory["devices"] = SimulatedCloud.Inventory(racks.SelectMany(r => r.Devices));
        }

        await admin.PostAsync("/v1/inventory", inventory.ToJsonString(), ct);
        for (var p = 0; p < o.Projects; p++)
        {
            var token = await admin.PostAsync("/v1/tokens", new { role = "project", project_id = $"project-{p}" }, ct);
            using var project = new DoctorClient(url, token!["token"]!.GetValue<string>());
            await project.PostAsync("/v1/subscriptions", new { callback_url = $"{receiver.Url}/project-{p}" }, ct);
        }
    }

    private sealed record Measured(List<double> Ack, List<double> First, List<double> All, Dictionary<string, List<double>> Checkpoints, int Notifications);

    private static async Task<Measured> MeasureAsync(DoctorClient admin, WebhookReceiver receiver, FaultBenchOptions o, CancellationToken ct)
    {
        var expected = o.Owners;
        var switches = o.FailSwitch ? (o.Hosts + o.HostsPerSwitch - 1) / o.HostsPerSwitch : 0;
        var arrivals = new List<long>();
        TaskCompletionSource? done = null;
        var remaining = 0;
        receiver.OnReceived = r =>
        {
            lock (arrivals)
            {
                arrivals.Add(r.ArrivedTicks);
                if (--remaining == 0)
                    done?.TrySetResult();
            }
        };

        var measured = new Measured([], [], [], new Dictionary<string, List<double>>(), 0);
        var total = o.Warmup + o.Runs;
        for (var run = 0; run < total; run++)
        {
            // RackTopology numbers racks from 1 in host order, one switch each here.
            var (type, detail, target) = o.FailSwitch
                ? ("device", "device_id", $"tor-{run % switches + 1:000}-1")
                : ("host", "hostname", $"host-{run % o.Hosts}");
            lock (arrivals)
            {
                arrivals.Clear();
                remaining = expected;
                done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            var body = EventJson($"bench-{run}-down", o.FailSwitch ? "network.switch.down" : "compute.host.down", detail, target);
            var start = Stopwatch.GetTimestamp();
            using (var response = await admin.Http.PostAsync("v1/events", new StringContent(body, Encoding.UTF8, "application/json"), ct))
            {
                var acked = Stopwatch.GetTimestamp();
                if ((int)response.StatusCode != 202)
                    throw new InvalidOperationException($"event refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
                if (run >= o.Warmup)
                    measured.Ack.Add(Stopwatch.GetElapsedTime(start, acked).TotalMilliseconds);
            }

            await done.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
            if (run >= o.Warmup)
            {
                lock (arrivals)
                {
                    measured.First.Add(Stopwatch.GetElapsedTime(start, arrivals.Min()).TotalMilliseconds);
                    measured.All.Add(Stopwatch.GetElapsedTime(start, arrivals.Max()).TotalMilliseconds);
                }

                await CollectTimelineAsync(admin, type, target, measured.Checkpoints, ct);
            }

            lock (arrivals)
            {
                remaining = expected;
                done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            var up = EventJson($"bench-{run}-up", o.FailSwitch ? "network.switch.up" : "compute.host.up", detail, target);
            using (await admin.Http.PostAsync("v1/events", new StringContent(up, Encoding.UTF8, "application/json"), ct))
            {
            }

            await done.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        }

        return measured with { Notifications = receiver.All.Count };
    }

    private static string EventJson(string id, string type, string detail, string target) => new JsonObject
    {
        ["event"] = new JsonObject
        {
            ["id"] = id, ["time"] = DateTime.UtcNow.ToString("O"), ["type"] = type,
            ["details"] = new JsonObject { [detail] = target, ["source"] = "bench" },
        },
    }.ToJsonString();

    private static async Task CollectTimelineAsync(DoctorClient admin, string type, string id, Dictionary<string, List<double>> checkpoints, CancellationToken ct)
    {
        foreach (var (name, ms) in await TimelineReader.ForResourceAsync(admin, type, id, ct))
            Add(checkpoints, name, ms);
    }

    private static void Add(Dictionary<string, List<double>> map, string key, double value)
    {
        if (!map.TryGetValue(key, out var list))
            map[key] = list = [];
        list.Add(value);
    }

    private static void Report(FaultBenchOptions o, Measured m)
    {
        var ack = Percentiles.Of(m.Ack);
        var first = Percentiles.Of(m.First);
        var all = Percentiles.Of(m.All);
        var what = o.FailSwitch ? $"behind the failed switch ({Math.Min(o.HostsPerSwitch, o.Hosts)} hosts)" : "on the failed host";
        Console.WriteLine($"fault → webhook, {o.AffectedVms} VMs of {o.Owners} owners {what}, {o.Runs} runs (+{o.Warmup} warm-up), {StoreLabel}, server {(o.InProcess ? "in this process" : "in its own process")}");
        Console.WriteLine($"  202 accepted (durable):    {ack}");
        Console.WriteLine($"  first owner notified:      {first}");
        Console.WriteLine($"  every owner notified:      {all}");
        Console.WriteLine("  server-side checkpoints (ms after received, p50 / p99):");
        foreach (var (name, values) in m.Checkpoints)
        {
            var p = Percentiles.Of(values);
            Console.WriteLine($"    {name,-20} {p.P50,8:0.000} / {p.P99,8:0.000}");
        }

        if (o.JsonPath is null)
            return;
        var report = new JsonObject
        {
            ["scenario"] = "fault_latency",
            ["date"] = DateTime.UtcNow.ToString("O"),
            ["machine"] = new JsonObject { ["cores"] = Environment.ProcessorCount, ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription, ["runtime"] = Environment.Version.ToString() },
            ["failed"] = o.FailSwitch ? "switch" : "host",
            ["vms_on_failed_host"] = o.VmsPerHost,
            ["affected_vms"] = o.AffectedVms,
            ["owners"] = o.Owners,
            ["runs"] = o.Runs,
            ["hosts_per_switch"] = o.HostsPerSwitch,
            ["accepted_ms"] = ack.ToJson(),
            ["first_owner_ms"] = first.ToJson(),
            ["notification_ms"] = all.ToJson(),
            ["checkpoints"] = new JsonObject(m.Checkpoints.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)Percentiles.Of(kv.Value).ToJson()))),
        };
        var directory = Path.GetDirectoryName(Path.GetFullPath(o.JsonPath));
        if (directory is not null)
            Directory.CreateDirectory(directory);
        File.WriteAllText(o.JsonPath, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"  written to {o.JsonPath}");
    }

    /// <summary>The store the server process uses: it inherits DOCTOR_STORE / DOCTOR_CONNECTION from the bench.</summary>
    private static string StoreLabel =>
        string.Equals(Environment.GetEnvironmentVariable(DoctorConstants.StoreVariable), DoctorConstants.PostgresStoreName, StringComparison.OrdinalIgnoreCase)
            ? "PostgreSQL synchronous_commit on"
            : "SQLite fsync on";
}
