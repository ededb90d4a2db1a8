using Doctor.Cli.Simulation;
using Doctor.Simulator.Cloud;

namespace Doctor.Acceptance.Simulation;

/// <summary><c>doctor test maintenance</c> on the simulator with short timers, as the test suite's own run of it.</summary>
public sealed class MaintenanceTestCaseTests
{
    [Fact]
    public async Task Run_ThreeHostsWithActStbyPair_EndsDoneAndPairNeverFullyOut()
    {
        var options = new MaintenanceTestOptions(new CloudSpec(Hosts: 3, VmsPerHost: 3, Projects: 2, HaPairs: 1, Zones: 1), 0.1, 0.2, TimeSpan.FromMinutes(2));
        var lines = new List<string>();

        var report = await MaintenanceTestCase.RunAsync(options, lines.Add, CancellationToken.None);

        var text = string.Join('\n', lines);
        Assert.True(report["passed"]!.GetValue<bool>(), text);
        Assert.Equal("MAINTENANCE_DONE", report["state"]!.GetValue<string>());
        Assert.Equal(3, report["hosts_maintained"]!.GetValue<int>());
        Assert.Equal(3, report["hosts_enabled"]!.GetValue<int>());
        Assert.Equal(0, report["act_stby_both_out_of_service"]!.GetValue<int>());
        Assert.True(report["switchovers"]!.GetValue<int>() >= 1, "the active instance's host was maintained without a switch-over");
        Assert.All(report["per_host"]!.AsArray(), h => Assert.True(h!["seconds"]!.GetValue<double>() > 0));
        Assert.True(report["total_seconds"]!.GetValue<double>() > 0);
        Assert.Contains("PASSED", text);
    }
}
