using System.Text.Json;
using System.Text.Json.Nodes;

namespace Doctor.OpenStack.Sync;

/// <summary>
/// Reads an oslo.messaging notification off the wire (the v2 envelope <c>{"oslo.version": "2.0", "oslo.message": "…"}</c>
/// or a bare v1 message) and turns the ones the resource map cares about into <see cref="CloudChange"/>s: Nova's
/// versioned <c>instance.*</c> and <c>service.update</c>, legacy <c>compute.instance.*</c>, Neutron's <c>port.*</c>.
/// Anything else (or anything malformed) gives nothing: a bad message must not stop the queue.
/// </summary>
public static class OsloNotification
{
    /// <summary>The event type and changes of one message body; (null, []) when it is not a notification.</summary>
    public static (string? EventType, IReadOnlyList<CloudChange> Changes) Read(ReadOnlySpan<byte> body)
    {
        JsonNode? message;
        try
        {
            var outer = JsonNode.Parse(body);
            message = outer?["oslo.message"] is JsonValue inner && inner.TryGetValue<string>(out var text) ? JsonNode.Parse(text) : outer;
        }
        catch (JsonException)
        {
            return (null, []);
        }

        if (message is not JsonObject || Text(message["event_type"]) is not { } eventType)
            return (null, []);
        try
        {
            return (eventType, Translate(eventType, message["payload"]));
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            return (eventType, []); // a field of an unexpected JSON kind
        }
    }

    public static IReadOnlyList<CloudChange> Translate(string eventType, JsonNode? payload)
    {
        if (payload is null)
            return [];
        // Versioned notifications wrap their data in a nova_object.
        var data = payload["nova_object.data"] ?? payload;
        if (eventType.StartsWith("instance.", StringComparison.Ordinal))
            return Instance(eventType, data, Text(data["uuid"]), Text(data["tenant_id"]));
        if (eventType.StartsWith("compute.instance.", StringComparison.Ordinal))
            return Instance(eventType["compute.".Length..], data, Text(data["instance_id"]), Text(data["tenant_id"]));
        if (eventType == "service.update" || eventType.StartsWith("service.create", StringComparison.Ordinal))
            return Service(data);
        if (eventType.StartsWith("port.", StringComparison.Ordinal))
            return Port(eventType, payload);
        return [];
    }

    private static IReadOnlyList<CloudChange> Instance(string eventType, JsonNode data, string? id, string? projectId)
    {
        if (id is null)
            return [];
        var state = Text(data["state"]);
        if (eventType.StartsWith("instance.delete.end", StringComparison.Ordinal) || eventType == "instance.soft_delete.end" || state is "deleted" or "soft-delete")
            return [new CloudChange.ServerGone(id)];
        if (eventType.StartsWith("instance.delete", StringComparison.Ordinal))
            return []; // .start: it still exists
        // During a migration the host field keeps the source until the move is done; later messages carry the target.
        return [new CloudChange.ServerSeen(id, Text(data["display_name"]), projectId, Text(data["host"]))];
    }

    private static IReadOnlyList<CloudChange> Service(JsonNode data)
    {
        if (Text(data["binary"]) != "nova-compute" || Text(data["host"]) is not { } host)
            return [];
        bool? disabled = data["disabled"] is JsonValue d && d.TryGetValue<bool>(out var b) ? b : null;
        bool? forced = data["forced_down"] is JsonValue f && f.TryGetValue<bool>(out var fb) ? fb : null;
        return [new CloudChange.ComputeSeen(host, Text(data["uuid"]), Text(data["availability_zone"]), disabled is null ? null : !disabled, forced)
        {
            DisabledReason = Text(data["disabled_reason"]),
        }];
    }

    private static IReadOnlyList<CloudChange> Port(string eventType, JsonNode payload)
    {
        if (eventType.StartsWith("port.delete", StringComparison.Ordinal))
        {
            if (!eventType.EndsWith(".end", StringComparison.Ordinal))
                return [];
            var id = Text(payload["port_id"]) ?? Text(payload["port"]?["id"]);
            return id is null ? [] : [new CloudChange.PortGone(id)];
        }

        if (!eventType.EndsWith(".end", StringComparison.Ordinal) || payload["port"] is not JsonObject port || Text(port["id"]) is not { } portId)
            return [];
        var owner = Text(port["device_owner"]);
        if (owner is not null && !owner.StartsWith("compute:", StringComparison.Ordinal))
            return [];
        return [new CloudChange.PortSeen(portId, Text(port["device_id"]), Text(port["project_id"]) ?? Text(port["tenant_id"]),
            Text(port["binding:host_id"]), Text(port["network_id"]), Text(port["status"]))];
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;
}
