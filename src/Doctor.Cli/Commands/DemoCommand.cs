using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Doctor.Access;
using Doctor.Cli.Bench;
using Doctor.Cli.Client;
using Doctor.Notification;
using Doctor.Server.Hosting;
using Doctor.Simulator.Cloud;
using Doctor.Simulator.Monitoring;
using Doctor.Simulator.Vnf;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Doctor.Cli.Commands;

/// <summary>
/// <c>doctor demo</c>: an embedded Doctor, a simulated cloud whose hosts answer TCP probes, the sample monitor,
/// one consumer and VNF manager per tenant. It fails the host of an active VNF instance, shows every owner's
/// notification arriving, the standby taking over and the profiler's timeline, recovers the host, and leaves the
/// service running for exploration.
/// </summary>
public static class DemoCommand
{
    private const string Secret = "demo-webhook-secret-0123456789";

    public static Command Create()
    {
        var hosts = new Option<int>("--hosts") { DefaultValueFactory = _ => 8, Description = "simulated hosts" };
        var vms = new Option<int>("--vms-per-host") { DefaultValueFactory = _ => 25, Description = "VMs per host" };
        var projects = new Option<int>("--projects") { DefaultValueFactory = _ => 5, Description = "tenants" };
        var pairs = new Option<int>("--ha-pairs") { DefaultValueFactory = _ => 5, Description = "ACT-STBY pairs" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1, Description = "placement seed" };
        var urls = new Option<string>("--urls") { DefaultValueFactory = _ => "http://127.0.0.1:12345", Description = "where the embedded Doctor listens" };
        var exit = new Option<bool>("--exit") { Description = "exit after the demonstration instead of serving until Ctrl-C" };
        var command = new Command("demo", "See Doctor work: a simulated cloud, a host failure, owners notified, standby takes over")
        {
            hosts, vms, projects, pairs, seed, urls, exit,
        };
        command.SetAction((result, cancellationToken) => RunAsync(
            new CloudSpec(result.GetValue(hosts), result.GetValue(vms), result.GetValue(projects), result.GetValue(pairs), 2, result.GetValue(seed)),
            result.GetValue(urls)!, result.GetValue(exit), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CloudSpec spec, string urls, bool exit, CancellationToken cancellationToken)
    {
        var cloud = SimulatedCloud.Generate(spec);
        var dataDir = Directory.CreateTempSubdirectory("doctor-demo-").FullName;
        var adminToken = TokenSecrets.Generate();
        var app = DoctorApp.Create([], o =>
        {
            o.DataDir = dataDir;
            o.Urls = urls;
            o.AdminToken = adminToken;
        }, builder => builder.Logging.AddFilter("Microsoft", LogLevel.Warning).SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync(cancellationToken);
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        await using var agents = new HostAgents(cloud.Hosts);
        await using var receiver = await WebhookReceiver.StartAsync();
        using var admin = new DoctorClient(url, adminToken);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task? monitorTask = null;
        try
        {
            Say($"Doctor is up at {url} (data in {dataDir}).");
            await admin.PostAsync("/v1/inventory", cloud.ToInventory().ToJsonString(), cancellationToken);
            Say($"Simulated cloud loaded: {cloud.Hosts.Count} hosts, {cloud.Vms.Count} VMs with a port each, {cloud.Projects.Count} tenants, {spec.HaPairs} ACT-STBY pairs.");

            var managers = cloud.Projects.ToDictionary(p => p, p => new VnfManager(p, cloud.Vms));
            var arrivals = new ConcurrentQueue<(long Ticks, string Project, JsonNode Body, bool SignatureOk, IReadOnlyList<Switchover> Switched)>();
            receiver.OnReceived = r =>
            {
                var project = r.Path.Trim('/');
                var body = r.Json;
                IReadOnlyList<Switchover> switched;
                lock (managers)
                    switched = managers[project].Handle(body);
                arrivals.Enqueue((r.ArrivedTicks, project, body, Signatures.Verify(Secret, r.Body, r.Signature), switched));
            };
            foreach (var project in cloud.Projects)
            {
                var token = await admin.PostAsync("/v1/tokens", new { role = "project", project_id = project }, cancellationToken);
                using var tenant = new DoctorClient(url, token!["token"]!.GetValue<string>());
                await tenant.PostAsync("/v1/subscriptions", new { callback_url = $"{receiver.Url}/{project}", secret = Secret }, cancellationToken);
            }

            Say($"Each tenant's VNF manager subscribed to its own resources (webhooks on {receiver.Url}, HMAC-signed).");

            var monitorToken = (await admin.PostAsync("/v1/tokens", new { role = "monitor" }, cancellationToken))!["token"]!.GetValue<string>();
            var options = new MonitorOptions();
            var monitor = new HostMonitor([.. cloud.Hosts.Select(h => new ProbeTarget(h, "127.0.0.1", agents.PortOf(h)))], new TcpProbe(), options, TimeProvider.System);
            var reporter = new EventReporter(admin.Http, monitorToken, options.MonitorId, TimeProvider.System);
            var verdicts = new ConcurrentQueue<HostVerdict>();
            monitorTask = monitor.RunAsync(async v =>
            {
                verdicts.Enqueue(v);
                await reporter.ReportAsync(v, stop.Token);
            }, stop.Token);
            Say($"The sample monitor probes every host over TCP every {options.Interval.TotalMilliseconds:0} ms; {options.Misses} misses in a row mean down.");

            // Two rounds: the first pays for JIT compilation and new connections, the second shows the steady state.
            var actives = cloud.Vms.Where(v => v.Role == "ACT").ToList();
            var rounds = new[] { (Label: "first failure, cold: includes JIT compilation and opening connections", Vm: actives[0]) }
                .Concat(actives.Skip(1).Where(v => v.Host != actives[0].Host).Take(1).Select(v => (Label: "second failure, warm", Vm: v)));
            string? victim = null;
            foreach (var (label, active) in rounds)
            {
                victim = active.Host;
                await FailAndRecoverAsync(label, active, cloud, agents, verdicts, arrivals, admin, stop.Token);
            }

            Say("");
            Say($"Doctor keeps running at {url}. Admin token: {adminToken}");
            Say($"  curl -s '{url}/v1/faults?state=all' -H 'Authorization: Bearer {adminToken}'");
            Say($"  doctor servers --url {url} --token {adminToken} --host {victim ?? cloud.Hosts[0]}");
            if (!exit)
            {
                Say("Ctrl-C stops it.");
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                }
            }

            return 0;
        }
        finally
        {
            await stop.CancelAsync();
            if (monitorTask is not null)
            {
                try
                {
                    await monitorTask;
                }
                catch (OperationCanceledException)
                {
                }
            }

            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static async Task FailAndRecoverAsync(
        string label, SimVm active, SimulatedCloud cloud, HostAgents agents, ConcurrentQueue<HostVerdict> verdicts,
        ConcurrentQueue<(long Ticks, string Project, JsonNode Body, bool SignatureOk, IReadOnlyList<Switchover> Switched)> arrivals,
        DoctorClient admin, CancellationToken cancellationToken)
    {
        var victim = active.Host;
        var owners = cloud.On(victim).Select(v => v.ProjectId).Distinct().Count();
        Say("");
        Say($"Failing {victim} ({label}): {cloud.On(victim).Count()} VMs of {owners} tenants, including the active instance of {active.GroupId}.");
        var failedAt = Stopwatch.GetTimestamp();
        agents.Fail(victim);
        var down = await WaitAsync(verdicts, v => v.Hostname == victim && v.Down, cancellationToken);
        Say($"  monitor: {victim} DOWN after {Stopwatch.GetElapsedTime(failedAt, down.DetectedTicks).TotalMilliseconds:0.0} ms of silence");
        await ShowArrivalsAsync(arrivals, owners, down.DetectedTicks, cancellationToken);

        var root = (await admin.GetAsync($"/v1/faults?state=active&resource_type=host&resource_id={victim}", cancellationToken))!["faults"]![0]!;
        PrintTimeline((await admin.GetAsync($"/v1/faults/{root["fault_id"]}/timeline", cancellationToken))!);
        var onHost = (await admin.GetAsync($"/v1/servers?host={victim}&limit=1000", cancellationToken))!["servers"]!.AsArray();
        Say($"  Doctor corrected the map: {victim} is {(await admin.GetAsync($"/v1/hosts/{victim}", cancellationToken))!["state"]}, " +
            $"{onHost.Count(s => s!["state"]!.GetValue<string>() == "error")} of {onHost.Count} VMs on it are in error with host_status DOWN.");

        Say($"Recovering {victim}.");
        agents.Recover(victim);
        var up = await WaitAsync(verdicts, v => v.Hostname == victim && !v.Down, cancellationToken);
        Say($"  monitor: {victim} UP");
        await ShowArrivalsAsync(arrivals, owners, up.DetectedTicks, cancellationToken);
        Say($"  {victim} is {(await admin.GetAsync($"/v1/hosts/{victim}", cancellationToken))!["state"]} again; " +
            $"active faults left: {(await admin.GetAsync("/v1/faults?state=active", cancellationToken))!["faults"]!.AsArray().Count}.");
    }

    private static async Task<HostVerdict> WaitAsync(ConcurrentQueue<HostVerdict> verdicts, Func<HostVerdict, bool> match, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            while (verdicts.TryDequeue(out var verdict))
            {
                if (match(verdict))
                    return verdict;
            }

            await Task.Delay(5, timeout.Token);
        }
    }

    private static async Task ShowArrivalsAsync(
        ConcurrentQueue<(long Ticks, string Project, JsonNode Body, bool SignatureOk, IReadOnlyList<Switchover> Switched)> arrivals,
        int expected, long since, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        for (var seen = 0; seen < expected;)
        {
            if (!arrivals.TryDequeue(out var a))
            {
                await Task.Delay(2, timeout.Token);
                continue;
            }

            seen++;
            var resources = a.Body["resources"]!.AsArray();
            var servers = resources.Where(r => r!["resource_type"]!.GetValue<string>() == "server").ToList();
            Say($"  +{Stopwatch.GetElapsedTime(since, a.Ticks).TotalMilliseconds,7:0.000} ms after detection  {a.Project} got {a.Body["notification_type"]}: " +
                $"{servers.Count} VMs ({string.Join(", ", servers.Take(4).Select(s => $"{s!["resource_id"]} {s["state"]}"))}{(servers.Count > 4 ? ", …" : "")}) " +
                $"and {resources.Count - servers.Count} ports; signature {(a.SignatureOk ? "ok" : "BAD")}, no host name inside: {!a.Body.ToJsonString().Contains("compute-", StringComparison.Ordinal)}");
            foreach (var s in a.Switched)
                Say($"      {s.ProjectId}'s VNF manager: {s.GroupId} switched over, {s.NewActive} is now ACT ({s.FailedActive} failed)");
        }
    }

    private static void PrintTimeline(JsonNode timeline)
    {
        Say("  Profiler timeline of the root fault (ms after the event was received):");
        var points = timeline["checkpoints"]!.AsArray()
            .Select(c => (Name: c!["name"]!.GetValue<string>(), Ms: c["ms"] is JsonValue v ? v.GetValue<double>() : double.NaN))
            .Where(p => !double.IsNaN(p.Ms))
            .ToList();
        var delivered = timeline["deliveries"]!.AsArray().Select(d => d?["delivered_ms"]).OfType<JsonValue>().Select(v => v.GetValue<double>()).ToList();
        if (delivered.Count > 0)
            points.Add(("all delivered", delivered.Max()));
        var total = points.Count > 0 ? points[^1].Ms : 0;
        var previous = 0.0;
        foreach (var (name, ms) in points)
        {
            var share = total > 0 ? (ms - previous) / total : 0;
            Say($"    {name,-20} {ms,8:0.000}  {new string('#', (int)Math.Round(share * 40)),-40} {share,4:P0}");
            previous = ms;
        }
    }

    private static void Say(string line) => Console.WriteLine(line);
}
