using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Doctor.Acceptance.Faults;
using Doctor.Cli.Bench;
using Doctor.Testing;
using Xunit.Abstractions;

namespace Doctor.Acceptance.Durability;

/// <summary>
/// SIGKILL against the real `doctor serve`: nothing that was acknowledged may be lost. An event that got its 202 is in
/// the log and processed after the restart, the state is what an uninterrupted run of the same log makes, and a
/// notification whose event was processed is delivered after the restart with the same id.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    private const int Hosts = 30;
    private const int Clients = 4;
    private const int Iterations = 3;
    private const int Seed = 20261206;

    [Fact]
    public async Task KillDuringEventStream_EveryAcknowledgedEventProcessed_StateEqualsAnUninterruptedRun()
    {
        var budget = Stopwatch.StartNew();
        var iterations = 0;
        var acknowledgedTotal = 0;
        for (var iteration = 0; iteration < Iterations && budget.Elapsed < TimeSpan.FromSeconds(60); iteration++)
        {
            acknowledgedTotal += await KillOnceAsync(iteration);
            iterations++;
        }

        output.WriteLine($"{iterations} kill iterations, {acknowledgedTotal} acknowledged events, none lost");
        Assert.True(iterations >= 1);
    }

    [Fact]
    public async Task KillDuringEventStream_PostgresStore_EveryAcknowledgedEventProcessed_StateEqualsAnUninterruptedRun()
    {
        // The killed and restarted service on PostgreSQL; the uninterrupted reference on SQLite: one state from one log.
        using var server = new PostgresServer();
        var settings = new Dictionary<string, string>
        {
            [DoctorConstants.StoreVariable] = DoctorConstants.PostgresStoreName,
            [DoctorConstants.ConnectionVariable] = server.NewDatabase(),
        };

        var acknowledged = await KillOnceAsync(0, settings);

        output.WriteLine($"postgres: {acknowledged} acknowledged events, none lost");
    }

    /// <summary>One crash: four monitors stream host down/up pairs (single, bulk and bare-list bodies) until a SIGKILL at a
    /// seeded random moment; answers the number of acknowledged events.</summary>
    /// <param name="settings">The store of the killed and restarted service (default: SQLite in a temp directory).</param>
    private async Task<int> KillOnceAsync(int iteration, IReadOnlyDictionary<string, string>? settings = null)
    {
        var random = new Random(Seed + iteration);
        using var data = new TempDirectory();
        var acknowledged = new ConcurrentBag<string>();
        await using (var doctor = await DoctorProcess.StartAsync(data.Path, settings: settings))
        {
            using (var admin = doctor.Client())
                await admin.PostJsonAsync("/v1/inventory", Cluster.Inventory(Hosts));

            using var stop = new CancellationTokenSource();
            var clients = Enumerable.Range(0, Clients)
                .Select(c => Task.Run(() => StreamAsync(doctor, iteration, c, new Random(Seed * 10 + iteration * Clients + c), acknowledged, stop.Token)))
                .ToArray();
            await Task.Delay(random.Next(300, 1200));
            await doctor.KillAsync();
            await stop.CancelAsync();
            await Task.WhenAll(clients);
        }

        Assert.NotEmpty(acknowledged);
        List<JsonNode> log;
        string[] recovered;
        await using (var restarted = await DoctorProcess.StartAsync(data.Path, settings: settings))
        {
            using var admin = restarted.Client();
            log = await Cluster.ProcessedLogAsync(admin);
            recovered = await Cluster.StateAsync(admin);
        }

        var recorded = log.Select(e => e["id"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        var lost = acknowledged.Where(id => !recorded.Contains(id)).ToList();
        Assert.True(lost.Count == 0, $"iteration {iteration}: {lost.Count} acknowledged events lost, e.g. {string.Join(", ", lost.Take(5))}");

        // The same log, in the same order, into a service that never crashed.
        using var referenceData = new TempDirectory();
        await using var reference = await DoctorProcess.StartAsync(referenceData.Path);
        using var client = reference.Client();
        await client.PostJsonAsync("/v1/inventory", Cluster.Inventory(Hosts));
        foreach (var chunk in log.Chunk(5000))
        {
            var events = new JsonArray([.. chunk.Select(e => (JsonNode)new JsonObject
            {
                ["id"] = e["id"]!.GetValue<string>(),
                ["time"] = e["time"]!.GetValue<string>(),
                ["type"] = e["type"]!.GetValue<string>(),
                ["details"] = e["details"]!.DeepClone(),
            })]);
            await client.PostJsonAsync("/v1/events", new JsonObject { ["events"] = events }, expect: 202);
        }

        await Cluster.ProcessedLogAsync(client);
        var uninterrupted = await Cluster.StateAsync(client);
        Assert.Equal(uninterrupted, recovered);
        output.WriteLine($"iteration {iteration}: {acknowledged.Count} acknowledged, {log.Count} recorded, {recovered.Count(l => l.StartsWith("fault", StringComparison.Ordinal))} active faults, equal");
        return acknowledged.Count;
    }

    private static async Task StreamAsync(DoctorProcess doctor, int iteration, int clientNumber, Random random, ConcurrentBag<string> acknowledged, CancellationToken stop)
    {
        using var client = doctor.Client();
        client.Timeout = TimeSpan.FromSeconds(5);
        var start = new DateTimeOffset(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);
        var n = 0;
        while (!stop.IsCancellationRequested)
        {
            var events = new List<JsonObject>();
            var pairs = random.Next(3) == 0 ? random.Next(2, 20) : 1;
            for (var p = 0; p < pairs; p++)
            {
                var host = Cluster.HostName(random.Next(Hosts));
                events.Add(Cluster.HostEvent($"i{iteration}-c{clientNumber}-{n++}", "compute.host.down", host, start.AddMilliseconds(n)));
                if (random.Next(4) != 0) // most recover, some hosts stay down
                    events.Add(Cluster.HostEvent($"i{iteration}-c{clientNumber}-{n++}", "compute.host.up", host, start.AddMilliseconds(n)));
            }

            JsonNode body = events.Count == 1 ? new JsonObject { ["event"] = events[0] }
                : random.Next(2) == 0 ? new JsonObject { ["events"] = new JsonArray([.. events]) }
                : new JsonArray([.. events]);
            try
            {
                using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
                using var response = await client.PostAsync("v1/events", content, CancellationToken.None);
                if ((int)response.StatusCode != 202)
                    continue;
                foreach (var e in events)
                    acknowledged.Add(e["id"]!.GetValue<string>());
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                return; // the server is gone: what was not answered 202 was never promised
            }
        }
    }

    [Fact]
    public async Task KillWhileDeliveryInFlight_AfterRestart_SameNotificationIdDeliveredAndNothingInvented()
    {
        using var data = new TempDirectory();
        await using var receiver = await WebhookReceiver.StartAsync();
        var held = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = 1;
        receiver.Hold = async (r, aborted) =>
        {
            if (Interlocked.Exchange(ref holding, 0) == 1)
            {
                held.TrySetResult(r.NotificationId!);
                await Task.Delay(Timeout.Infinite, aborted); // never answers; ends when the server dies
            }
        };
        var inboxes = new Inboxes();
        inboxes.Attach(receiver);

        await using (var doctor = await DoctorProcess.StartAsync(data.Path))
        {
            using var admin = doctor.Client();
            await admin.PostJsonAsync("/v1/inventory", Cluster.Inventory(2));
            await admin.PostJsonAsync("/v1/subscriptions", new JsonObject { ["callback_url"] = $"{receiver.Url}/owner" }, expect: 201);
            await admin.PostJsonAsync("/v1/events",
                new JsonObject { ["event"] = Cluster.HostEvent("down-1", "compute.host.down", Cluster.HostName(0), DateTimeOffset.UtcNow) }, expect: 202);
            await held.Task.WaitAsync(TimeSpan.FromSeconds(10));
            // The state change is committed (processed in state.db), the webhook is still unanswered.
            await Cluster.ProcessedLogAsync(admin);
            await doctor.KillAsync();
        }

        var notificationId = await held.Task;
        await using var restarted = await DoctorProcess.StartAsync(data.Path);
        var delivered = await inboxes.NextAsync("owner", () => restarted.Output);
        Assert.Equal(notificationId, delivered.NotificationId);
        Assert.Equal(notificationId, delivered.Json["notification_id"]!.GetValue<string>());
        Assert.Equal("fault", delivered.Json["notification_type"]!.GetValue<string>());

        await Task.Delay(500); // anything else would have come by now
        Assert.All(inboxes.Of("owner"), r => Assert.Equal(notificationId, r.NotificationId));
    }
}
