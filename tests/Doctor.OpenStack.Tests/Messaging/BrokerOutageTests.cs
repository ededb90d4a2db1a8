using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Doctor.OpenStack.Messaging;
using Doctor.OpenStack.Tests.Infrastructure;
using Doctor.Testing;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using Xunit.Abstractions;
using static Doctor.OpenStack.Tests.Infrastructure.DoctorBus;

namespace Doctor.OpenStack.Tests.Messaging;

/// <summary>
/// A RabbitMQ outage against a real broker (<see cref="PrivateBroker"/>, the test's own node): the broker's application is
/// stopped (every connection and the listener closed, as in a broker restart; the durable queue survives) and started again.
/// Doctor must say it is not consuming while that lasts, reconnect, repair at once what no notification will tell it, consume
/// again, and publish what it had to say meanwhile.
/// </summary>
public sealed class BrokerOutageTests(ITestOutputHelper output)
{
    private const string TapQueue = "doctor-test-published";

    /// <summary>Reconnecting takes the client's recovery interval (2 s) plus a connection; generous for a busy machine.</summary>
    private static readonly TimeSpan ReconnectLimit = TimeSpan.FromSeconds(45);

    [BrokerFact]
    public async Task BrokerRestart_ConsumerSaysSoReconnectsRepairsAtOnceAndConsumesAgain()
    {
        await using var broker = await PrivateBroker.StartAsync();
        await using var cloud = await FakeCloud.StartAsync();
        cloud.AddCompute("compute-1", "svc-1");
        var logs = new LogCapture();
        // Two hosts, the first of which nobody listens on: only a consumer that uses every host of the URL connects (the
        // client tries them in random order, at the start and at each recovery).
        var url = $"rabbit://guest:guest@127.0.0.1:{FreePort.Next()},guest:guest@127.0.0.1:{broker.Port}/";
        // A day between periodic reconciliations: only the reconnect can explain a pass during this test.
        await using var doctor = await OpenStackDoctor.StartAsync(cloud, o => o.ReconcileSeconds = 86_400, transportUrl: url, logs: logs);

        var notifications = await NotificationsAsync(doctor);
        Assert.True(notifications.GetProperty("consuming").GetBoolean(), broker.Diagnostics());
        Assert.Equal(0, notifications.GetProperty("reconnects").GetInt64());
        Assert.Equal(JsonValueKind.Null, notifications.GetProperty("disconnected_since").ValueKind);

        await PublishToNovaAsync(broker, Oslo.Instance("instance.create.end", "vm-1", "tenant-a", "compute-1"));
        await Eventually.TrueAsync(async () => (await ServerIdsAsync(doctor)).Contains("vm-1"), "vm-1 from its notification");
        var passes = await PassesAsync(doctor);

        // ---- the outage -------------------------------------------------------------------------------------------------
        var stopping = DateTimeOffset.UtcNow;
        await broker.StopAppAsync();
        await Eventually.TrueAsync(async () => !(await NotificationsAsync(doctor)).GetProperty("consuming").GetBoolean(), "consuming to turn false");
        notifications = await NotificationsAsync(doctor);
        var since = notifications.GetProperty("disconnected_since").GetDateTimeOffset();
        Assert.InRange(since, stopping.AddSeconds(-1), DateTimeOffset.UtcNow);
        Assert.Equal(0, notifications.GetProperty("reconnects").GetInt64());
        var lost = await LoggedAsync(logs, LogLevel.Warning, "Lost the connection to the cloud's RabbitMQ");
        Assert.Contains("CONNECTION_FORCED", lost.Message); // the broker's reason, for the operator

        // Booted while the bus was down: no notification will ever announce it.
        cloud.AddServer("vm-missed", "tenant-a", "compute-1");

        var restart = Stopwatch.StartNew();
        var restartAt = DateTimeOffset.UtcNow;
        await broker.StartAppAsync();
        var startApp = restart.Elapsed;
        await Eventually.TrueAsync(async () =>
        {
            var n = await NotificationsAsync(doctor);
            return n.GetProperty("consuming").GetBoolean() && n.GetProperty("reconnects").GetInt64() == 1;
        }, "the consumer to reconnect", ReconnectLimit);
        var reconnected = restart.Elapsed;
        await Eventually.TrueAsync(async () => (await ServerIdsAsync(doctor)).Contains("vm-missed"), "the reconciliation after the reconnect to add vm-missed");
        var repaired = restart.Elapsed;

        notifications = await NotificationsAsync(doctor);
        Assert.Equal(JsonValueKind.Null, notifications.GetProperty("disconnected_since").ValueKind);
        // The connection's recovery brought the consumer back: no resubscribe of the consumer's own beside it.
        Assert.Equal(0, notifications.GetProperty("resubscribes").GetInt64());
        await PassCountedAsync(doctor, passes);
        Assert.Equal(passes + 1, await PassesAsync(doctor)); // the reconnect's pass, and no other
        var back = await LoggedAsync(logs, LogLevel.Information, "Reconnected to the cloud's RabbitMQ");
        Assert.Contains($"127.0.0.1:{broker.Port}", back.Message);

        // Consuming again, not only connected: the queue, its bindings to the (re-created) exchange and the consumer are back.
        await PublishToNovaAsync(broker, Oslo.Instance("instance.create.end", "vm-2", "tenant-a", "compute-1"));
        await Eventually.TrueAsync(async () => (await ServerIdsAsync(doctor)).Contains("vm-2"), "vm-2 from a notification after the reconnect");
        var applied = restart.Elapsed;

        output.WriteLine($"from the call of start_app: broker accepting again (start_app + await_startup returned) {startApp.TotalSeconds:0.00} s, " +
            $"Doctor consuming again {reconnected.TotalSeconds:0.00} s, missed server in the map {repaired.TotalSeconds:0.00} s, " +
            $"next notification applied {applied.TotalSeconds:0.00} s");
        var repairLogged = (await LoggedAsync(logs, LogLevel.Warning, "Reconciliation repaired drift")).At;
        output.WriteLine($"as logged: reconnected {(back.At - restartAt).TotalSeconds:0.00} s after start_app was called, " +
            $"the reconnect's reconciliation repaired the map {(repairLogged - back.At).TotalSeconds:0.000} s after the reconnect");
        output.WriteLine(back.Message);
    }

    [BrokerFact]
    public async Task BrokerRestart_FaultRaisedWhileDown_PublishedOnceBack_AndNeverPeriodicSyncStillRepairs()
    {
        // The test's queue is bound to Doctor's exchange at every start of the broker (see PrivateBroker.StartAsync), as
        // Ceilometer binds its own when it reconnects.
        await using var broker = await PrivateBroker.StartAsync(("doctor", TapQueue, "notifications.info"));
        await using var cloud = await FakeCloud.StartAsync();
        cloud.AddCompute("compute-1", "svc-1");
        cloud.AddCompute("compute-2", "svc-2");
        cloud.AddServer("vm-1", "tenant-a", "compute-1");
        cloud.AddServer("vm-2", "tenant-b", "compute-2");
        var logs = new LogCapture();
        await using var doctor = await OpenStackDoctor.StartAsync(cloud, o =>
        {
            o.PublishNotifications = true;
            o.ReconcileSeconds = 0; // never periodic: a reconnect still gets its pass
        }, transportUrl: broker.TransportUrl, logs: logs);

        // Before the outage: published at once.
        await doctor.EventAsync("compute.host.down", ("hostname", "compute-2"));
        var first = await NextPublishedAsync(broker);
        Assert.Equal(("doctor.fault", "tenant-b"), (first["event_type"]!.GetValue<string>(), first["_context_project_id"]!.GetValue<string>()));

        await broker.StopAppAsync();
        await Eventually.TrueAsync(async () => !(await NotificationsAsync(doctor)).GetProperty("consuming").GetBoolean(), "Doctor to see the broker gone");
        await Eventually.TrueAsync(() => logs.Find(LogLevel.Warning, "Publishing notifications to the cloud's RabbitMQ failed").Count == 1,
            "the publisher to see the broker gone");
        var passes = await PassesAsync(doctor);
        cloud.AddServer("vm-missed", "tenant-a", "compute-1");

        // Raised, and handed to the publisher, while no broker is there to take it.
        var recorded = await doctor.EventAsync("compute.host.down", ("hostname", "compute-1"));
        Assert.Equal("processed", recorded.GetProperty("status").GetString());

        var restart = Stopwatch.StartNew();
        await broker.StartAppAsync();
        var message = await NextPublishedAsync(broker);
        var published = restart.Elapsed;
        Assert.Equal(("doctor.fault", "tenant-a"), (message["event_type"]!.GetValue<string>(), message["_context_project_id"]!.GetValue<string>()));
        var resources = message["payload"]!["resources"]!.AsArray();
        Assert.Equal(["vm-1"], resources.Select(r => r!["resource_id"]!.GetValue<string>()));
        Assert.Equal("active", resources[0]!["faults"]![0]!["state"]!.GetValue<string>());
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("Publishing to the cloud's RabbitMQ at", StringComparison.Ordinal)
            && e.Message.Contains("sending the 1 notifications that waited", StringComparison.Ordinal));

        // ReconcileSeconds 0 never ticks; the reconnect alone brings the server booted meanwhile.
        await Eventually.TrueAsync(async () => (await ServerIdsAsync(doctor)).Contains("vm-missed"), "the reconnect's reconciliation", ReconnectLimit);
        await PassCountedAsync(doctor, passes);
        Assert.Equal(passes + 1, await PassesAsync(doctor));
        output.WriteLine($"the fault raised during the outage was on the tap {published.TotalSeconds:0.00} s after start_app was called");
    }

    [BrokerFact]
    public async Task BrokerDownAtStart_MapFollowsTheCloudMeanwhile_ConsumesOnceItIsUp()
    {
        await using var broker = await PrivateBroker.StartAsync();
        await broker.StopAppAsync();
        await using var cloud = await FakeCloud.StartAsync();
        cloud.AddCompute("compute-1", "svc-1");
        cloud.AddServer("vm-1", "tenant-a", "compute-1");
        var logs = new LogCapture();
        await using var doctor = await OpenStackDoctor.StartAsync(cloud, o => o.ReconcileSeconds = 86_400, transportUrl: broker.TransportUrl, logs: logs);

        // The first snapshot did not wait for the bus (the start waits for it, and a day passes before the next).
        Assert.Contains("vm-1", await ServerIdsAsync(doctor));
        var notifications = await NotificationsAsync(doctor);
        Assert.False(notifications.GetProperty("consuming").GetBoolean());
        Assert.Equal(JsonValueKind.String, notifications.GetProperty("disconnected_since").ValueKind);
        Assert.NotEmpty(logs.Find(LogLevel.Error, "Connecting to the cloud's RabbitMQ failed (attempt 1)"));
        var passes = await PassesAsync(doctor);
        cloud.AddServer("vm-late", "tenant-a", "compute-1");

        await broker.StartAppAsync();
        await Eventually.TrueAsync(async () => (await NotificationsAsync(doctor)).GetProperty("consuming").GetBoolean(), "the consumer to connect", ReconnectLimit);
        // What changed before the queue existed is brought by a pass right after the first connection.
        await Eventually.TrueAsync(async () => (await ServerIdsAsync(doctor)).Contains("vm-late"), "the pass after the first connection");
        await PassCountedAsync(doctor, passes);
        Assert.Equal(passes + 1, await PassesAsync(doctor));
        notifications = await NotificationsAsync(doctor);
        Assert.Equal(0, notifications.GetProperty("reconnects").GetInt64()); // a first connection, not a recovery
        Assert.Equal(JsonValueKind.Null, notifications.GetProperty("disconnected_since").ValueKind);

        await PublishToNovaAsync(broker, Oslo.Instance("instance.create.end", "vm-2", "tenant-a", "compute-1"));
        await Eventually.TrueAsync(async () => (await ServerIdsAsync(doctor)).Contains("vm-2"), "vm-2 from its notification");
    }

    // ---- helpers -----------------------------------------------------------------------------------------------------------

    /// <summary>The next message on the test's queue bound to Doctor's exchange, unwrapped from the oslo v2 envelope.</summary>
    private static async Task<JsonNode> NextPublishedAsync(PrivateBroker broker)
    {
        await using var connection = await broker.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        BasicGetResult? got = null;
        await Eventually.TrueAsync(async () => (got = await channel.BasicGetAsync(TapQueue, autoAck: true)) is not null,
            "a message published by Doctor", ReconnectLimit);
        var outer = JsonNode.Parse(Encoding.UTF8.GetString(got!.Body.Span))!;
        Assert.Equal("2.0", outer["oslo.version"]!.GetValue<string>());
        return JsonNode.Parse(outer["oslo.message"]!.GetValue<string>())!;
    }
}
