using System.Text.Json.Nodes;
using Doctor.Control;
using Doctor.Faults;
using Doctor.Inventory;
using Doctor.Notification;
using Doctor.State;
using Doctor.Subscriptions;

namespace Doctor.OpenStack.Messaging;

/// <summary>
/// Also tells the cloud's bus what Doctor tells owners: per project, a <c>doctor.fault</c> / <c>doctor.fault.cleared</c>
/// notification with that project's resources only (suppressed faults are left out, as for tenants), and each
/// maintenance message as Fenix sends it (<c>maintenance.scheduled</c> to a project, <c>maintenance.host</c>), so Aodh
/// event alarms and VNF managers written for Fenix act on them unchanged.
/// </summary>
public sealed class OsloNotices(INoticeSink inner, OsloPublisher publisher, string? doctorUrl = null) : INoticeSink
{
    public const string FaultEvent = "doctor.fault";
    public const string ClearedEvent = "doctor.fault.cleared";

    public void Publish(IReadOnlyList<Notice> notices, DoctorState state)
    {
        inner.Publish(notices, state);
        foreach (var notice in notices)
        {
            if (notice.Maintenance is { } maintenance)
                publisher.Publish(maintenance.IsHostMessage ? Doctor.Maintenance.MaintenanceMessage.HostEvent : Doctor.Maintenance.MaintenanceMessage.ProjectEvent,
                    MaintenancePayload(maintenance, doctorUrl), maintenance.ProjectId);
            else if (notice.Type is NotificationType.Fault or NotificationType.FaultCleared)
            {
                foreach (var (project, payload) in FaultPayloads(notice))
                    publisher.Publish(notice.Type == NotificationType.Fault ? FaultEvent : ClearedEvent, payload, project);
            }
        }
    }

    /// <summary>One payload per project the notice touches, naming only that project's servers and ports.</summary>
    public static IEnumerable<(string Project, JsonObject Payload)> FaultPayloads(Notice notice)
    {
        foreach (var group in notice.Resources
                     .Where(r => r.ProjectId is not null && !r.Type.IsPhysical() && r.Faults.Any(f => !f.IsSuppressed))
                     .GroupBy(r => r.ProjectId!, StringComparer.Ordinal))
        {
            var resources = new JsonArray();
            foreach (var r in group)
            {
                var faults = new JsonArray();
                foreach (var f in r.Faults.Where(f => !f.IsSuppressed))
                    faults.Add(new JsonObject { ["fault_id"] = f.FaultId, ["fault_type"] = f.FaultType, ["severity"] = f.Severity.Name(), ["state"] = f.IsActive ? "active" : "cleared" });
                resources.Add(new JsonObject
                {
                    ["resource_type"] = r.Type.Name(), ["resource_id"] = r.Id, ["state"] = r.State, ["host_id"] = r.HostId,
                    ["host_status"] = r.HostStatus.Name(), ["faults"] = faults,
                });
            }

            var first = group.First();
            yield return (group.Key, new JsonObject
            {
                ["project_id"] = group.Key,
                ["tenant_id"] = group.Key,
                // Not the raw event id: a monitor chooses it and may well put a host name in it, which tenants never see.
                // A stable id per (event, project, type) instead, for deduplication as Doctor's notification_id.
                ["notification_id"] = NotificationIds.For(notice.EventId, "oslo:" + group.Key, notice.Type.Name()),
                // Traits Ceilometer's default event definitions can pick up: the first affected instance and its state.
                ["instance_id"] = group.FirstOrDefault(r => r.Type == ResourceType.Server)?.Id,
                ["state"] = first.State,
                ["resources"] = resources,
            });
        }
    }

    /// <summary>Fenix's payload: the same fields as Doctor's <c>maintenance</c> object.</summary>
    public static JsonObject MaintenancePayload(Doctor.Maintenance.MaintenanceMessage m, string? doctorUrl)
    {
        if (m.IsHostMessage)
            return new JsonObject { ["host"] = m.Host, ["state"] = m.State, ["session_id"] = m.SessionId, ["project_id"] = null };
        var metadata = new JsonObject();
        foreach (var (key, value) in m.Metadata)
            metadata[key] = value;
        return new JsonObject
        {
            ["service"] = "fenix",
            ["session_id"] = m.SessionId,
            ["project_id"] = m.ProjectId,
            ["state"] = m.State,
            ["instance_ids"] = new JsonArray([.. m.InstanceIds.Select(i => (JsonNode?)i)]),
            ["allowed_actions"] = new JsonArray([.. m.AllowedActions.Select(a => (JsonNode?)a)]),
            ["actions_at"] = m.ActionsAt is { } a ? FenixTime(a) : null,
            ["reply_at"] = m.ReplyAt is { } r ? FenixTime(r) : null,
            ["reply_url"] = m.ReplyUrl is { } url ? (doctorUrl?.TrimEnd('/') ?? "") + url : null,
            ["metadata"] = metadata,
        };
    }

    /// <summary>Fenix's time format (UTC, <c>%Y-%m-%d %H:%M:%S</c>): what an app manager written for Fenix parses (its helpers
    /// split the text at the space); an RFC 3339 time would make them fail. Doctor's own webhooks keep RFC 3339.</summary>
    public static string FenixTime(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
}
