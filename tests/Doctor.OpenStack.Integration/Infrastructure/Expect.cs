using System.Text.Json.Nodes;

namespace Doctor.OpenStack.Integration.Infrastructure;

/// <summary>What the scenarios look for in Doctor's answers, Doctor's notifications and Aodh's alarm posts.</summary>
public static class Expect
{
    /// <summary>Waits until Doctor's map has server <paramref name="id"/> on <paramref name="host"/>; returns how long it took.</summary>
    public static async Task<TimeSpan> ServerOnAsync(OpenStackDoctor doctor, Cloud cloud, string id, string host, double seconds = 60) =>
        await Poll.UntilAsync(async () => (await doctor.FindAsync($"/v1/servers/{id}"))?["host"]?.GetValue<string>() == host,
            $"server {id} on {host} in Doctor's map", TimeSpan.FromSeconds(seconds),
            async () => $"Doctor has: {(await doctor.FindAsync($"/v1/servers/{id}"))?.ToJsonString() ?? "nothing"}\nNova shows: {Cloud.Describe(await cloud.ServerAsync(id))}\n{doctor.Tail()}");

    /// <summary>Checks for <paramref name="seconds"/> that Doctor's map keeps server <paramref name="id"/> on
    /// <paramref name="host"/>: a late notification about the move must not put it back where it was.</summary>
    public static async Task StaysOnAsync(OpenStackDoctor doctor, string id, string host, double seconds = 3)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 100 && watch.Elapsed < TimeSpan.FromSeconds(seconds); i++)
        {
            var seen = (await doctor.FindAsync($"/v1/servers/{id}"))?["host"]?.GetValue<string>();
            Assert.True(seen == host, $"server {id} went back from {host} to {seen} in Doctor's map\n{doctor.Tail()}");
            await Task.Delay(200);
        }
    }

    /// <summary>Waits until Doctor's map no longer has <paramref name="path"/> (GET answers 404).</summary>
    public static async Task<TimeSpan> GoneAsync(OpenStackDoctor doctor, string path, double seconds = 60) =>
        await Poll.UntilAsync(async () => await doctor.FindAsync(path) is null, $"{path} gone from Doctor's map", TimeSpan.FromSeconds(seconds),
            async () => $"Doctor still has: {(await doctor.FindAsync(path))?.ToJsonString()}\n{doctor.Tail()}");

    /// <summary>The ids of a notification's resources.</summary>
    public static HashSet<string> ResourceIds(JsonNode notification) =>
        notification["resources"]!.AsArray().Select(r => r!["resource_id"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);

    public static JsonNode Resource(JsonNode notification, string id) =>
        notification["resources"]!.AsArray().Single(r => r!["resource_id"]!.GetValue<string>() == id)!;

    /// <summary>A Doctor notification of <paramref name="type"/> naming every one of <paramref name="ids"/>.</summary>
    public static Func<JsonNode, bool> Notification(string type, params string[] ids) =>
        body => body["notification_type"]?.GetValue<string>() == type && ids.All(ResourceIds(body).Contains);

    /// <summary>A trait of the event an Aodh event alarm fired on (<c>reason_data.event.traits</c>: [name, type, value]).</summary>
    public static string? AlarmTrait(JsonNode alarm, string name) =>
        (alarm["reason_data"]?["event"]?["traits"] as JsonArray ?? [])
            .Select(t => t as JsonArray)
            .FirstOrDefault(t => t is { Count: 3 } && t[0]?.GetValue<string>() == name)?[2]?.ToString();

    /// <summary>An Aodh post of alarm <paramref name="alarmId"/>, optionally for the event of one instance.</summary>
    public static Func<JsonNode, bool> Alarm(string alarmId, string? instanceId = null) =>
        body => body["alarm_id"]?.GetValue<string>() == alarmId && (instanceId is null || AlarmTrait(body, "instance_id") == instanceId);

    /// <summary>The controller call of a fault's timeline with this action and target, when it completed.</summary>
    public static JsonNode? ControllerCall(JsonNode timeline, string action, string target) =>
        timeline["controller_actions"]!.AsArray().FirstOrDefault(c => c!["action"]!.GetValue<string>() == action && c["target"]!.GetValue<string>() == target);
}
