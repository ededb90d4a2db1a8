using System.Text;
using System.Text.Json.Nodes;

namespace Doctor.OpenStack.Tests.Infrastructure;

/// <summary>Notifications as Nova and Neutron put them on the bus (oslo.messaging v2 envelope or bare v1).</summary>
public static class Oslo
{
    /// <summary>The v2 wire form: the message serialized into the <c>oslo.message</c> string.</summary>
    public static byte[] V2(JsonObject message) =>
        Encoding.UTF8.GetBytes(new JsonObject { ["oslo.version"] = "2.0", ["oslo.message"] = message.ToJsonString() }.ToJsonString());

    public static byte[] V1(JsonObject message) => Encoding.UTF8.GetBytes(message.ToJsonString());

    public static JsonObject Message(string eventType, JsonNode? payload, string publisher = "nova-compute:compute-1") => new()
    {
        ["message_id"] = Guid.NewGuid().ToString(),
        ["publisher_id"] = publisher,
        ["event_type"] = eventType,
        ["priority"] = "INFO",
        ["payload"] = payload,
        ["timestamp"] = "2026-01-01 00:00:00.000000",
        ["_unique_id"] = Guid.NewGuid().ToString("N"),
        ["_context_project_id"] = "p-admin",
        ["_context_is_admin"] = true,
    };

    /// <summary>A versioned instance notification (InstanceUpdatePayload / InstanceActionPayload).</summary>
    public static JsonObject Instance(string eventType, string uuid, string tenant, string? host, string name = "web-1", string state = "active") =>
        Message(eventType, new JsonObject
        {
            ["nova_object.name"] = eventType == "instance.update" ? "InstanceUpdatePayload" : "InstanceActionPayload",
            ["nova_object.namespace"] = "nova",
            ["nova_object.version"] = "1.9",
            ["nova_object.data"] = new JsonObject
            {
                ["uuid"] = uuid, ["tenant_id"] = tenant, ["user_id"] = "u-1", ["host"] = host, ["node"] = host is null ? null : host + ".localdomain",
                ["display_name"] = name, ["host_name"] = name, ["state"] = state, ["task_state"] = null, ["power_state"] = "running",
                ["availability_zone"] = "nova", ["flavor"] = new JsonObject { ["nova_object.name"] = "FlavorPayload", ["nova_object.data"] = new JsonObject { ["name"] = "m1.tiny" } },
                ["state_update"] = new JsonObject { ["nova_object.data"] = new JsonObject { ["old_state"] = "building", ["state"] = state } },
            },
        });

    /// <summary>A legacy (unversioned) <c>compute.instance.*</c> notification.</summary>
    public static JsonObject LegacyInstance(string eventType, string id, string tenant, string? host, string name = "web-1", string state = "active") =>
        Message(eventType, new JsonObject
        {
            ["instance_id"] = id, ["tenant_id"] = tenant, ["user_id"] = "u-1", ["host"] = host, ["node"] = host, ["display_name"] = name,
            ["hostname"] = name, ["state"] = state, ["old_state"] = "building", ["state_description"] = "", ["instance_type"] = "m1.tiny",
        });

    public static JsonObject ServiceUpdate(string host, string uuid, bool disabled, bool forcedDown, string? zone = null, string binary = "nova-compute") =>
        Message("service.update", new JsonObject
        {
            ["nova_object.name"] = "ServiceStatusPayload",
            ["nova_object.namespace"] = "nova",
            ["nova_object.version"] = "1.1",
            ["nova_object.data"] = new JsonObject
            {
                ["host"] = host, ["binary"] = binary, ["topic"] = "compute", ["report_count"] = 12, ["disabled"] = disabled,
                ["disabled_reason"] = disabled ? "maintenance" : null, ["availability_zone"] = zone, ["last_seen_up"] = "2026-01-01T00:00:00Z",
                ["forced_down"] = forcedDown, ["version"] = 61, ["uuid"] = uuid,
            },
        }, "nova-compute:" + host);

    public static JsonObject Port(string eventType, string id, string? device, string project, string? host, string owner = "compute:nova", string status = "ACTIVE") =>
        Message(eventType, new JsonObject
        {
            ["port"] = new JsonObject
            {
                ["id"] = id, ["name"] = "", ["network_id"] = "net-1", ["tenant_id"] = project, ["project_id"] = project, ["mac_address"] = "fa:16:3e:11:22:33",
                ["admin_state_up"] = true, ["status"] = status, ["device_id"] = device ?? "", ["device_owner"] = owner, ["binding:host_id"] = host ?? "",
                ["binding:vif_type"] = "ovs", ["fixed_ips"] = new JsonArray(new JsonObject { ["subnet_id"] = "sub-1", ["ip_address"] = "10.0.0.5" }),
            },
        }, "network.controller");

    public static JsonObject PortDelete(string id) => Message("port.delete.end", new JsonObject { ["port_id"] = id }, "network.controller");
}
