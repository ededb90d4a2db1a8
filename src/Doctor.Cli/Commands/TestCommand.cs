using System.CommandLine;
using System.Text.Json;
using Doctor.Cli.Simulation;
using Doctor.Simulator.Cloud;

namespace Doctor.Cli.Commands;

/// <summary><c>doctor test fault</c>: the original Doctor fault-management test case, on the simulator or a real target.</summary>
public static class TestCommand
{
    public static Command Create()
    {
        var hosts = new Option<int>("--hosts") { DefaultValueFactory = _ => 4, Description = "simulated hosts (failed in turn)" };
        var vms = new Option<int>("--vms-per-host") { DefaultValueFactory = _ => 50, Description = "VMs per host" };
        var projects = new Option<int>("--projects") { DefaultValueFactory = _ => 10, Description = "tenants" };
        var pairs = new Option<int>("--ha-pairs") { DefaultValueFactory = _ => 2, Description = "ACT-STBY pairs" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1, Description = "placement seed" };
        var runs = new Option<int>("--runs") { DefaultValueFactory = _ => 20, Description = "measured host failures" };
        var warmup = new Option<int>("--warmup") { DefaultValueFactory = _ => 2, Description = "unmeasured failures first" };
        var url = new Option<string?>("--url") { Description = "test a running Doctor instead of an embedded one" };
        var token = new Option<string?>("--token") { Description = "admin token of the target (with --url)" };
        var json = new Option<string?>("--json") { Description = "write the report to this JSON file" };
        var inject = new Option<string>("--inject")
        {
            DefaultValueFactory = _ => HostNetworks.Agent,
            Description = "how a host fails. agent: its loopback TCP agent stops listening (no privileges). " +
                "link: each host is a network namespace behind a veth pair on 10.213.0.0/16 and the failure is 'ip link set eth0 down' on its NIC, " +
                "as the original test did on the compute node; needs root and iproute2. Where namespaces cannot be created the test is skipped: " +
                "one line says why, the report has \"skipped\": true, and the exit code is 0 (or see --fallback-to-agent)",
        };
        inject.AcceptOnlyFromAmong(HostNetworks.Agent, HostNetworks.Link);
        var fallback = new Option<bool>("--fallback-to-agent") { Description = "with --inject link: where namespaces cannot be created, run with agent injection instead of skipping (the report says why)" };
        var fault = new Command("fault", "Inject host failures; measure consumer received − monitor detected") { hosts, vms, projects, pairs, seed, runs, warmup, url, token, json, inject, fallback };
        var racks = new RackOptions();
        racks.AddTo(fault);
        fault.SetAction(async (result, cancellationToken) =>
        {
            var options = new FaultTestOptions(
                racks.Apply(new CloudSpec(result.GetValue(hosts), result.GetValue(vms), result.GetValue(projects), result.GetValue(pairs), 2, result.GetValue(seed)), result),
                Math.Max(1, result.GetValue(runs)), Math.Max(0, result.GetValue(warmup)), "http://127.0.0.1:0", result.GetValue(url), result.GetValue(token),
                result.GetValue(inject)!, result.GetValue(fallback));
            var (report, _) = await FaultTestCase.RunAsync(options, Console.WriteLine, cancellationToken);
            if (result.GetValue(json) is { } path)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                await File.WriteAllTextAsync(path, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), cancellationToken);
                Console.WriteLine($"report written to {path}");
            }

            // A skip is not a failure: the operator asked for a mode this machine cannot offer, and was told why.
            return report["skipped"]!.GetValue<bool>() || report["passed"]!.GetValue<bool>() ? 0 : 1;
        });
        return new Command("test", "The original Doctor test cases") { fault, Maintenance() };
    }

    /// <summary><c>doctor test maintenance</c>: one session over every host of the simulator with sample app managers.</summary>
    private static Command Maintenance()
    {
        var hosts = new Option<int>("--hosts") { DefaultValueFactory = _ => 3, Description = "simulated hosts (at least 3)" };
        var vms = new Option<int>("--vms-per-host") { DefaultValueFactory = _ => 3, Description = "instances per host" };
        var projects = new Option<int>("--projects") { DefaultValueFactory = _ => 2, Description = "tenants, each with a sample app manager" };
        var pairs = new Option<int>("--ha-pairs") { DefaultValueFactory = _ => 1, Description = "ACT-STBY pairs" };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 1, Description = "placement seed" };
        var migration = new Option<double>("--migration-seconds") { DefaultValueFactory = _ => DoctorConstants.MaintenanceMigrationSeconds, Description = "simulated migration time (at most the service default, 1 s)" };
        var hostSeconds = new Option<double>("--host-seconds") { DefaultValueFactory = _ => DoctorConstants.HostMaintenanceSeconds, Description = "simulated host maintenance time (at most the service default, 2 s)" };
        var timeout = new Option<int>("--timeout") { DefaultValueFactory = _ => 900, Description = "seconds before the test gives up" };
        var full = new Option<bool>("--full") { Description = "fill the cloud (one instance of an anti-affinity group per host) so no host can be emptied without SCALE_IN" };
        var scaleIn = new Option<int>("--scale-in") { DefaultValueFactory = _ => 1, Description = "instances each app manager removes on SCALE_IN (restored on MAINTENANCE_COMPLETE)" };
        var json = new Option<string?>("--json") { Description = "write the report to this JSON file" };
        var command = new Command("maintenance", "Maintain every host of a simulated cloud in one session; the ACT-STBY service must never lose both instances")
        {
            hosts, vms, projects, pairs, seed, migration, hostSeconds, timeout, full, scaleIn, json,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(scaleIn) < 0)
                result.AddError("--scale-in must not be negative");
        });
        command.SetAction(async (result, cancellationToken) =>
        {
            var options = new MaintenanceTestOptions(
                new CloudSpec(result.GetValue(hosts), result.GetValue(vms), result.GetValue(projects), result.GetValue(pairs), 1, result.GetValue(seed), Full: result.GetValue(full)),
                result.GetValue(migration), result.GetValue(hostSeconds), TimeSpan.FromSeconds(Math.Max(1, result.GetValue(timeout))), result.GetValue(scaleIn));
            var report = await MaintenanceTestCase.RunAsync(options, Console.WriteLine, cancellationToken);
            if (result.GetValue(json) is { } path)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
                await File.WriteAllTextAsync(path, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), cancellationToken);
                Console.WriteLine($"report written to {path}");
            }

            return report["passed"]!.GetValue<bool>() ? 0 : 1;
        });
        return command;
    }
}
