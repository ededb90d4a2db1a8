using Doctor.Inventory;

namespace Doctor.Core.Tests.Inventory;

public class HostStatusesTests
{
    private static readonly HostMaintenance Session = new(MaintenanceState.InMaintenance, "session-1", DateTimeOffset.UnixEpoch);

    [Fact]
    public void Derive_NullHost_IsUnknown()
    {
        Assert.Equal(HostStatus.Unknown, HostStatuses.Derive(null));
    }

    [Fact]
    public void Derive_EnabledAndUp_IsUp()
    {
        Assert.Equal(HostStatus.Up, HostStatuses.Derive(new Host { Name = "h" }));
    }

    [Fact]
    public void Derive_Disabled_IsMaintenance()
    {
        Assert.Equal(HostStatus.Maintenance, HostStatuses.Derive(new Host { Name = "h", Enabled = false }));
    }

    [Fact]
    public void Derive_InMaintenanceSession_IsMaintenance()
    {
        Assert.Equal(HostStatus.Maintenance, HostStatuses.Derive(new Host { Name = "h", Maintenance = Session }));
    }

    [Fact]
    public void Derive_DownWhileInMaintenance_DownWins()
    {
        var host = new Host { Name = "h", Up = false, Enabled = false, Maintenance = Session };

        Assert.Equal(HostStatus.Down, HostStatuses.Derive(host));
    }

    [Fact]
    public void Derive_ForcedDownButReportingUp_IsDown()
    {
        Assert.Equal(HostStatus.Down, HostStatuses.Derive(new Host { Name = "h", ForcedDown = true, Maintenance = Session }));
    }

    [Fact]
    public void HostStatus_Property_FollowsDerive()
    {
        Assert.Equal(HostStatus.Down, new Host { Name = "h", Up = false }.Status);
    }

    [Theory]
    [InlineData(HostStatus.Up, "UP")]
    [InlineData(HostStatus.Down, "DOWN")]
    [InlineData(HostStatus.Maintenance, "MAINTENANCE")]
    [InlineData(HostStatus.Unknown, "UNKNOWN")]
    public void Name_EachStatus_IsTheWireName(HostStatus status, string expected)
    {
        Assert.Equal(expected, status.Name());
    }
}
