using System.Collections.Immutable;
using Doctor.Inventory;
using Doctor.Maintenance;
using Doctor.Notification;
using Doctor.OpenStack.Actions;
using Doctor.OpenStack.Tests.Infrastructure;
using Doctor.Subscriptions;

namespace Doctor.OpenStack.Tests.Actions;

/// <summary>
/// Which cloud calls a notice makes (<see cref="ActionPlan"/>), over notices the real fault processor produced: the state
/// after the event decides, only for what the fault itself changed, as the settings allow.
/// </summary>
public sealed class ActionPlanTests
{
    private readonly Engine _engine = new();

    private OpenStackOptions Options { get; } = new() { ResetServerState = true };

    private bool DataPlaneSupported { get; set; } = true;

    private List<string> Plan(Notice? notice)
    {
        Assert.NotNull(notice);
        return [.. ActionPlan.For(notice, _engine.State, Options, DataPlaneSupported, _engine.Timelines).Select(Describe).Order(StringComparer.Ordinal)];
    }

    private static string Describe(ControllerAction a) => $"{a.Name} {a.Target}" + (a.ServiceId is null ? "" : " @" + a.ServiceId);

    // ---- a fault -------------------------------------------------------------------------------------------------------

    [Fact]
    public void HostDown_ForcesTheServiceDownResetsServersAndDownsPorts()
    {
        Assert.Equal(
            [
                // port-a3 and vm-a3 were already DOWN / in error: Doctor holds them so, and the cloud is told so again.
                "neutron.data_plane_status=DOWN port-a1", "neutron.data_plane_status=DOWN port-a2", "neutron.data_plane_status=DOWN port-a3",
                "neutron.data_plane_status=DOWN port-b1", "nova.force_down=true compute-1 @svc-1",
                "nova.reset_state=error vm-a1", "nova.reset_state=error vm-a2", "nova.reset_state=error vm-a3", "nova.reset_state=error vm-b1",
            ],
            Plan(_engine.HostDown("compute-1")));
    }

    [Fact]
    public void HostDown_DefaultSettings_ForceDownAndDataPlaneOnly()
    {
        Options.ResetServerState = false;

        Assert.Equal(
            ["neutron.data_plane_status=DOWN port-a1", "neutron.data_plane_status=DOWN port-a2", "neutron.data_plane_status=DOWN port-a3", "neutron.data_plane_status=DOWN port-b1", "nova.force_down=true compute-1 @svc-1"],
            Plan(_engine.HostDown("compute-1")));
    }

    [Fact]
    public void HostDown_ForceDownOff_NoNovaServiceCall()
    {
        Options.ForceDown = false;

        Assert.DoesNotContain(Plan(_engine.HostDown("compute-1")), a => a.StartsWith("nova.force_down", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public void HostDown_DataPlaneOffOrWithoutTheExtension_NoPortCall(bool setting, bool extension)
    {
        Options.DataPlaneStatus = setting;
        DataPlaneSupported = extension;

        Assert.DoesNotContain(Plan(_engine.HostDown("compute-1")), a => a.StartsWith("neutron.", StringComparison.Ordinal));
    }

    [Fact]
    public void HostDown_HostWithoutNovaServiceId_NoForceDownButTheRest()
    {
        Assert.Equal(["neutron.data_plane_status=DOWN port-a9", "nova.reset_state=error vm-a9"], Plan(_engine.HostDown("compute-9")));
    }

    [Fact]
    public void HostDown_RepeatedReport_AtMostTheSameCallsAgain()
    {
        _engine.HostDown("compute-1");

        var again = _engine.Apply("compute.host.down", ("hostname", "compute-1"));

        if (again is not null)
            Assert.All(Plan(again), a => Assert.DoesNotContain("=active", a, StringComparison.Ordinal));
    }

    [Fact]
    public void InstanceDown_ResetsThatServerOnly()
    {
        Assert.Equal(["nova.reset_state=error vm-a4"], Plan(_engine.Apply("compute.instance.down", ("server_id", "vm-a4"))));
    }

    [Fact]
    public void NicDown_PortsOnlyNeitherHostNorServers()
    {
        Assert.Equal(
            ["neutron.data_plane_status=DOWN port-a1", "neutron.data_plane_status=DOWN port-a2", "neutron.data_plane_status=DOWN port-a3", "neutron.data_plane_status=DOWN port-b1"],
            Plan(_engine.Apply("compute.host.nic.down", ("hostname", "compute-1"))));
    }

    [Fact]
    public void AdminForceDown_ForcesTheServiceDown()
    {
        Assert.Contains("nova.force_down=true compute-1 @svc-1", Plan(_engine.AdminForce("compute-1", true)));
    }

    [Fact]
    public void SwitchDown_HostItCutsOffIsForcedDown_RedundantOneOnlyWarned()
    {
        _engine.Edit(map =>
        {
            map.PutDevice(new Device { Id = "tor-2", Kind = "switch", Feeds = ["compute-2"] });
            map.PutDevice(new Device { Id = "tor-1a", Kind = "switch", Feeds = ["compute-1"] });
            map.PutDevice(new Device { Id = "tor-1b", Kind = "switch", Feeds = ["compute-1"] });
        });

        Assert.Equal(
            ["neutron.data_plane_status=DOWN port-a4", "nova.force_down=true compute-2 @svc-2", "nova.reset_state=error vm-a4"],
            Plan(_engine.Apply("network.switch.down", ("device_id", "tor-2"))));
        Assert.Empty(Plan(_engine.Apply("network.switch.down", ("device_id", "tor-1a")))); // redundancy lost: a warning
        Assert.Equal(
            ["neutron.data_plane_status=ACTIVE port-a4", "nova.force_down=false compute-2 @svc-2", "nova.reset_state=active vm-a4"],
            Plan(_engine.Apply("network.switch.up", ("device_id", "tor-2"))));
        Assert.Empty(Plan(_engine.Apply("network.switch.up", ("device_id", "tor-1a"))));
    }

    // ---- a recovery -------------------------------------------------------------------------------------------------------

    [Fact]
    public void HostUp_UnforcesRestoresServersAndPortsDoctorChanged()
    {
        _engine.HostDown("compute-1");

        Assert.Equal(
            [
                // port-b1 had no data plane status before: Doctor set it DOWN in Neutron, so it must not stay DOWN there.
                "neutron.data_plane_status=ACTIVE port-a1", "neutron.data_plane_status=ACTIVE port-a2", "neutron.data_plane_status=ACTIVE port-b1",
                "nova.force_down=false compute-1 @svc-1",
                "nova.reset_state=active vm-a1", "nova.reset_state=active vm-a2", "nova.reset_state=active vm-b1",
                // vm-a3 was in error before the host failed, port-a3 DOWN: neither is touched.
            ],
            Plan(_engine.HostUp("compute-1")));
    }

    [Fact]
    public void HostUp_WhileAnAdminStillHoldsItForcedDown_NoUnforce()
    {
        _engine.AdminForce("compute-1", true);
        _engine.HostDown("compute-1");

        var notice = _engine.HostUp("compute-1");

        Assert.True(_engine.State.Map.Hosts.Get("compute-1")!.ForcedDown);
        if (notice is not null)
            Assert.DoesNotContain(Plan(notice), a => a.StartsWith("nova.force_down=false", StringComparison.Ordinal));
    }

    [Fact]
    public void AdminLiftsForceDown_Unforces()
    {
        _engine.AdminForce("compute-1", true);

        Assert.Contains("nova.force_down=false compute-1 @svc-1", Plan(_engine.AdminForce("compute-1", false)));
    }

    [Fact]
    public void NicUp_PortsOnlyNoUnforceNoServerReset()
    {
        // A NIC failure never forced the host down nor put a server in error: its recovery must not "restore" them (an
        // operator's own force-down in Nova, a SHUTOFF server reset to active).
        _engine.Apply("compute.host.nic.down", ("hostname", "compute-1"));

        Assert.Equal(
            ["neutron.data_plane_status=ACTIVE port-a1", "neutron.data_plane_status=ACTIVE port-a2", "neutron.data_plane_status=ACTIVE port-b1"],
            Plan(_engine.Apply("compute.host.nic.up", ("hostname", "compute-1"))));
    }

    [Fact]
    public void InstanceUp_RestoresThatServerOnly()
    {
        _engine.Apply("compute.instance.down", ("server_id", "vm-a4"));

        Assert.Equal(["nova.reset_state=active vm-a4"], Plan(_engine.Apply("compute.instance.up", ("server_id", "vm-a4"))));
    }

    [Fact]
    public void HostUp_CallsGoOnTheTimelineOfTheFaultTheyClear()
    {
        var down = _engine.HostDown("compute-1");
        var up = _engine.HostUp("compute-1");

        var actions = ActionPlan.For(up, _engine.State, Options, DataPlaneSupported, _engine.Timelines).ToList();

        Assert.NotNull(down.Timeline);
        Assert.All(actions, a => Assert.Same(down.Timeline, a.Timeline));
    }

    // ---- a warning, a maintenance message ------------------------------------------------------------------------------

    [Theory]
    [InlineData("compute.host.temperature.high", "compute.host.temperature.normal")]
    [InlineData("compute.host.power.degraded", "compute.host.power.ok")]
    [InlineData("compute.host.disk.error", "compute.host.disk.ok")]
    public void Warning_AndItsClearing_NoCalls(string raise, string clear)
    {
        Assert.Empty(Plan(_engine.Apply(raise, ("hostname", "compute-1"))));
        Assert.Empty(Plan(_engine.Apply(clear, ("hostname", "compute-1"))));
    }

    [Fact]
    public void WarningClearedOnAHostForcedDownInTheCloud_NoUnforce()
    {
        // Doctor's map says the host is up; a warning about it clears. Nothing Doctor decided is being undone.
        _engine.Apply("compute.host.temperature.high", ("hostname", "compute-2"));

        Assert.DoesNotContain(Plan(_engine.Apply("compute.host.temperature.normal", ("hostname", "compute-2"))),
            a => a.StartsWith("nova.force_down", StringComparison.Ordinal));
    }

    [Fact]
    public void MaintenanceNotice_NoControllerCall()
    {
        var message = new MaintenanceMessage("session-1", null, "compute-1", "IN_MAINTENANCE", [], [], null, null, ImmutableSortedDictionary<string, string>.Empty);
        var notice = new Notice(NotificationType.Maintenance, "m-1", [], null) { Maintenance = message };

        Assert.Empty(Plan(notice));
    }

    [Fact]
    public void HostDownInMaintenance_SuppressedForTenantsButTheCloudIsStillCorrected()
    {
        _engine.Edit(map => map.PutHost(map.Host("compute-2")! with
        {
            Enabled = false, Maintenance = new HostMaintenance(MaintenanceState.InMaintenance, "session-1", Engine.Start),
        }));

        var plan = Plan(_engine.HostDown("compute-2"));

        Assert.Contains("nova.force_down=true compute-2 @svc-2", plan);
    }
}
