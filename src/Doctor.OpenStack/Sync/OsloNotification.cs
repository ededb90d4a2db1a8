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
    /// <summary>The event type and changes of one message body; (null, []) when it is not a notification. Never throws on
    /// any body: a message that is not JSON, not an object, has duplicate keys or fields of unexpected JSON kinds gives
    /// nothing (a field of the wrong kind makes the whole message unreadable, rather than half of it applied).</summary>
    public static (string? EventType, IReadOnlyList<CloudChange> Changes) Read(ReadOnlySpan<byte> body)
    {
        JsonObject message;
        string eventType;
        try
        {
            var outer = JsonNode.Parse(body);
            var node = outer is JsonObject envelope && envelope["oslo.message"] is JsonValue inner && inner.TryGetValue<string>(out var text)
                ? JsonNode.Parse(text)
                : outer;
            if (node is not JsonObject read || Text(read["event_type"]) is not { } type)
                return (null, []);
            message = read;
            eventType = type;
        }
        catch (Exception ex) when (IsMalformed(ex))
        {
            return (null, []);
        }

        try
        {
            return (eventType, Translate(eventType, message["payload"]));
        }
        catch (Exception ex) when (IsMalformed(ex))
        {
            return (eventType, []);
        }
    }

    /// <summary>What System.Text.Json throws on a body it cannot read or a node of another kind than asked: not JSON
    /// (<see cref="JsonException"/>), invalid UTF-8 or a wrong kind (<see cref="InvalidOperationException"/>), a duplicate
    /// key (<see cref="ArgumentException"/>), and <see cref="FormatException"/> from <see cref="Text"/>.</summary>
    private static bool IsMalformed(Exception ex) => ex is JsonException or InvalidOperationException or ArgumentException or FormatException;

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
        // During a migration the host field keeps the source until the move is done; later messages carry the target. One
        // exception: the source compute's live_migration_post notifications come after the destination's post_dest.end
        // and carry the instance as the source last saw it, so their host is stale (the map would move the server back).
        var host = SourceSideOfLiveMigration(eventType) ? null : Text(data["host"]);
        return [new CloudChange.ServerSeen(id, Text(data["display_name"]), projectId, host)];
    }

    /// <summary>Versioned <c>instance.live_migration_post.*</c>, legacy <c>compute.instance.live_migration._post.*</c> (here
    /// without <c>compute.</c>); not <c>…post_dest…</c>, which the destination sends with the new host.</summary>
    private static bool SourceSideOfLiveMigration(string eventType) =>
        eventType.StartsWith("instance.live_migration_post.", StringComparison.Ordinal)
        || eventType.StartsWith("instance.live_migration._post.", StringComparison.Ordinal);

    private static IReadOnlyList<CloudChange> Service(JsonNode data)
    {
        if (Text(data["binary"]) != "nova-compute" || Text(data["host"]) is not { } host)
            return [];
        var disabled = Flag(data["disabled"]);
        var forced = Flag(data["forced_down"]);
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
        // Only ports of servers belong in the map (as in a snapshot, NeutronPort.IsServerPort): a port that is not one, or no
        // longer is one (detached from its server: device_id emptied), leaves it.
        var owner = Text(port["device_owner"]);
        if (Text(port["device_id"]) is null || owner is not null && !owner.StartsWith("compute:", StringComparison.Ordinal))
            return eventType.StartsWith("port.update", StringComparison.Ordinal) ? [new CloudChange.PortGone(portId)] : [];
        return [new CloudChange.PortSeen(portId, Text(port["device_id"]), Text(port["project_id"]) ?? Text(port["tenant_id"]),
            Text(port["binding:host_id"]), Text(port["network_id"]), Text(port["status"]))];
    }

    /// <summary>A string field: null when absent, JSON null or empty; a field of another kind makes the message malformed.</summary>
    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue value when value.TryGetValue<string>(out var text) => text.Length > 0 ? text : null,
        _ => throw new FormatException("a field of an unexpected JSON kind"),
    };

    /// <summary>A boolean field: null when absent or JSON null; another kind makes the message malformed.</summary>
    private static bool? Flag(JsonNode? node) => node switch
    {
        null => null,
        JsonValue value when value.TryGetValue<bool>(out var flag) => flag,
        _ => throw new FormatException("a field of an unexpected JSON kind"),
    };
}
