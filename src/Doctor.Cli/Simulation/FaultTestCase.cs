using System.Diagnostics;
using System.Text.Json.Nodes;
using Doctor.Cli.Bench;
using Doctor.Simulator.Cloud;

namespace Doctor.Cli.Simulation;

/// <summary>Parameters of <c>doctor test fault</c>.</summary>
public sealed record FaultTestOptions(CloudSpec Cloud, int Runs, int Warmup, string Listen, string? TargetUrl, string? TargetToken);

/// <summary>What one run of the fault test case found.</summary>
public sealed record FaultRun(string Host, int Owners, int VmsOnHost, double NotificationMs, bool EveryOwnerOnce, bool OnlyOwnVms, bool NoHostName, Dictionary<string, double> Checkpoints);

/// <summary>
/// The original OPNFV Doctor fault-management test case on the simulator: a host stops answering, the monitor
/// detects it, and every owner of a VM on it must be notified — about its own VMs only — well within 1 s.
/// <c>notification time = consumer received − monitor detected</c>, on one monotonic clock.
/// </summary>
public static class FaultTestCase
{
    /// <summary>The original requirement.</summary>
    public const double CriterionMs = 1000;

    /// <summary>This project's bar for every owner of a host with 50 VMs (README).</summary>
    public const double OwnBarMs = 5;

    public static async Task<(JsonObject Report, IReadOnlyList<FaultRun> Runs)> RunAsync(FaultTestOptions o, Action<string> say, CancellationToken cancellationToken)
    {
        await using var rig = await SimulationRig.StartAsync(o.Cloud, o.Listen, o.TargetUrl, o.TargetToken, cancellationToken);
        say($"target {rig.Url}; cloud of {rig.Cloud.Hosts.Count} hosts, {rig.Cloud.Vms.Count} VMs, {rig.Cloud.Projects.Count} tenants; {o.Runs} runs (+{o.Warmup} warm-up)");
        var runs = new List<FaultRun>();
        for (var i = 0; i < o.Warmup + o.Runs; i++)
        {
            var host = rig.Cloud.Hosts[i % rig.Cloud.Hosts.Count];
            var run = await RunOnceAsync(rig, host, cancellationToken);
            if (i < o.Warmup)
                continue;
            runs.Add(run);
            say($"  run {runs.Count,3}: {host} ({run.VmsOnHost} VMs, {run.Owners} owners) → every owner notified after {run.NotificationMs,8:0.000} ms" +
                (run.EveryOwnerOnce && run.OnlyOwnVms && run.NoHostName ? string.Empty : "  CONTENT CHECK FAILED"));
        }

        var notification = Percentiles.Of([.. runs.Select(r => r.NotificationMs)]);
        var checkpoints = new JsonObject();
        foreach (var name in new[] { "found_affected", "marked_host_down", "set_vm_error", "notification_built", "delivered" })
        {
            var values = runs.Where(r => r.Checkpoints.ContainsKey(name)).Select(r => r.Checkpoints[name]).ToList();
            checkpoints[name] = Percentiles.Of(values).ToJson();
        }

        var contentOk = runs.All(r => r.EveryOwnerOnce && r.OnlyOwnVms && r.NoHostName);
        var passed = contentOk && notification.Max < CriterionMs;
        var report = new JsonObject
        {
            ["runs"] = runs.Count,
            ["vms_on_failed_host"] = runs.Count == 0 ? 0 : (int)runs.Average(r => r.VmsOnHost),
            ["owners_per_host"] = runs.Count == 0 ? 0 : Math.Round(runs.Average(r => r.Owners), 1),
            ["notification_ms"] = notification.ToJson(),
            ["checkpoints"] = checkpoints,
            ["criterion_ms"] = CriterionMs,
            ["own_bar_ms"] = OwnBarMs,
            ["own_bar_met"] = notification.P99 <= OwnBarMs,
            ["every_owner_notified_with_own_vms_only"] = contentOk,
            ["passed"] = passed,
        };
        say($"notification time (consumer received − monitor detected): {notification}");
        say($"original criterion (< {CriterionMs:0} ms, every run): {(passed ? "PASSED" : "FAILED")}; this project's bar (p99 ≤ {OwnBarMs} ms): {(notification.P99 <= OwnBarMs ? "met" : "not met")}");
        return (report, runs);
    }

    private static async Task<FaultRun> RunOnceAsync(SimulationRig rig, string host, CancellationToken cancellationToken)
    {
        var owners = rig.OwnersOn(host);
        var vmsByProject = rig.Cloud.On(host).GroupBy(v => v.ProjectId).ToDictionary(g => g.Key, g => g.Select(v => v.Id).Order(StringComparer.Ordinal).ToList());
        rig.Agents.Fail(host);
        var down = await rig.WaitForVerdictAsync(host, down: true, cancellationToken);
        var arrivals = new List<Arrival>();
        await foreach (var arrival in rig.TakeArrivalsAsync(owners, cancellationToken))
            arrivals.Add(arrival);
        var notificationMs = Stopwatch.GetElapsedTime(down.DetectedTicks, arrivals.Max(a => a.Ticks)).TotalMilliseconds;

        var everyOwnerOnce = arrivals.Select(a => a.Project).Order().SequenceEqual(vmsByProject.Keys.Order());
        var onlyOwn = arrivals.All(a =>
            a.Body["notification_type"]!.GetValue<string>() == "fault" &&
            a.Body["resources"]!.AsArray().Where(r => r!["resource_type"]!.GetValue<string>() == "server")
                .Select(r => r!["resource_id"]!.GetValue<string>()).Order(StringComparer.Ordinal)
                .SequenceEqual(vmsByProject.GetValueOrDefault(a.Project) ?? []));
        var noHostName = arrivals.All(a => !a.Body.ToJsonString().Contains(host, StringComparison.Ordinal));

        var checkpoints = await TimelineReader.ForHostAsync(rig.Admin, host, cancellationToken);

        rig.Agents.Recover(host);
        await rig.WaitForVerdictAsync(host, down: false, cancellationToken);
        await foreach (var _ in rig.TakeArrivalsAsync(owners, cancellationToken))
        {
        }

        return new FaultRun(host, owners, rig.Cloud.On(host).Count(), notificationMs, everyOwnerOnce, onlyOwn, noHostName, checkpoints);
    }

}
