using Doctor.Faults;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.Subscriptions;

namespace Doctor.Core.Tests.Subscriptions;

public class SubscriptionFilterTests
{
    private static Fault Fault(string type, Severity severity) => new()
    {
        FaultId = "flt-1", FaultType = type, Severity = severity, ResourceType = ResourceType.Server, ResourceId = "vm-1",
        EventId = "e-1", EventTime = DateTimeOffset.UnixEpoch, RaisedAt = DateTimeOffset.UnixEpoch, ProbableCause = "host failure",
        Effect = Effect.HostDown,
    };

    [Fact]
    public void All_AdmitsEverything()
    {
        var filter = SubscriptionFilter.All;

        Assert.True(filter.Admits(NotificationType.Maintenance));
        Assert.True(filter.Admits(ResourceType.Device, "switch-1"));
        Assert.True(filter.Admits(Fault("anything", Severity.Indeterminate)));
    }

    [Fact]
    public void Admits_ResourceTypes_OnlyListedTypes()
    {
        var filter = new SubscriptionFilter { ResourceTypes = [ResourceType.Server, ResourceType.Port] };

        Assert.True(filter.Admits(ResourceType.Server, "vm-1"));
        Assert.True(filter.Admits(ResourceType.Port, "port-1"));
        Assert.False(filter.Admits(ResourceType.Host, "compute-1"));
    }

    [Fact]
    public void Admits_ResourceIds_OnlyListedIdsExactly()
    {
        var filter = new SubscriptionFilter { ResourceIds = ["vm-1"] };

        Assert.True(filter.Admits(ResourceType.Server, "vm-1"));
        Assert.False(filter.Admits(ResourceType.Server, "VM-1"));
        Assert.False(filter.Admits(ResourceType.Server, "vm-10"));
    }

    [Fact]
    public void Admits_ResourceTypesAndIds_BothMustMatch()
    {
        var filter = new SubscriptionFilter { ResourceTypes = [ResourceType.Port], ResourceIds = ["vm-1"] };

        Assert.False(filter.Admits(ResourceType.Server, "vm-1"));
    }

    [Fact]
    public void Admits_FaultTypeGlobs_AnyPatternMatches()
    {
        var filter = new SubscriptionFilter { FaultTypes = ["compute.host.*", "power.*"] };

        Assert.True(filter.Admits(Fault("compute.host.down", Severity.Critical)));
        Assert.True(filter.Admits(Fault("power.pdu.down", Severity.Critical)));
        Assert.False(filter.Admits(Fault("compute.instance.down", Severity.Critical)));
    }

    [Theory]
    [InlineData(Severity.Critical, true)]
    [InlineData(Severity.Major, true)]
    [InlineData(Severity.Minor, false)]
    [InlineData(Severity.Warning, false)]
    [InlineData(Severity.Indeterminate, false)]
    public void Admits_MinSeverityMajor_AdmitsMajorAndAbove(Severity severity, bool admitted)
    {
        var filter = new SubscriptionFilter { MinSeverity = Severity.Major };

        Assert.Equal(admitted, filter.Admits(Fault("compute.host.nic.down", severity)));
    }

    [Fact]
    public void Admits_SeverityAndTypeTogether_BothMustHold()
    {
        var filter = new SubscriptionFilter { MinSeverity = Severity.Critical, FaultTypes = ["compute.host.*"] };

        Assert.False(filter.Admits(Fault("compute.host.nic.down", Severity.Major)));
        Assert.False(filter.Admits(Fault("compute.instance.down", Severity.Critical)));
        Assert.True(filter.Admits(Fault("compute.host.down", Severity.Critical)));
    }

    [Fact]
    public void Admits_NotificationTypes_OnlyListedKinds()
    {
        var filter = new SubscriptionFilter { NotificationTypes = [NotificationType.FaultCleared] };

        Assert.True(filter.Admits(NotificationType.FaultCleared));
        Assert.False(filter.Admits(NotificationType.Fault));
        Assert.False(filter.Admits(NotificationType.Maintenance));
    }

    [Fact]
    public void IsGlobal_OnlyWithoutProject()
    {
        var global = new Subscription { SubscriptionId = "s1", CallbackUrl = "http://127.0.0.1/", CreatedAt = DateTimeOffset.UnixEpoch };

        Assert.True(global.IsGlobal);
        Assert.False((global with { ProjectId = "project-a" }).IsGlobal);
    }
}
