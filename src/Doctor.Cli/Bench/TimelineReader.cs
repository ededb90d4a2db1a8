using System.Text.Json.Nodes;
using Doctor.Cli.Client;

namespace Doctor.Cli.Bench;

/// <summary>Reads the profiler's checkpoints of a resource's active root fault (ms after <c>received</c>).</summary>
public static class TimelineReader
{
    /// <summary>Checkpoint name → ms; <c>delivered</c> is the last subscription's 2xx. Empty when there is no such fault.</summary>
    public static Task<Dictionary<string, double>> ForHostAsync(DoctorClient admin, string host, CancellationToken cancellationToken) =>
        ForResourceAsync(admin, "host", host, cancellationToken);

    /// <summary>As <see cref="ForHostAsync"/> for any resource type (<c>device</c> for a switch failure).</summary>
    public static async Task<Dictionary<string, double>> ForResourceAsync(DoctorClient admin, string type, string id, CancellationToken cancellationToken)
    {
        var checkpoints = new Dictionary<string, double>();
        var faults = await admin.GetAsync($"/v1/faults?state=active&resource_type={type}&resource_id={Uri.EscapeDataString(id)}", cancellationToken);
        if (faults?["faults"]?[0]?["fault_id"]?.GetValue<string>() is not { } faultId)
            return checkpoints;
        var timeline = await admin.GetAsync($"/v1/faults/{faultId}/timeline", cancellationToken);
        foreach (var checkpoint in timeline?["checkpoints"]?.AsArray() ?? [])
        {
            if (checkpoint?["ms"] is JsonValue ms)
                checkpoints[checkpoint["name"]!.GetValue<string>()] = ms.GetValue<double>();
        }

        var delivered = (timeline?["deliveries"]?.AsArray() ?? []).Select(d => d?["delivered_ms"]).OfType<JsonValue>().Select(v => v.GetValue<double>()).ToList();
        if (delivered.Count > 0)
            checkpoints["delivered"] = delivered.Max();
        return checkpoints;
    }
}
