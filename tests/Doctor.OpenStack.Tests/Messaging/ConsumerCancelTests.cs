using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Doctor.OpenStack.Tests.Infrastructure;
using Doctor.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;
using static Doctor.OpenStack.Tests.Infrastructure.DoctorBus;

namespace Doctor.OpenStack.Tests.Messaging;

/// <summary>
/// The consumer stopped by RabbitMQ while the connection stays up, against a real broker (<see cref="PrivateBroker"/>): the
/// queue deleted (RabbitMQ sends basic.cancel), the queue that cannot be declared again for a while (each attempt's channel
/// closed by the broker), the consuming channel closed by the broker (a delivery not acknowledged within
/// <c>consumer_timeout</c>), and Doctor stopping meanwhile. Doctor must say it is not consuming, declare the queue and consume
/// again, and reconcile at once: what the deleted queue held is gone.
/// </summary>
public sealed class ConsumerCancelTests(ITestOutputHelper output)
{
    /// <summary>Doctor's queue in these tests (not the default name, so the option is what is declared again).</summary>
    private const string Queue = "doctor-test-cancel";

    private const int MaxLength = 5_000;

    /// <summary>What the broker's admin runs to take from Doctor's user the right to declare anything (configure); reading
    /// and writing stay allowed, so consuming goes on until the queue is gone.</summary>
    private static readonly string[] NoConfigure = ["set_permissions", "-p", "/", "guest", "^$", ".*", ".*"];

    private static readonly string[] AllRights = ["set_permissions", "-p", "/", "guest", ".*", ".*", ".*"];

    /// <summary>Generous for a busy machine: consuming again takes one declaration (or one more interval of 2 s).</summary>
    private static readonly TimeSpan ResubscribeLimit = TimeSpan.FromSeconds(45);

    [BrokerFact]
    public async Task QueueDeleted_DeclaredAgainWithItsArguments_ReconcilesAtOnce_ConsumesAgain()
    {
        await using var rig = await ConsumingRigAsync();
        var (broker, cloud, logs, doctor) = rig;
        var passes = await PassesAsync(doctor);

        // Booted just before the queue is deleted: its notification was in the queue, and is gone with it.
        cloud.AddServer("vm-missed", "tenant-a", "compute-1");

        var clock = Stopwatch.StartNew();
        await broker.CtlAsync("delete_queue", Queue);
        var deleted = clock.Elapsed;
        var seen = new List<bool>();
        await Eventually.TrueAsync(async () =>
        {
            var n = await NotificationsAsync(doctor);
            seen.Add(n.GetProperty("consuming").GetBoolean());
            return n.GetProperty("consuming").GetBoolean() && n.GetProperty("resubscribes").GetInt64() == 1;
        }, "the consumer to consume again", ResubscribeLimit);
        var consumingAgain = clock.Elapsed;
        await Eventually.TrueAsync(async () => (await ServerIdsAsync(doctor)).Contains("vm-missed"), "the resubscribe's reconciliation to add vm-missed");
        var repaired = clock.Elapsed;

        var cancelled = await LoggedAsync(logs, LogLevel.Warning, $"RabbitMQ cancelled consuming from queue {Queue}");
        Assert.Contains("re-declares the queue", cancelled.Message);
        var back = await LoggedAsync(logs, LogLevel.Information, $"Consuming from queue {Queue} again after");
        Assert.True(cancelled.At <= back.At);
        Assert.Equal(1, Attempts(back.Message)); // nothing stood in the way: declared and consumed at the first attempt
        var notifications = await NotificationsAsync(doctor);
        Assert.Equal(0, notifications.GetProperty("reconnects").GetInt64()); // the connection stayed up throughout
        Assert.Equal(JsonValueKind.Null, notifications.GetProperty("disconnected_since").ValueKind);
        await PassCountedAsync(doctor, passes);
        Assert.Equal(passes + 1, await PassesAsync(doctor)); // the resubscribe's pass, and no other

        // Declared again as Doctor declares it (durable, the same x-max-length) and consumed by one consumer.
        var queue = await QueueAsync(broker);
        Assert.NotNull(queue);
        Assert.True(queue.Value.GetProperty("durable").GetBoolean());
        Assert.Equal(MaxLength, MaxLengthOf(queue.Value));
        Assert.Equal(1, queue.Value.GetProperty("consumers").GetInt32());

        // Consuming again, not only registered: bound to the exchange again, the next notification is applied.
        await PublishToNovaAsync(broker, Oslo.Instance("instance.create.end", "vm-2", "tenant-a", "compute-1"));
        await Eventually.TrueAsync(async () => (await ServerIdsAsync(doctor)).Contains("vm-2"), "vm-2 from a notification after the resubscribe");
        var applied = clock.Elapsed;

        // A purge empties the queue but cancels nothing: the next notification comes on the same consumer (a cancel would
        // have been logged before it, and counted).
        await broker.CtlAsync("purge_queue", Queue);
        await PublishToNovaAsync(broker, Oslo.Instance("instance.create.end", "vm-3", "tenant-a", "compute-1"));
        await Eventually.TrueAsync(async () => (await ServerIdsAsync(doctor)).Contains("vm-3"), "vm-3 from a notification after a purge");
        Assert.Equal(1, (await NotificationsAsync(doctor)).GetProperty("resubscribes").GetInt64());

        output.WriteLine($"from the call of delete_queue: rabbitmqctl returned {deleted.TotalSeconds:0.00} s, Doctor consuming again (as polled) " +
            $"{consumingAgain.TotalSeconds:0.00} s, missed server in the map {repaired.TotalSeconds:0.00} s, next notification applied {applied.TotalSeconds:0.00} s; " +
            $"consuming as polled meanwhile: {string.Join(' ', seen)}");
        var repair = await LoggedAsync(logs, LogLevel.Warning, "Reconciliation repaired drift");
        Assert.Contains("1 added,", repair.Message); // vm-missed
        var repairLogged = repair.At;
        output.WriteLine($"as logged: consuming again {(back.At - cancelled.At).TotalMilliseconds:0} ms after the cancel was logged, " +
            $"the reconciliation repaired the map {(repairLogged - back.At).TotalMilliseconds:0} ms after that");
        output.WriteLine(cancelled.Message);
        output.WriteLine(back.Message);

        // Stopping closes Doctor's channel and connection itself: not a cancel, not a closed channel to replace.
        await doctor.DisposeAsync();
        Assert.Single(logs.Find(LogLevel.Warning, "RabbitMQ cancelled consuming"));
        Assert.Empty(logs.Find(LogLevel.Warning, "RabbitMQ closed the channel"));
        Assert.Single(logs.Find(LogLevel.Information, "again after"));
        Assert.Equal("[]", await ConnectionsAsync(broker));
    }

    [BrokerFact]
    public async Task QueueDeletedAndNotDeclarableForAWhile_NotConsumingMeanwhile_TriedEvery2s_ConsumesOnceAllowed()
    {
        await using var rig = await ConsumingRigAsync();
        var (broker, cloud, logs, doctor) = rig;
        var passes = await PassesAsync(doctor);

        // Each attempt to declare the queue again is refused (403 ACCESS_REFUSED): the broker closes that attempt's channel,
        // the connection stays open.
        await broker.CtlAsync(NoConfigure);
        cloud.AddServer("vm-missed", "tenant-a", "compute-1");
        await broker.CtlAsync("delete_queue", Queue);

        await Eventually.TrueAsync(async () => !(await NotificationsAsync(doctor)).GetProperty("consuming").GetBoolean(), "consuming to turn false");
        var cancelled = await LoggedAsync(logs, LogLevel.Warning, $"RabbitMQ cancelled consuming from queue {Queue}");
        var failed = await LoggedAsync(logs, LogLevel.Warning, $"Consuming from queue {Queue} again failed (attempt 1,");
        Assert.Contains("ACCESS_REFUSED", failed.Message); // the broker's reason, for the operator
        var notifications = await NotificationsAsync(doctor);
        Assert.False(notifications.GetProperty("consuming").GetBoolean());
        Assert.Equal(0, notifications.GetProperty("resubscribes").GetInt64());
        Assert.Equal(0, notifications.GetProperty("reconnects").GetInt64());
        Assert.Equal(JsonValueKind.Null, notifications.GetProperty("disconnected_since").ValueKind); // connected, not consuming
        Assert.Null(await QueueAsync(broker));

        await broker.CtlAsync(AllRights);
        await Eventually.TrueAsync(async () =>
        {
            var n = await NotificationsAsync(doctor);
            return n.GetProperty("consuming").GetBoolean() && n.GetProperty("resubscribes").GetInt64() == 1;
        }, "the consumer to consume again once allowed", ResubscribeLimit);
        await Eventually.TrueAsync(async () => (await ServerIdsAsync(doctor)).Contains("vm-missed"), "the resubscribe's reconciliation to add vm-missed");

        var back = await LoggedAsync(logs, LogLevel.Information, $"Consuming from queue {Queue} again after");
        var attempts = Attempts(back.Message);
        Assert.True(attempts >= 2, back.Message);
        // Never a tight loop: attempts follow each other 2 s apart (a bound from below, whatever the machine's load).
        var between = back.At - cancelled.At;
        Assert.True(between >= TimeSpan.FromSeconds(2 * (attempts - 1)) - TimeSpan.FromMilliseconds(100), $"{attempts} attempts in {between.TotalSeconds:0.00} s");
        Assert.Single(logs.Find(LogLevel.Warning, "again failed")); // the first failure; the others at debug (a reminder each minute)
        notifications = await NotificationsAsync(doctor);
        Assert.Equal(0, notifications.GetProperty("reconnects").GetInt64());
        await PassCountedAsync(doctor, passes);
        Assert.Equal(passes + 1, await PassesAsync(doctor));
        var queue = await QueueAsync(broker);
        Assert.NotNull(queue);
        Assert.Equal(MaxLength, MaxLengthOf(queue.Value));

        await PublishToNovaAsync(broker, Oslo.Instance("instance.create.end", "vm-2", "tenant-a", "compute-1"));
        await Eventually.TrueAsync(async () => (await ServerIdsAsync(doctor)).Contains("vm-2"), "vm-2 from a notification after the resubscribe");
        output.WriteLine($"{attempts} attempts over {between.TotalSeconds:0.00} s; {failed.Message}");
    }

    [BrokerFact]
    public async Task DoctorStopsWhileTryingToConsumeAgain_NeverConsumesAgain()
    {
        await using var rig = await ConsumingRigAsync();
        var (broker, cloud, logs, doctor) = rig;

        await broker.CtlAsync(NoConfigure);
        await broker.CtlAsync("delete_queue", Queue);
        await LoggedAsync(logs, LogLevel.Warning, $"Consuming from queue {Queue} again failed (attempt 1,");

        // The stop waits for the retry loop to end, then closes the connection: nothing is left that could consume again.
        await doctor.DisposeAsync();
        Assert.Equal("[]", await ConnectionsAsync(broker));
        await broker.CtlAsync(AllRights);
        Assert.Null(await QueueAsync(broker));
        Assert.Empty(logs.Find(LogLevel.Information, "again after"));
        Assert.Empty(logs.Find(LogLevel.Warning, "RabbitMQ closed the channel"));
    }

    [BrokerFact]
    public async Task ChannelClosedByBroker_DeliveryNotAcknowledgedInTime_NewChannelConsumesAndAcknowledges()
    {
        // RabbitMQ closes a channel (406 PRECONDITION_FAILED, the connection staying open) that holds a delivery unacknowledged
        // longer than consumer_timeout (default 30 min; here 1 s, checked every 200 ms instead of every minute).
        await using var rig = await ConsumingRigAsync(new BrokerConfig("consumer_timeout = 1000", "[{rabbit, [{channel_tick_interval, 200}]}].\n"));
        var (broker, cloud, logs, doctor) = rig;
        var passes = await PassesAsync(doctor);

        // Doctor acknowledges a message once its change is committed; while another program holds the store's write lock
        // (a backup, an sqlite3 shell), the commit waits (SQLite's busy timeout, 5 s) and so does the acknowledgement.
        var clock = Stopwatch.StartNew();
        cloud.AddServer("vm-2", "tenant-a", "compute-1");
        await using (await StoreLockAsync(doctor.DataDir))
        {
            await PublishToNovaAsync(broker, Oslo.Instance("instance.create.end", "vm-2", "tenant-a", "compute-1"));
            var closed = await LoggedAsync(logs, LogLevel.Warning, $"RabbitMQ closed the channel Doctor consumes queue {Queue} on");
            Assert.Contains("PRECONDITION_FAILED", closed.Message); // the broker's reason, for the operator
            output.WriteLine($"{clock.Elapsed.TotalSeconds:0.00} s after the lock: {closed.Message}");
        }

        var released = clock.Elapsed;
        await Eventually.TrueAsync(async () =>
        {
            var n = await NotificationsAsync(doctor);
            return n.GetProperty("consuming").GetBoolean() && n.GetProperty("resubscribes").GetInt64() >= 1;
        }, "the consumer to consume on a new channel", ResubscribeLimit);
        // The message the closed channel held (its change applied once the store was free, its acknowledgement lost with the
        // channel) was delivered again on the new channel and acknowledged there: read twice, nothing left unacknowledged. An
        // acknowledgement on the wrong channel would be refused and close that channel too.
        await Eventually.TrueAsync(async () => (await NotificationsAsync(doctor)).GetProperty("received").GetInt64() >= 3, "vm-2's message delivered again");
        await Eventually.TrueAsync(async () => (await QueueAsync(broker)) is { } q
            && q.GetProperty("messages").GetInt32() == 0 && q.GetProperty("messages_unacknowledged").GetInt32() == 0, "every message acknowledged");
        Assert.Contains("vm-2", await ServerIdsAsync(doctor));
        // Usually the connection stays up throughout. Under load it was once closed too (1 run in ~10; most likely the
        // acknowledgement crossing the broker's channel.close, which RabbitMQ answers with a connection error), and the
        // connection's own recovery took over: either way consuming resumed, which is what this test is about.
        var reconnects = (await NotificationsAsync(doctor)).GetProperty("reconnects").GetInt64();
        Assert.InRange(reconnects, 0, 1);
        await PassCountedAsync(doctor, passes);

        await PublishToNovaAsync(broker, Oslo.Instance("instance.create.end", "vm-3", "tenant-a", "compute-1"));
        await Eventually.TrueAsync(async () => (await ServerIdsAsync(doctor)).Contains("vm-3"), "vm-3 from a notification on the new channel");
        var queue = (await QueueAsync(broker))!.Value;
        Assert.Equal(1, queue.GetProperty("consumers").GetInt32());
        Assert.Equal(MaxLength, MaxLengthOf(queue));
        var resubscribes = (await NotificationsAsync(doctor)).GetProperty("resubscribes").GetInt64();
        output.WriteLine($"released the store {released.TotalSeconds:0.00} s after locking it; {resubscribes} resubscribe(s), {reconnects} reconnect(s); " +
            string.Join(" | ", logs.Find(LogLevel.Information, "again after").Select(e => e.Message)));
    }

    // ---- helpers -----------------------------------------------------------------------------------------------------------

    /// <summary>A private broker, a fake cloud with compute-1, and a Doctor consuming from the broker (vm-1 seen through a
    /// notification), disposed in the reverse order.</summary>
    private sealed record Rig(PrivateBroker Broker, FakeCloud Cloud, LogCapture Logs, OpenStackDoctor Doctor) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Doctor.DisposeAsync();
            await Cloud.DisposeAsync();
            await Broker.DisposeAsync();
        }
    }

    private static async Task<Rig> ConsumingRigAsync(BrokerConfig? config = null)
    {
        var broker = await PrivateBroker.StartAsync(config ?? new BrokerConfig());
        FakeCloud? cloud = null;
        OpenStackDoctor? doctor = null;
        try
        {
            cloud = await FakeCloud.StartAsync();
            cloud.AddCompute("compute-1", "svc-1");
            var logs = new LogCapture();
            // A day between periodic reconciliations (StartDoctorAsync): only a resubscribe can explain a pass during a test.
            doctor = await StartDoctorAsync(cloud, broker, logs);
            await ConsumingAsync(doctor, cloud, broker, "vm-1");
            return new Rig(broker, cloud, logs, doctor);
        }
        catch
        {
            if (doctor is not null)
                await doctor.DisposeAsync();
            if (cloud is not null)
                await cloud.DisposeAsync();
            await broker.DisposeAsync();
            throw;
        }
    }

    private static Task<OpenStackDoctor> StartDoctorAsync(FakeCloud cloud, PrivateBroker broker, LogCapture logs) =>
        OpenStackDoctor.StartAsync(cloud, o =>
        {
            o.ReconcileSeconds = 86_400;
            o.Queue = Queue;
            o.QueueMaxLength = MaxLength;
        }, transportUrl: broker.TransportUrl, logs: logs);

    /// <summary>Consuming before the test begins: the status says so and a notification reaches the map (about a server the
    /// cloud has, so that a reconciliation later repairs only what the test means it to).</summary>
    private static async Task ConsumingAsync(OpenStackDoctor doctor, FakeCloud cloud, PrivateBroker broker, string server)
    {
        cloud.AddServer(server, "tenant-a", "compute-1");
        var notifications = await NotificationsAsync(doctor);
        Assert.True(notifications.GetProperty("consuming").GetBoolean(), broker.Diagnostics());
        Assert.Equal(0, notifications.GetProperty("resubscribes").GetInt64());
        await PublishToNovaAsync(broker, Oslo.Instance("instance.create.end", server, "tenant-a", "compute-1"));
        await Eventually.TrueAsync(async () => (await ServerIdsAsync(doctor)).Contains(server), $"{server} from its notification");
    }

    /// <summary>Doctor's queue as <c>rabbitmqctl list_queues</c> shows it, or null when it does not exist.</summary>
    private static async Task<JsonElement?> QueueAsync(PrivateBroker broker)
    {
        var json = await broker.CtlAsync("list_queues", "name", "durable", "arguments", "consumers", "messages", "messages_unacknowledged", "--formatter", "json");
        using var queues = JsonDocument.Parse(json);
        foreach (var queue in queues.RootElement.EnumerateArray())
        {
            if (queue.GetProperty("name").GetString() == Queue)
                return queue.Clone();
        }

        return null;
    }

    /// <summary>The queue's <c>x-max-length</c> (rabbitmqctl lists arguments as [name, type, value]).</summary>
    private static int MaxLengthOf(JsonElement queue) =>
        queue.GetProperty("arguments").EnumerateArray().Single(a => a[0].GetString() == "x-max-length")[2].GetInt32();

    private static async Task<string> ConnectionsAsync(PrivateBroker broker) =>
        JsonSerializer.Serialize(JsonDocument.Parse(await broker.CtlAsync("list_connections", "name", "--formatter", "json")).RootElement);

    /// <summary>The attempts a "Consuming from queue … again after" line counts.</summary>
    private static int Attempts(string message) =>
        int.Parse(Regex.Match(message, @"\((\d+) attempts").Groups[1].Value, CultureInfo.InvariantCulture);

    /// <summary>Holds the write lock of both of the store's SQLite files, as another program would, until disposed.</summary>
    private static async Task<IAsyncDisposable> StoreLockAsync(string dataDir)
    {
        var held = new StoreLock();
        try
        {
            foreach (var file in new[] { "events.db", "state.db" })
            {
                var connection = new SqliteConnection($"Data Source={Path.Combine(dataDir, file)};Pooling=False");
                await connection.OpenAsync();
                await using var begin = connection.CreateCommand();
                begin.CommandText = "PRAGMA busy_timeout=5000; BEGIN IMMEDIATE;";
                await begin.ExecuteNonQueryAsync();
                held.Connections.Add(connection);
            }
        }
        catch
        {
            await held.DisposeAsync();
            throw;
        }

        return held;
    }

    private sealed class StoreLock : IAsyncDisposable
    {
        public List<SqliteConnection> Connections { get; } = [];

        public async ValueTask DisposeAsync()
        {
            foreach (var connection in Connections)
            {
                await using (var rollback = connection.CreateCommand())
                {
                    rollback.CommandText = "ROLLBACK;";
                    await rollback.ExecuteNonQueryAsync();
                }

                await connection.DisposeAsync();
            }
        }
    }
}
