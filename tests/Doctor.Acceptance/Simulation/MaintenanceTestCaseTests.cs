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

    [Fact]
    public async Task Run_FullCloudOfThreeHosts_ScalesInAndRestoresEverything()
    {
        var options = new MaintenanceTestOptions(
            new CloudSpec(Hosts: 3, VmsPerHost: 3, Projects: 2, HaPairs: 1, Zones: 1, Full: true), 0.1, 0.2, TimeSpan.FromMinutes(2));
        var lines = new List<string>();

        var report = await MaintenanceTestCase.RunAsync(options, lines.Add, CancellationToken.None);

        var text = string.Join('\n', lines);
        Assert.True(report["passed"]!.GetValue<bool>(), text);
        Assert.Equal("MAINTENANCE_DONE", report["state"]!.GetValue<string>());
        Assert.Equal(3, report["hosts_maintained"]!.GetValue<int>());
        Assert.Equal(3, report["hosts_enabled"]!.GetValue<int>());
        Assert.Equal(0, report["act_stby_both_out_of_service"]!.GetValue<int>());
        Assert.True(report["scale_in"]!.GetValue<bool>(), text);
        Assert.True(report["scaled_in"]!.GetValue<int>() >= 1, text);
        Assert.Contains("vnf-nonha-003", report["scaled_in_ids"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(report["scaled_in"]!.GetValue<int>(), report["restored"]!.GetValue<int>());
        Assert.Empty(report["restore_failures"]!.AsArray());
        Assert.Contains("SCALE_IN: yes", text);
    }

    [Fact]
    public async Task Run_NotFull_NeverScalesIn()
    {
        var options = new MaintenanceTestOptions(new CloudSpec(Hosts: 3, VmsPerHost: 2, Projects: 1, HaPairs: 1, Zones: 1), 0.05, 0.1, TimeSpan.FromMinutes(2));

        var report = await MaintenanceTestCase.RunAsync(options, _ => { }, CancellationToken.None);

        Assert.True(report["passed"]!.GetValue<bool>());
        Assert.False(report["scale_in"]!.GetValue<bool>());
        Assert.Equal(0, report["scaled_in"]!.GetValue<int>());
    }
}
