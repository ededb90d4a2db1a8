using System.Diagnostics;
using System.Text.Json.Nodes;
using Doctor.Cli.Bench;
using Doctor.Simulator.Cloud;
using Doctor.Simulator.Network;

namespace Doctor.Cli.Simulation;

/// <summary>Parameters of <c>doctor test fault</c>. <paramref name="Inject"/> is <c>agent</c> or <c>link</c>;
/// <paramref name="FallbackToAgent"/> runs agent injection where link injection is unavailable instead of skipping.</summary>
public sealed record FaultTestOptions(CloudSpec Cloud, int Runs, int Warmup, string Listen, string? TargetUrl, string? TargetToken, string Inject = "agent", bool FallbackToAgent = false);

/// <summary>What one run of the fault test case found. <paramref name="DetectionMs"/>: failure in place → monitor's verdict.</summary>
public sealed record FaultRun(string Host, int Owners, int VmsOnHost, double DetectionMs, double NotificationMs, bool EveryOwnerOnce, bool OnlyOwnVms, bool NoHostName, Dictionary<string, double> Checkpoints);

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
        SimulationRig rig;
        string? unavailable = null;
        try
        {
            rig = await SimulationRig.StartAsync(o.Cloud, o.Listen, o.TargetUrl, o.TargetToken, cancellationToken, HostNetworks.Factory(o.Inject));
        }
        catch (LinkUnavailableException ex) when (!o.FallbackToAgent)
        {
            say($"SKIPPED: --inject link is not possible here: {ex.Message}");
            return (Skipped(o.Inject, ex.Message), []);
        }
        catch (LinkUnavailableException ex)
        {
            unavailable = ex.Message;
            say($"--inject link is not possible here ({ex.Message}); falling back to --inject agent as asked");
            rig = await SimulationRig.StartAsync(o.Cloud, o.Listen, o.TargetUrl, o.TargetToken, cancellationToken);
        }

        await using (rig)
        {
            var (report, runs) = await RunAsync(rig, o, say, cancellationToken);
            report["inject_requested"] = o.Inject;
            if (unavailable is not null)
                report["fallback_reason"] = unavailable;
            return (report, runs);
        }
    }

    /// <summary>The report of a run that could not inject the way it was asked to: nothing was measured.</summary>
    public static JsonObject Skipped(string inject, string reason) => new()
    {
        ["inject"] = inject,
        ["inject_requested"] = inject,
        ["skipped"] = true,
        ["skip_reason"] = reason,
        ["runs"] = 0,
        ["passed"] = false,
    };

    private static async Task<(JsonObject Report, IReadOnlyList<FaultRun> Runs)> RunAsync(SimulationRig rig, FaultTestOptions o, Action<string> say, CancellationToken cancellationToken)
    {
        say($"target {rig.Url}; cloud of {rig.Cloud.Hosts.Count} hosts, {rig.Cloud.Vms.Count} VMs, {rig.Cloud.Projects.Count} tenants; {o.Runs} runs (+{o.Warmup} warm-up); " +
            $"failure injected by {Describe(rig.Network)}");
        var runs = new List<FaultRun>();
        for (var i = 0; i < o.Warmup + o.Runs; i++)
        {
            var host = rig.Cloud.Hosts[i % rig.Cloud.Hosts.Count];
            var run = await RunOnceAsync(rig, host, cancellationToken);
            if (i < o.Warmup)
                continue;
            runs.Add(run);
            say($"  run {runs.Count,3}: {host} ({run.VmsOnHost} VMs, {run.Owners} owners) detected after {run.DetectionMs,6:0.0} ms → every owner notified after {run.NotificationMs,8:0.000} ms" +
                (run.EveryOwnerOnce && run.OnlyOwnVms && run.NoHostName ? string.Empty : "  CONTENT CHECK FAILED"));
        }

        var notification = Percentiles.Of([.. runs.Select(r => r.NotificationMs)]);
        var detection = Percentiles.Of([.. runs.Select(r => r.DetectionMs)]);
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
            ["inject"] = rig.Network.Kind,
            ["skipped"] = false,
            ["runs"] = runs.Count,
            ["vms_on_failed_host"] = runs.Count == 0 ? 0 : (int)runs.Average(r => r.VmsOnHost),
            ["owners_per_host"] = runs.Count == 0 ? 0 : Math.Round(runs.Average(r => r.Owners), 1),
            ["detection_ms"] = detection.ToJson(),
            ["notification_ms"] = notification.ToJson(),
            ["checkpoints"] = checkpoints,
            ["criterion_ms"] = CriterionMs,
            ["own_bar_ms"] = OwnBarMs,
            ["own_bar_met"] = notification.P99 <= OwnBarMs,
            ["every_owner_notified_with_own_vms_only"] = contentOk,
            ["passed"] = passed,
        };
        say($"detection time (failure in place → monitor's verdict, {rig.MonitorOptions.Misses} misses of {rig.MonitorOptions.Interval.TotalMilliseconds:0} ms): {detection}");
        say($"notification time (consumer received − monitor detected): {notification}");
        say($"original criterion (< {CriterionMs:0} ms, every run): {(passed ? "PASSED" : "FAILED")}; this project's bar (p99 ≤ {OwnBarMs} ms): {(notification.P99 <= OwnBarMs ? "met" : "not met")}");
        return (report, runs);
    }

    private static async Task<FaultRun> RunOnceAsync(SimulationRig rig, string host, CancellationToken cancellationToken)
    {
        var owners = rig.OwnersOn(host);
        var vmsByProject = rig.Cloud.On(host).GroupBy(v => v.ProjectId).ToDictionary(g => g.Key, g => g.Select(v => v.Id).Order(StringComparer.Ordinal).ToList());
        await rig.Network.FailAsync(host, cancellationToken);
        var failed = Stopwatch.GetTimestamp();
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

        await rig.Network.RecoverAsync(host, cancellationToken);
        await rig.WaitForVerdictAsync(host, down: false, cancellationToken);
        await foreach (var _ in rig.TakeArrivalsAsync(owners, cancellationToken))
        {
        }

        return new FaultRun(host, owners, rig.Cloud.On(host).Count(), Stopwatch.GetElapsedTime(failed, down.DetectedTicks).TotalMilliseconds, notificationMs, everyOwnerOnce, onlyOwn, noHostName, checkpoints);
    }

    private static string Describe(IHostNetwork network) => network switch
    {
        NamespaceHosts n => $"link: ip link set {LinkNames.NamespaceVeth} down in the host's network namespace ({n.Links.Values.First().Namespace}, …; probes to {n.Links.Values.First().NamespaceAddress}, …)",
        _ => "agent: the host's loopback TCP agent stops listening",
    };

}
