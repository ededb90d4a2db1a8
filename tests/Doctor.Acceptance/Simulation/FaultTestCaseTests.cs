using System.Diagnostics;
using Doctor.Cli.Simulation;
using Doctor.Simulator.Cloud;

namespace Doctor.Acceptance.Simulation;

/// <summary><c>doctor test fault --runs 3</c> on the simulator (no namespaces), as the test suite's own run of it.</summary>
public sealed class FaultTestCaseTests
{
    [Fact]
    public async Task Run_ThreeHostFailures_EveryOwnerNotifiedAndReportComplete()
    {
        var options = new FaultTestOptions(new CloudSpec(Hosts: 3, VmsPerHost: 12, Projects: 4, HaPairs: 2), Runs: 3, Warmup: 1, "http://127.0.0.1:0", null, null);
        var lines = new List<string>();
        var (report, runs) = await FaultTestCase.RunAsync(options, lines.Add, CancellationToken.None);

        Assert.Equal(3, runs.Count);
        Assert.All(runs, r =>
        {
            Assert.True(r.EveryOwnerOnce, $"{r.Host}: not every owner got exactly one notification");
            Assert.True(r.OnlyOwnVms, $"{r.Host}: a notification carried other VMs than its owner's on the host");
            Assert.True(r.NoHostName, $"{r.Host}: a host name leaked");
            Assert.Equal(12, r.VmsOnHost);
        });
        Assert.Equal(3, report["runs"]!.GetValue<int>());
        Assert.Equal(12, report["vms_on_failed_host"]!.GetValue<int>());
        foreach (var key in new[] { "p50", "p95", "p99", "max" })
            Assert.True(report["notification_ms"]![key]!.GetValue<double>() > 0);
        foreach (var checkpoint in new[] { "found_affected", "marked_host_down", "set_vm_error", "notification_built", "delivered" })
            Assert.NotNull(report["checkpoints"]![checkpoint]!["p50"]);
        Assert.True(report["every_owner_notified_with_own_vms_only"]!.GetValue<bool>());
        Assert.True(report["passed"]!.GetValue<bool>(), string.Join('\n', lines));
    }

    [Fact]
    public async Task Demo_WithExit_RunsToTheEnd()
    {
        var doctor = Path.Combine(AppContext.BaseDirectory, "doctor.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { doctor, "demo", "--exit", "--urls", "http://127.0.0.1:0", "--hosts", "4", "--vms-per-host", "6", "--projects", "3", "--ha-pairs", "2" })
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        var text = await output;
        Assert.True(process.ExitCode == 0, text + await errors);
        Assert.Contains("switched over", text);
        Assert.Contains("is up again; active faults left: 0.", text);
        Assert.DoesNotContain("signature BAD", text);
        Assert.DoesNotContain("no host name inside: False", text);
    }
}
