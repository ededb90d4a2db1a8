using System.CommandLine;
using Doctor.Cli.Bench;

namespace Doctor.Cli.Commands;

/// <summary><c>doctor bench</c>: measured scenarios that print numbers and write JSON.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var vms = new Option<int>("--vms") { Description = "VMs on each host", DefaultValueFactory = _ => 50 };
        var projects = new Option<int>("--projects") { Description = "owners (projects) sharing each host", DefaultValueFactory = _ => 10 };
        var hosts = new Option<int>("--hosts") { Description = "hosts in the map (failed in turn)", DefaultValueFactory = _ => 8 };
        var runs = new Option<int>("--runs") { Description = "measured failures", DefaultValueFactory = _ => 200 };
        var warmup = new Option<int>("--warmup") { Description = "unmeasured failures first", DefaultValueFactory = _ => 30 };
        var json = new Option<string?>("--json") { Description = "write the report to this JSON file" };
        var inProcess = new Option<bool>("--in-process") { Description = "host Doctor in the benchmark's process instead of its own" };
        var hostsPerSwitch = new Option<int>("--hosts-per-switch")
        {
            Description = "put the hosts behind top-of-rack switches, N hosts each (0: no switches)",
            DefaultValueFactory = _ => 0,
        };
        var fail = new Option<string>("--fail")
        {
            Description = "what fails: host (compute.host.down) or switch (network.switch.down; needs --hosts-per-switch)",
            DefaultValueFactory = _ => "host",
        };
        fail.AcceptOnlyFromAmong("host", "switch");
        var fault = new Command("fault", "Event → every owner's webhook latency for one failed host or switch") { vms, projects, hosts, runs, warmup, json, inProcess, hostsPerSwitch, fail };
        fault.Validators.Add(result =>
        {
            if (result.GetValue(fail) == "switch" && result.GetValue(hostsPerSwitch) <= 0)
                result.AddError("--fail switch needs --hosts-per-switch N (the hosts behind each switch)");
        });
        fault.SetAction((result, cancellationToken) => FaultLatencyBench.RunAsync(
            new FaultBenchOptions(
                Positive(result.GetValue(vms)), Positive(result.GetValue(projects)), Positive(result.GetValue(hosts)),
                Positive(result.GetValue(runs)), Math.Max(0, result.GetValue(warmup)), result.GetValue(json), result.GetValue(inProcess),
                NotNegative(result.GetValue(hostsPerSwitch)), result.GetValue(fail) == "switch"),
            cancellationToken));
        var engineRuns = new Option<int>("--runs") { Description = "measured failures", DefaultValueFactory = _ => 2000 };
        var engineVms = new Option<int>("--vms") { Description = "VMs on each host", DefaultValueFactory = _ => 50 };
        var engineProjects = new Option<int>("--projects") { Description = "owners per host", DefaultValueFactory = _ => 10 };
        var engineHosts = new Option<int>("--hosts") { Description = "hosts in the map", DefaultValueFactory = _ => 8 };
        var engineHostsPerSwitch = new Option<int>("--hosts-per-switch") { Description = "hosts behind each top-of-rack switch (0: no switches)", DefaultValueFactory = _ => 0 };
        var engineFail = new Option<string>("--fail") { Description = "what fails: host or switch", DefaultValueFactory = _ => "host" };
        engineFail.AcceptOnlyFromAmong("host", "switch");
        var engine = new Command("engine", "The single writer's cost per host (or switch) failure, without HTTP or disk")
        {
            engineVms, engineProjects, engineRuns, engineHosts, engineHostsPerSwitch, engineFail,
        };
        engine.Validators.Add(result =>
        {
            if (result.GetValue(engineFail) == "switch" && result.GetValue(engineHostsPerSwitch) <= 0)
                result.AddError("--fail switch needs --hosts-per-switch N (the hosts behind each switch)");
        });
        engine.SetAction(result => EngineBench.Run(
            Positive(result.GetValue(engineVms)), Positive(result.GetValue(engineProjects)), Positive(result.GetValue(engineHosts)),
            Positive(result.GetValue(engineRuns)), NotNegative(result.GetValue(engineHostsPerSwitch)), result.GetValue(engineFail) == "switch"));
        var clients = new Option<int>("--clients") { Description = "concurrent HTTP clients", DefaultValueFactory = _ => 2 };
        var batch = new Option<int>("--batch") { Description = "events per request", DefaultValueFactory = _ => 1000 };
        var total = new Option<int>("--events") { Description = "events to post", DefaultValueFactory = _ => 500_000 };
        var ingestJson = new Option<string?>("--json") { Description = "write the report to this JSON file" };
        var ingest = new Command("ingest", "Durable bulk ingest throughput (events/s acknowledged 202)") { clients, batch, total, ingestJson };
        ingest.SetAction((result, cancellationToken) => IngestBench.RunAsync(
            Positive(result.GetValue(clients)), Positive(result.GetValue(batch)), Positive(result.GetValue(total)), result.GetValue(ingestJson), cancellationToken));
        var scaleHosts = new Option<int>("--hosts") { Description = "hosts", DefaultValueFactory = _ => 10_000 };
        var scaleVms = new Option<int>("--vms-per-host") { Description = "VMs per host (one port each)", DefaultValueFactory = _ => 50 };
        var scaleProjects = new Option<int>("--projects") { Description = "projects", DefaultValueFactory = _ => 1000 };
        var scaleSubs = new Option<int>("--subscriptions") { Description = "subscriptions", DefaultValueFactory = _ => 100_000 };
        var scaleJson = new Option<string?>("--json") { Description = "write the report to this JSON file" };
        var scale = new Command("scale", "Memory and cold start with a large map and many subscriptions") { scaleHosts, scaleVms, scaleProjects, scaleSubs, scaleJson };
        scale.SetAction((result, cancellationToken) => ScaleBench.RunAsync(
            Positive(result.GetValue(scaleHosts)), Positive(result.GetValue(scaleVms)), Positive(result.GetValue(scaleProjects)),
            Math.Max(0, result.GetValue(scaleSubs)), result.GetValue(scaleJson), cancellationToken));
        var osVms = new Option<string>("--vms") { Description = "servers on the failed host, one series each (comma list)", DefaultValueFactory = _ => "1,10,50" };
        var osRuns = new Option<int>("--runs") { Description = "measured failures per VM count", DefaultValueFactory = _ => 10 };
        var osWarmup = new Option<int>("--warmup") { Description = "unmeasured failures first, per VM count", DefaultValueFactory = _ => 2 };
        var osJson = new Option<string?>("--json") { Description = "write the report to this JSON file" };
        var osPoll = new Option<int>("--nova-poll-ms")
        {
            Description = "pause between polls of Nova's server list for host_status DOWN (one request at a time); -1: don't poll",
            DefaultValueFactory = _ => 10,
        };
        var osHost = new Option<string>("--host") { Description = "the compute host the bench owns (its servers go there; it fails)", DefaultValueFactory = _ => "fake-host-3" };
        var osTimeout = new Option<int>("--run-timeout") { Description = "seconds one failure may take to reach every measure", DefaultValueFactory = _ => 120 };
        var openstack = new Command("openstack", "Doctor in OpenStack mode beside Nova → Ceilometer → Aodh on a real OpenStack (OS_AUTH_URL, DOCTOR_TRANSPORT_URL; scripts/openstack-aio.sh)")
        {
            osVms, osRuns, osWarmup, osJson, osPoll, osHost, osTimeout,
        };
        openstack.Validators.Add(result =>
        {
            // A validator sees no default values: only a given --vms is checked here.
            if (result.GetResult(osVms) is { Implicit: false } && VmCounts(result.GetValue(osVms) ?? "") is null)
                result.AddError("--vms must be a comma-separated list of counts between 1 and 1000, e.g. 1,10,50");
        });
        openstack.SetAction((result, cancellationToken) => OpenStackBench.RunAsync(
            new OpenStackBenchOptions(
                VmCounts(result.GetValue(osVms) ?? "1,10,50") ?? [1, 10, 50], Positive(result.GetValue(osRuns)), NotNegative(result.GetValue(osWarmup)), result.GetValue(osJson),
                Math.Max(-1, result.GetValue(osPoll)), result.GetValue(osHost)!, Positive(result.GetValue(osTimeout))),
            cancellationToken));
        return new Command("bench", "Benchmarks") { fault, engine, ingest, scale, openstack };
    }

    /// <summary>"1,10,50" → [1, 10, 50]; null when a part is not a count in 1–1000.</summary>
    private static List<int>? VmCounts(string text)
    {
        var counts = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n is < 1 or > 1000)
                return null;
            counts.Add(n);
        }

        return counts.Count > 0 ? counts : null;
    }

    private static int NotNegative(int value) => value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), "must not be negative");

    private static int Positive(int value) => value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), "must be positive");
}
