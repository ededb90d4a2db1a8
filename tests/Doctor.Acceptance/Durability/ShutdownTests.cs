using System.Diagnostics;
using System.Text.Json.Nodes;
using Doctor.Acceptance.Faults;
using Doctor.Cli.Bench;
using Doctor.Testing;

namespace Doctor.Acceptance.Durability;

/// <summary>SIGTERM: the engine drains, pending deliveries get a bounded time, the rest waits in the outbox.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task Sigterm_SlowConsumer_ExitsWithinTheDrainBoundAndTheNotificationArrivesAfterRestart()
    {
        using var data = new TempDirectory();
        await using var receiver = await WebhookReceiver.StartAsync();
        var held = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = 1;
        receiver.Hold = async (r, aborted) =>
        {
            if (Volatile.Read(ref slow) == 1)
            {
                held.TrySetResult(r.NotificationId!);
                await Task.Delay(Timeout.Infinite, aborted);
            }
        };
        var inboxes = new Inboxes();
        inboxes.Attach(receiver);
        var settings = new Dictionary<string, string> { ["Doctor__ShutdownDrainSeconds"] = "2" };

        TimeSpan stopping;
        await using (var doctor = await DoctorProcess.StartAsync(data.Path, settings: settings))
        {
            using var admin = doctor.Client();
            await admin.PostJsonAsync("/v1/inventory", Cluster.Inventory(2));
            await admin.PostJsonAsync("/v1/subscriptions", new JsonObject { ["callback_url"] = $"{receiver.Url}/owner" }, expect: 201);
            await admin.PostJsonAsync("/v1/events",
                new JsonObject { ["event"] = Cluster.HostEvent("down-1", "compute.host.down", Cluster.HostName(0), DateTimeOffset.UtcNow) }, expect: 202);
            await held.Task.WaitAsync(TimeSpan.FromSeconds(10));

            var watch = Stopwatch.StartNew();
            await doctor.StopAsync();
            stopping = watch.Elapsed;
            Assert.Equal(0, doctor.ExitCode);
        }

        // The drain bound (2 s) plus the process's own start-up of the stop; far below the 30 s kill of StopAsync.
        Assert.True(stopping < TimeSpan.FromSeconds(8), $"the stop took {stopping.TotalSeconds:0.0} s");
        Assert.True(stopping >= TimeSpan.FromSeconds(1.5), $"the stop did not wait for the delivery ({stopping.TotalSeconds:0.0} s)");

        Volatile.Write(ref slow, 0);
        var notificationId = await held.Task;
        await using var restarted = await DoctorProcess.StartAsync(data.Path, settings: settings);
        var delivered = await inboxes.NextAsync("owner", () => restarted.Output);
        Assert.Equal(notificationId, delivered.NotificationId);
    }
}
