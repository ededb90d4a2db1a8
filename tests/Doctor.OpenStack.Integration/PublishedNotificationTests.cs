using System.Diagnostics;
using System.Text.Json.Nodes;
using Doctor.OpenStack.Integration.Infrastructure;
using Xunit.Abstractions;

namespace Doctor.OpenStack.Integration;

/// <summary>
/// With <c>Doctor:OpenStack:PublishNotifications</c>, Doctor's fault notifications also go onto the cloud's bus as
/// oslo.messaging notifications (<c>doctor.fault</c>, exchange <c>doctor</c>), one per project naming only that project's
/// resources, where the cloud's own tools pick them up: Ceilometer (listening on exchange doctor in this AIO) turns them
/// into events, and a tenant's Aodh event alarm on <c>doctor.fault</c> fires.
/// </summary>
public sealed class PublishedNotificationTests(ITestOutputHelper output, Notes notes) : CloudScenario(output, notes, "published notifications")
{
    private Bus _bus = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Cloud.GrantRoleAsync("admin", "demo2", "admin");
        _bus = new Bus();
    }

    [OpenStackFact]
    public async Task HostDown_DoctorFaultOnTheBusPerProject_AodhAlarmFires()
    {
        var doctor = Service = await OpenStackDoctor.StartAsync(new Dictionary<string, string> { ["Doctor__OpenStack__PublishNotifications"] = "true" });
        var boots = await Task.WhenAll(Cloud.BootAsync(Aio.AdminInDemo, "pub-demo", Aio.Host1), Cloud.BootAsync(Aio.AdminInDemo2, "pub-demo2", Aio.Host1));
        var (mine, theirs) = (boots[0], boots[1]);
        foreach (var id in boots)
            await Expect.ServerOnAsync(doctor, Cloud, id, Aio.Host1);
        var demo = await Cloud.TokenAsync(Aio.Demo);
        var demo2 = await Cloud.TokenAsync(Aio.Demo2);
        await _bus.TapAsync("doctor", "notifications.info");
        var alarm = await Cloud.CreateEventAlarmAsync(Aio.Demo, "pub-doctor-fault", "doctor.fault", Consumer.Url("aodh"));

        var down = await doctor.PostEventAsync("compute.host.down", Aio.Host1);
        var (toDemo, demoAfter) = await TappedAsync("doctor.fault", mine, down, doctor);
        Notes.Took("doctor.fault for demo on the bus", demoAfter);
        Assert.Equal(demo.ProjectId, toDemo.Project);
        Assert.Equal(demo.ProjectId, toDemo.Payload["project_id"]!.GetValue<string>());
        Assert.DoesNotContain(theirs, Expect.ResourceIds(toDemo.Payload));
        Assert.Equal("error", Expect.Resource(toDemo.Payload, mine)["state"]!.GetValue<string>());
        Assert.DoesNotContain(Aio.Host1, toDemo.Payload.ToJsonString(), StringComparison.Ordinal);
        var (toDemo2, _) = await TappedAsync("doctor.fault", theirs, down, doctor);
        Assert.Equal(demo2.ProjectId, toDemo2.Project);
        Assert.DoesNotContain(mine, Expect.ResourceIds(toDemo2.Payload));

        var (fired, firedAfter) = await Consumer.WaitAsync("aodh", Expect.Alarm(alarm), "demo's Aodh alarm on doctor.fault", down,
            explain: async () => doctor.Tail());
        Notes.Took("Aodh event alarm on doctor.fault fired (Doctor → RabbitMQ → Ceilometer → Aodh → webhook)", firedAfter);
        Assert.Equal("doctor.fault", fired["reason_data"]!["event"]!["event_type"]!.GetValue<string>());
        Assert.Equal(demo.ProjectId, Expect.AlarmTrait(fired, "project_id"));

        var up = await doctor.PostEventAsync("compute.host.up", Aio.Host1);
        var (cleared, clearedAfter) = await TappedAsync("doctor.fault.cleared", mine, up, doctor);
        Notes.Took("doctor.fault.cleared for demo on the bus", clearedAfter);
        Assert.Equal(demo.ProjectId, cleared.Project);
        await Poll.UntilAsync(async () => !await Cloud.ForcedDownAsync(Aio.Host1), "fake-host-1 un-forced after recovery", TimeSpan.FromSeconds(60), async () => doctor.Tail());
    }

    /// <summary>The first message of <paramref name="eventType"/> published after <paramref name="since"/> that names
    /// <paramref name="serverId"/> (other Doctors may publish on the same bus).</summary>
    private async Task<((string Project, JsonNode Payload) Message, TimeSpan After)> TappedAsync(string eventType, string serverId, long since, OpenStackDoctor doctor)
    {
        var (found, _) = await Poll.UntilAsync(
            () => Task.FromResult(_bus.Tapped.FirstOrDefault(m => m.Arrived >= since && m.EventType == eventType && Expect.ResourceIds(m.Payload).Contains(serverId)) is { EventType: not null } m
                ? new Tuple<long, string, JsonNode>(m.Arrived, m.Project ?? "", m.Payload) : null),
            $"{eventType} naming {serverId} on exchange doctor", TimeSpan.FromSeconds(60),
            async () => $"tapped: {string.Join("\n", _bus.Tapped.Select(m => $"{m.EventType} {m.Project} {m.Payload.ToJsonString()}"))}\n{doctor.Tail()}");
        return ((found.Item2, found.Item3), Stopwatch.GetElapsedTime(since, found.Item1));
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await _bus.DisposeAsync();
    }
}
