using System.Text.Json;
using Doctor.Control;
using Doctor.Core.Tests.Support;
using Doctor.Inventory;
using Doctor.Notification;
using Doctor.State;
using Doctor.Testing;

namespace Doctor.Core.Tests.Control;

public class SuppressionTests
{
    private readonly CapturingDeliverySink _sink = new();
    private readonly ProcessorHarness _doctor;

    public SuppressionTests()
    {
        _doctor = new ProcessorHarness(TestMap.State([TestMap.Subscription("sub-admin", null), TestMap.Subscription("sub-a", TestMap.ProjectA)]));
        var editor = new StateEditor(_doctor.State, TestMap.Start);
        var host = editor.Map.Host("compute-1")!;
        editor.Map.PutHost(host with { Maintenance = new HostMaintenance(MaintenanceState.InMaintenance, "session-1", TestMap.Start) });
        _doctor.State = editor.Build();
    }

    private ProcessResult ApplyAndPublish(Doctor.Events.RawEvent e)
    {
        var result = _doctor.Apply(e);
        if (result.Notice is not null)
            new Notifier(_sink, new ManualTimeProvider(TestMap.Start)).Publish([result.Notice], _doctor.State);
        return result;
    }

    [Fact]
    public void Process_HostInMaintenanceGoesDown_FaultsRecordedAndMarkedSuppressed()
    {
        ApplyAndPublish(TestMap.HostEvent("compute.host.down", "compute-1", "e-1"));

        var faults = _doctor.State.Faults.All.After(null).ToList();
        Assert.NotEmpty(faults);
        Assert.All(faults, f => Assert.Equal(Suppressions.Maintenance, f.SuppressedBy));
        Assert.False(_doctor.State.Map.Hosts.Get("compute-1")!.Up); // the truth is still recorded
    }

    [Fact]
    public void Publish_SuppressedFault_AdminToldAndMarkedTenantNotTold()
    {
        ApplyAndPublish(TestMap.HostEvent("compute.host.down", "compute-1", "e-1"));

        var delivery = Assert.Single(_sink.Items);
        Assert.Equal("sub-admin", delivery.Subscription.SubscriptionId);
        using var body = JsonDocument.Parse(delivery.Delivery.Body);
        var faults = body.RootElement.GetProperty("resources").EnumerateArray().SelectMany(r => r.GetProperty("faults").EnumerateArray()).ToList();
        Assert.All(faults, f => Assert.True(f.GetProperty("suppressed").GetBoolean()));
        Assert.All(faults, f => Assert.Equal("maintenance", f.GetProperty("suppressed_by").GetString()));
    }

    [Fact]
    public void Publish_HostNotInMaintenance_TenantTold()
    {
        ApplyAndPublish(TestMap.HostEvent("compute.host.down", "compute-2", "e-1"));

        Assert.Contains(_sink.Items, d => d.Subscription.SubscriptionId == "sub-a");
        Assert.All(_doctor.State.Faults.All.After(null), f => Assert.Null(f.SuppressedBy));
    }
}
