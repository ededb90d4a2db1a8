using System.Diagnostics;
using System.Text.Json.Nodes;
using Doctor.Cli.Bench;

namespace Doctor.Acceptance.Faults;

/// <summary>
/// Puts a freshly started service "in operation" before a timed step: one host fault and its recovery on a host of
/// its own, owned by a project of its own, so every part of the path (ingest, engine, store, notifier, the webhook
/// connection) has run once. The original "&lt; 1 s" requirement is about a running service; the first fault after a
/// start still pays for what the server's own start-up warm-up cannot reach (the event store's first append, the API's
/// first request, the test's own receiver), which the test reports instead of timing.
/// </summary>
public static class Warmup
{
    public const string Host = "warmup-host";
    public const string Project = "warmup-project";
    public const string Server = "warmup-vm";

    /// <summary>Adds the warm-up host and its one server to an inventory body.</summary>
    public static void AddTo(JsonObject inventory)
    {
        inventory["hosts"]!.AsArray().Add(new JsonObject { ["name"] = Host, ["zone"] = "warmup-zone" });
        inventory["servers"]!.AsArray().Add(new JsonObject { ["id"] = Server, ["name"] = Server, ["project_id"] = Project, ["host"] = Host });
    }

    /// <summary>
    /// Fails and recovers the warm-up host, waiting for its owner's two notifications (and for the same two at every
    /// path in <paramref name="alsoNotified"/>, which are discarded). Returns how long the first fault took to reach
    /// its owner.
    /// </summary>
    public static async Task<TimeSpan> RunAsync(DoctorProcess doctor, WebhookReceiver receiver, Inboxes inboxes, HttpClient monitor, params string[] alsoNotified)
    {
        using var admin = doctor.Client();
        var token = await admin.PostJsonAsync("/v1/tokens", new JsonObject { ["role"] = "project", ["project_id"] = Project }, expect: 201);
        using (var owner = doctor.Client(token["token"]!.GetValue<string>()))
            await owner.PostJsonAsync("/v1/subscriptions", new JsonObject { ["callback_url"] = $"{receiver.Url}/{Project}" }, expect: 201);

        var start = Stopwatch.GetTimestamp();
        await monitor.PostJsonAsync("/v1/events", Event("compute.host.down"), expect: 202);
        var fault = await inboxes.NextAsync(Project, () => doctor.Output);
        var firstFault = Stopwatch.GetElapsedTime(start, fault.ArrivedTicks);
        await monitor.PostJsonAsync("/v1/events", Event("compute.host.up"), expect: 202);
        var cleared = await inboxes.NextAsync(Project, () => doctor.Output);
        Assert.Equal(("fault", "fault_cleared"),
            (fault.Json["notification_type"]!.GetValue<string>(), cleared.Json["notification_type"]!.GetValue<string>()));
        foreach (var path in alsoNotified)
        {
            await inboxes.NextAsync(path, () => doctor.Output);
            await inboxes.NextAsync(path, () => doctor.Output);
        }

        return firstFault;
    }

    private static JsonObject Event(string type) => new()
    {
        ["event"] = new JsonObject
        {
            ["time"] = DateTime.UtcNow.ToString("O"),
            ["type"] = type,
            ["details"] = new JsonObject { ["hostname"] = Host, ["source"] = "acceptance-warmup" },
        },
    };
}
