using System.Text.Json;
using Doctor.Core.Tests.Support;
using Doctor.Faults;
using Doctor.Inventory;
using Doctor.Notification;
using Doctor.Subscriptions;
using Doctor.Testing;

namespace Doctor.Core.Tests.Control;

/// <summary>Warnings (prediction): owners whose subscription admits the severity are told, nothing changes state.</summary>
public class WarningTests
{
    private readonly CapturingDeliverySink _sink = new();
    private readonly ProcessorHarness _doctor = new(TestMap.State(
    [
        TestMap.Subscription("sub-a", TestMap.ProjectA),
        TestMap.Subscription("sub-a-major", TestMap.ProjectA, new SubscriptionFilter { MinSeverity = Severity.Major }),
        TestMap.Subscription("sub-b", TestMap.ProjectB),
    ]));

    [Fact]
    public void Publish_TemperatureHigh_OwnersAdmittingWarningsToldWithoutStateChange()
    {
        var result = _doctor.Apply(TestMap.HostEvent("compute.host.temperature.high", "compute-1", "e-1"));
        new Notifier(_sink, new ManualTimeProvider(TestMap.Start)).Publish([result.Notice!], _doctor.State);

        Assert.True(_doctor.State.Map.Hosts.Get("compute-1")!.Up);
        Assert.All(_doctor.State.Map.Servers.After(null).Where(s => s.Id != "vm-a3"), s => Assert.Equal(ServerState.Normal, s.State));
        Assert.Equal(["sub-a", "sub-b"], _sink.Items.Select(i => i.Subscription.SubscriptionId).Order());
        using var body = JsonDocument.Parse(_sink.Items.Single(i => i.Subscription.SubscriptionId == "sub-a").Delivery.Body);
        var resources = body.RootElement.GetProperty("resources").EnumerateArray().ToList();
        Assert.Equal(["vm-a1", "vm-a2", "vm-a3"], resources.Select(r => r.GetProperty("resource_id").GetString()));
        Assert.All(resources, r => Assert.Equal("warning", r.GetProperty("faults")[0].GetProperty("severity").GetString()));
    }
}
