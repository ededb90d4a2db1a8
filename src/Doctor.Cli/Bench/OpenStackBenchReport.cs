using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Doctor.Cli.Client;
using Doctor.OpenStack.Nova;

namespace Doctor.Cli.Bench;

/// <summary>The report of <c>doctor bench openstack</c>: the table on the console and the JSON file.</summary>
public static partial class OpenStackBench
{
    /// <summary>A reported measure: its JSON key, its label, which runs it is read from (polled or not) and its value.</summary>
    private sealed record Measure(string Key, string Label, bool FromPolled, Func<RunResult, double?> Value);

    private static readonly Measure[] Measures =
    [
        new("accepted_ms", "Doctor 202 (event durable)", false, r => r.Accepted),
        new("owner_notified_ms", "(a) owner told by Doctor, all VMs", false, r => r.Owner),
        new("aodh_first_ms", "(b) Aodh webhook, first VM", false, r => r.AodhFirst),
        new("aodh_last_ms", "(b) Aodh webhook, every VM", false, r => r.AodhLast),
        new("doctor_recorded_ms", "Doctor timeline: event recorded (durable)", false, r => r.Recorded),
        new("doctor_notification_built_ms", "Doctor timeline: notification built", false, r => r.Built),
        new("doctor_delivered_ms", "Doctor timeline: delivered (2xx)", false, r => r.Delivered),
        new("doctor_force_down_done_ms", "Doctor timeline: nova.force_down=true done", false, r => r.ForceDown),
        new("doctor_reset_state_first_done_ms", "Doctor timeline: first nova.reset_state=error done", false, r => r.ResetFirst),
        new("doctor_reset_state_last_done_ms", "Doctor timeline: last nova.reset_state=error done", false, r => r.ResetLast),
        new("recovery_ms", "recovery: host.up → Nova ACTIVE/UP", false, r => r.Recovery),
        new("load_average_1m", "machine load average (1 min) at the run's start", false, r => r.Load),
        new("nova_host_status_down_ms", "(c) Nova API host_status DOWN, all VMs [polled runs]", true, r => r.NovaDown),
        new("nova_host_status_down_request_sent_ms", "    that poll's request was sent at", true, r => r.NovaDownSent),
        new("nova_poll_round_trip_ms", "    Nova poll round trip (mean of a run)", true, r => r.NovaPolls > 0 ? r.NovaPollMs : null),
        new("polled_owner_notified_ms", "    (a) owner told, while Nova was polled", true, r => r.Owner),
        new("polled_aodh_first_ms", "    (b) Aodh first VM, while Nova was polled", true, r => r.AodhFirst),
        new("polled_aodh_last_ms", "    (b) Aodh every VM, while Nova was polled", true, r => r.AodhLast),
        new("polled_doctor_reset_state_last_done_ms", "    last reset-state done, while Nova was polled", true, r => r.ResetLast),
        new("polled_load_average_1m", "    load average at the start of polled runs", true, r => r.Load),
    ];

    private static Percentiles Of(Series s, Measure m) => Percentiles.Of((m.FromPolled ? s.Polled : s.Plain).Select(m.Value).OfType<double>().ToList());

    private static void Report(OpenStackBenchOptions o, BenchCloudSettings settings, List<Series> series, TimeSpan elapsed)
    {
        Console.WriteLine();
        Console.WriteLine($"OpenStack side by side — ms from the compute.host.down POST, p50 / p95 / max (n), {o.Runs} runs per VM count{(o.NovaPollMs >= 0 ? " and as many with Nova polled" : "")}");
        foreach (var s in series)
        {
            Console.WriteLine($"  {s.Vms} VMs on {o.Host}{(s.Incomplete > 0 ? $" ({s.Incomplete} incomplete runs left out)" : "")}:");
            foreach (var m in Measures)
            {
                var p = Of(s, m);
                if (p.Count > 0)
                    Console.WriteLine($"    {m.Label,-56} {p.P50,9:0.0} / {p.P95,9:0.0} / {p.Max,9:0.0}  (n={p.Count})");
            }

            var (first, last) = Ratios(s.Plain);
            Console.WriteLine($"    Aodh path ÷ Doctor, per run: first VM p50 {first.P50:0}× (lowest {MinRatio(s.Plain, r => r.AodhFirst):0.0}×), every VM p50 {last.P50:0}× (lowest {MinRatio(s.Plain, r => r.AodhLast):0.0}×);  Aodh webhooks per run p50 {Webhooks(s).P50:0} for {s.Vms} VMs");
        }

        Console.WriteLine($"  total {elapsed.TotalMinutes:0.0} min");
        if (o.JsonPath is null)
            return;
        var report = new JsonObject
        {
            ["scenario"] = "openstack_side_by_side",
            ["date"] = DateTime.UtcNow.ToString("O"),
            ["machine"] = new JsonObject
            {
                ["cores"] = Environment.ProcessorCount, ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
                ["runtime"] = Environment.Version.ToString(), ["load_average_at_end"] = LoadAverage(),
            },
            ["settings"] = new JsonObject
            {
                ["vm_counts"] = new JsonArray(o.VmCounts.Select(v => (JsonNode)v).ToArray()),
                ["runs"] = o.Runs, ["warmup"] = o.Warmup, ["host"] = o.Host, ["nova_poll_pause_ms"] = o.NovaPollMs,
                ["auth_url"] = settings.AuthUrl, ["tenant_project"] = settings.TenantProject,
                ["doctor"] = "OpenStack mode, ResetServerState=true, ForceDown=true, ActionConcurrency default (8)",
                ["aodh_alarm"] = "event, compute.instance.update, traits.state == error, repeat_actions",
                ["runs_note"] = "plain runs and runs polling Nova alternate; polled_* and nova_* measures come from the polled runs",
            },
            ["series"] = new JsonArray(series.Select(s =>
            {
                var (first, last) = Ratios(s.Plain);
                var node = new JsonObject
                {
                    ["vms"] = s.Vms, ["n"] = s.Plain.Count, ["n_polled"] = s.Polled.Count, ["incomplete_runs"] = s.Incomplete,
                    ["doctor_startup_s"] = Math.Round(s.DoctorStartup.TotalSeconds, 2),
                };
                foreach (var m in Measures)
                    node[m.Key] = Of(s, m).ToJson();
                node["ratio_aodh_first_to_owner"] = first.ToJson();
                node["ratio_aodh_first_to_owner"]!["min"] = Math.Round(MinRatio(s.Plain, r => r.AodhFirst), 2);
                node["ratio_aodh_last_to_owner"] = last.ToJson();
                node["ratio_aodh_last_to_owner"]!["min"] = Math.Round(MinRatio(s.Plain, r => r.AodhLast), 2);
                node["aodh_webhooks_per_run"] = Webhooks(s).ToJson();
                node["reset_state_failures"] = s.Plain.Concat(s.Polled).Sum(r => r.ResetsFailed);
                node["raw"] = new JsonArray(s.Plain.Concat(s.Polled).Select(r => (JsonNode)new JsonObject(Measures
                    .Where(m => !m.Key.StartsWith("polled_", StringComparison.Ordinal))
                    .Select(m => KeyValuePair.Create(m.Key, (JsonNode?)(m.Value(r) is { } v ? Math.Round(v, 3) : null)))
                    .Append(KeyValuePair.Create("polled", (JsonNode?)r.Polled)))).ToArray());
                return (JsonNode)node;
            }).ToArray()),
        };
        var directory = Path.GetDirectoryName(Path.GetFullPath(o.JsonPath));
        if (directory is not null)
            Directory.CreateDirectory(directory);
        File.WriteAllText(o.JsonPath, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"  written to {o.JsonPath}");
    }

    private static Percentiles Webhooks(Series s) => Percentiles.Of(s.Plain.Concat(s.Polled).Select(r => (double)r.AodhWebhooks).ToList());

    private static (Percentiles First, Percentiles Last) Ratios(List<RunResult> runs) => (
        Percentiles.Of(runs.Where(r => r.Owner > 0 && r.AodhFirst is not null).Select(r => r.AodhFirst!.Value / r.Owner!.Value).ToList()),
        Percentiles.Of(runs.Where(r => r.Owner > 0 && r.AodhLast is not null).Select(r => r.AodhLast!.Value / r.Owner!.Value).ToList()));

    /// <summary>The lowest per-run ratio of an Aodh time to the owner's notification (NaN without runs).</summary>
    private static double MinRatio(List<RunResult> runs, Func<RunResult, double?> aodh)
    {
        var ratios = runs.Where(r => r.Owner > 0 && aodh(r) is not null).Select(r => aodh(r)!.Value / r.Owner!.Value).ToList();
        return ratios.Count > 0 ? ratios.Min() : double.NaN;
    }

    private static double? Load1() =>
        File.Exists("/proc/loadavg") && double.TryParse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture, out var load) ? load : null;

    private static string? LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : null;
}
