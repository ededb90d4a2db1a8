using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Doctor.Cli.Bench;
using Doctor.Cli.Simulation;
using Doctor.Simulator.Cloud;

namespace Doctor.Cli.Commands;

/// <summary>
/// <c>doctor demo</c>: an embedded Doctor, a simulated cloud whose hosts answer TCP probes, the sample monitor,
/// one consumer and VNF manager per tenant. It fails the host of an active VNF instance, shows every owner's
/// notification arriving, the standby taking over and the profiler's timeline, recovers the host, and leaves the
/// service running for exploration.
/// </summary>
public static class DemoCommand
{
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
        var racks = new RackOptions();
        racks.AddTo(command);
        command.SetAction((result, cancellationToken) => RunAsync(
            racks.Apply(new CloudSpec(result.GetValue(hosts), result.GetValue(vms), result.GetValue(projects), result.GetValue(pairs), 2, result.GetValue(seed)), result),
            result.GetValue(urls)!, result.GetValue(exit), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CloudSpec spec, string urls, bool exit, CancellationToken cancellationToken)
    {
        if (spec.HaPairs < 1)
            throw new ArgumentException("the demo needs at least one ACT-STBY pair");
        await using var rig = await SimulationRig.StartAsync(spec, urls, null, null, cancellationToken);
        var cloud = rig.Cloud;
        Say($"Doctor is up at {rig.Url}.");
        Say($"Simulated cloud loaded: {cloud.Hosts.Count} hosts, {cloud.Vms.Count} VMs with a port each, {cloud.Projects.Count} tenants, {spec.HaPairs} ACT-STBY pairs.");
        Say($"Each tenant's VNF manager subscribed to its own resources (webhooks on {rig.Receiver.Url}, HMAC-signed).");
        Say($"The sample monitor probes every host over TCP every {rig.MonitorOptions.Interval.TotalMilliseconds:0} ms; {rig.MonitorOptions.Misses} misses in a row mean down.");

        // Two rounds: the first pays for JIT compilation and new connections, the second shows the steady state.
        var actives = cloud.Vms.Where(v => v.Role == "ACT").ToList();
        var rounds = new[] { (Label: "first failure, cold: includes JIT compilation and opening connections", Vm: actives[0]) }
            .Concat(actives.Skip(1).Where(v => v.Host != actives[0].Host).Take(1).Select(v => (Label: "second failure, warm", Vm: v)));
        var victim = actives[0].Host;
        foreach (var (label, active) in rounds)
        {
            victim = active.Host;
            await FailAndRecoverAsync(rig, label, active, cancellationToken);
        }

        Say("");
        Say($"Doctor keeps running at {rig.Url}. Admin token: {rig.AdminToken}");
        Say($"  curl -s '{rig.Url}/v1/faults?state=all' -H 'Authorization: Bearer {rig.AdminToken}'");
        Say($"  ./doctor servers --url {rig.Url} --token {rig.AdminToken} --host {victim}");
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

    private static async Task FailAndRecoverAsync(SimulationRig rig, string label, SimVm active, CancellationToken cancellationToken)
    {
        var victim = active.Host;
        var owners = rig.OwnersOn(victim);
        Say("");
        Say($"Failing {victim} ({label}): {rig.Cloud.On(victim).Count()} VMs of {owners} tenants, including the active instance of {active.GroupId}.");
        var failedAt = Stopwatch.GetTimestamp();
        await rig.Network.FailAsync(victim, cancellationToken);
        var down = await rig.WaitForVerdictAsync(victim, down: true, cancellationToken);
        Say($"  monitor: {victim} DOWN after {Stopwatch.GetElapsedTime(failedAt, down.DetectedTicks).TotalMilliseconds:0.0} ms of silence");
        await foreach (var arrival in rig.TakeArrivalsAsync(owners, cancellationToken))
            Show(arrival, down.DetectedTicks);

        var admin = rig.Admin;
        PrintTimeline(await TimelineReader.ForHostAsync(admin, victim, cancellationToken));
        var onHost = (await admin.GetAsync($"/v1/servers?host={victim}&limit=1000", cancellationToken))!["servers"]!.AsArray();
        Say($"  Doctor corrected the map: {victim} is {(await admin.GetAsync($"/v1/hosts/{victim}", cancellationToken))!["state"]}, " +
            $"{onHost.Count(s => s!["state"]!.GetValue<string>() == "error")} of {onHost.Count} VMs on it are in error with host_status DOWN.");

        Say($"Recovering {victim}.");
        await rig.Network.RecoverAsync(victim, cancellationToken);
        var up = await rig.WaitForVerdictAsync(victim, down: false, cancellationToken);
        Say($"  monitor: {victim} UP");
        await foreach (var arrival in rig.TakeArrivalsAsync(owners, cancellationToken))
            Show(arrival, up.DetectedTicks);
        Say($"  {victim} is {(await admin.GetAsync($"/v1/hosts/{victim}", cancellationToken))!["state"]} again; " +
            $"active faults left: {(await admin.GetAsync("/v1/faults?state=active", cancellationToken))!["faults"]!.AsArray().Count}.");
    }

    private static void Show(Arrival a, long since)
    {
        var resources = a.Body["resources"]!.AsArray();
        var servers = resources.Where(r => r!["resource_type"]!.GetValue<string>() == "server").ToList();
        Say($"  +{Stopwatch.GetElapsedTime(since, a.Ticks).TotalMilliseconds,7:0.000} ms after detection  {a.Project} got {a.Body["notification_type"]}: " +
            $"{servers.Count} VMs ({string.Join(", ", servers.Take(4).Select(s => $"{s!["resource_id"]} {s["state"]}"))}{(servers.Count > 4 ? ", …" : "")}) " +
            $"and {resources.Count - servers.Count} ports; signature {(a.SignatureOk ? "ok" : "BAD")}, no host name inside: {!a.Body.ToJsonString().Contains("compute-", StringComparison.Ordinal)}");
        foreach (var s in a.Switched)
            Say($"      {s.ProjectId}'s VNF manager: {s.GroupId} switched over, {s.NewActive} is now ACT ({s.FailedActive} failed)");
    }

    /// <summary>The original profiler's view: each stage, when it ended, and its share of the whole.</summary>
    private static void PrintTimeline(IReadOnlyDictionary<string, double> checkpoints)
    {
        Say("  Profiler timeline of the root fault (ms after the event was received):");
        var total = checkpoints.Count > 0 ? checkpoints.Values.Max() : 0;
        var previous = 0.0;
        foreach (var (name, ms) in checkpoints.OrderBy(c => c.Value))
        {
            var share = total > 0 ? (ms - previous) / total : 0;
            Say($"    {(name == "delivered" ? "all delivered" : name),-20} {ms,8:0.000}  {new string('#', (int)Math.Round(share * 40)),-40} {share,4:P0}");
            previous = ms;
        }
    }

    private static void Say(string line) => Console.WriteLine(line);
}
