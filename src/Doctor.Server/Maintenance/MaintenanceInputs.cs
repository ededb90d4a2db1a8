using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Doctor.Maintenance;
using Doctor.Serialization;
using Doctor.Server.Http;

namespace Doctor.Server.Maintenance;

/// <summary>Body of <c>POST /v1/maintenance</c> (SPEC §6).</summary>
public sealed record MaintenanceInput(
    List<string?>? Hosts, string? State, string? MaintenanceAt, string? Workflow, Dictionary<string, JsonElement>? Metadata);

/// <summary>Body of <c>PUT /v1/maintenance/{sid}/{project_id}</c>.</summary>
public sealed record ReplyInput(string? State, Dictionary<string, string?>? InstanceActions);

/// <summary>Validation of maintenance input: 400 naming the field, before the engine sees anything.</summary>
public static class MaintenanceInputs
{
    /// <summary>Fenix's time format, read as UTC.</summary>
    private const string FenixTime = "yyyy-MM-dd HH:mm:ss";

    public static MaintenanceRequest ToRequest(MaintenanceInput input, DateTimeOffset now)
    {
        if (input.State is not (null or "MAINTENANCE"))
            throw Bad("state", "state must be MAINTENANCE to start a session");
        var workflow = input.Workflow ?? MaintenanceWorkflow.Default;
        if (!Fields.IsIdentifier(workflow))
            throw Bad("workflow", "workflow must be 1–255 characters");
        if (workflow != MaintenanceWorkflow.Default)
            throw Bad("workflow", $"workflow '{workflow}' is not supported; only 'default' is (the 'vnf' workflow is not implemented)");

        var hosts = ImmutableArray.CreateBuilder<string>();
        if (input.Hosts is { } list)
        {
            if (list.Count > 100_000)
                throw Bad("hosts", "hosts names at most 100,000 hosts");
            for (var i = 0; i < list.Count; i++)
            {
                if (!Fields.IsIdentifier(list[i]))
                    throw Bad($"hosts[{i}]", $"hosts[{i}] must be a host name of 1–255 characters without control characters");
                hosts.Add(list[i]!);
            }
        }

        var at = now;
        if (input.MaintenanceAt is { } text)
        {
            if (DateTime.TryParseExact(text, FenixTime, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var plain))
                at = new DateTimeOffset(plain, TimeSpan.Zero);
            else if (!Rfc3339.TryParse(text, out at))
                throw Bad("maintenance_at", "maintenance_at must be 'YYYY-MM-DD HH:MM:SS' (UTC) or an RFC 3339 time");
        }

        return new MaintenanceRequest(hosts.ToImmutable(), at, workflow, Metadata(input.Metadata));
    }

    public static (string State, IReadOnlyDictionary<string, string>? Actions) ToReply(ReplyInput input)
    {
        if (input.State is null)
            throw Bad("state", "state is required (ACK_<STATE> or NACK_<STATE>)");
        if (!Fields.IsIdentifier(input.State))
            throw Bad("state", "state must be 1–255 characters");
        if (input.InstanceActions is null)
            return (input.State, null);
        var actions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (id, action) in input.InstanceActions)
        {
            if (!Fields.IsIdentifier(id))
                throw Bad("instance_actions", "instance_actions keys must be instance ids of 1–255 characters");
            if (action is null || !Fields.IsIdentifier(action))
                throw Bad($"instance_actions.{id}", $"instance_actions.{id} must be MIGRATE, LIVE_MIGRATE or OWN_ACTION");
            actions[id] = action;
        }

        return (input.State, actions);
    }

    /// <summary>Fenix's metadata is free JSON; strings and numbers are kept (as text), anything else is refused.</summary>
    private static ImmutableSortedDictionary<string, string> Metadata(Dictionary<string, JsonElement>? metadata)
    {
        if (metadata is null)
            return ImmutableSortedDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);
        if (metadata.Count > 256)
            throw Bad("metadata", "metadata holds at most 256 entries");
        var builder = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata)
        {
            if (!Fields.IsIdentifier(key))
                throw Bad("metadata", "metadata keys must be 1–255 characters");
            var text = value.ValueKind switch
            {
                JsonValueKind.String => value.GetString()!,
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
                _ => throw Bad($"metadata.{key}", $"metadata.{key} must be a string, number or boolean"),
            };
            if (text.Length > DoctorConstants.MaxDetailValueBytes)
                throw Bad($"metadata.{key}", $"metadata.{key} is longer than {DoctorConstants.MaxDetailValueBytes} bytes");
            builder[key] = text;
        }

        return builder.ToImmutable();
    }

    private static RequestException Bad(string field, string detail) => new(Problems.BadRequest(field, detail));
}
