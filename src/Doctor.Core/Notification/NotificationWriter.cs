using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Doctor.Faults;
using Doctor.Inventory;
using Doctor.Serialization;
using Doctor.Subscriptions;

namespace Doctor.Notification;

/// <summary>
/// Writes the notification body of SPEC §5 straight to UTF-8. Two views: the admin view (host names, raw
/// details, every correlation) for global admin subscriptions, and the tenant view, which carries only
/// <c>host_id</c>, the abstract cause and correlations among the tenant's own faults.
/// </summary>
public static class NotificationWriter
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Largest per-thread buffer kept for the next body (1 MiB); a bigger one is dropped after use.</summary>
    private const int MaxKeptBuffer = 1024 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    public static byte[] Write(
        string notificationId, NotificationType type, Subscription subscription, DateTimeOffset generatedAt,
        IReadOnlyList<NoticeResource> resources, Func<Fault, bool> admitsFault)
    {
        // One buffer and one writer per thread, reused: a large fan-out writes a hundred bodies of tens of KiB each,
        // and growing a fresh buffer for every one of them was most of the notifier's garbage. The body is copied out.
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(64 * 1024);
        buffer.ResetWrittenCount();
        var w = t_writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        w.Reset(buffer);
        try
        {
            var tenant = !subscription.IsGlobal;
            HashSet<string>? visible = null;
            if (tenant)
            {
                visible = new HashSet<string>(StringComparer.Ordinal);
                foreach (var resource in resources)
                {
                    foreach (var fault in resource.Faults)
                        visible.Add(fault.FaultId);
                }
            }

            w.WriteStartObject();
            w.WriteString("notification_id", notificationId);
            w.WriteString("notification_type", type.Name());
            w.WriteString("subscription_id", subscription.SubscriptionId);
            if (subscription.ProjectId is null)
                w.WriteNull("project_id");
            else
                w.WriteString("project_id", subscription.ProjectId);
            WriteTime(w, "generated_at", generatedAt);
            w.WriteStartArray("resources");
            foreach (var resource in resources)
                WriteResource(w, resource, tenant, visible, admitsFault);
            w.WriteEndArray();
            w.WriteEndObject();
            w.Flush();
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            buffer.ResetWrittenCount();
            w.Reset();
            if (buffer.Capacity > MaxKeptBuffer)
                (t_buffer, t_writer) = (null, null); // one huge body must not pin its buffer on this thread for good
        }
    }

    /// <summary>A maintenance notification (SPEC §6): the §5 envelope, the servers concerned, and the <c>maintenance</c> object.</summary>
    public static byte[] WriteMaintenance(
        string notificationId, Subscription subscription, DateTimeOffset generatedAt, IReadOnlyList<NoticeResource> resources,
        Doctor.Maintenance.MaintenanceMessage message)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, WriterOptions))
        {
            var tenant = !subscription.IsGlobal;
            w.WriteStartObject();
            w.WriteString("notification_id", notificationId);
            w.WriteString("notification_type", NotificationType.Maintenance.Name());
            w.WriteString("subscription_id", subscription.SubscriptionId);
            WriteNullable(w, "project_id", subscription.ProjectId);
            WriteTime(w, "generated_at", generatedAt);
            w.WriteStartArray("resources");
            foreach (var resource in resources)
                WriteResource(w, resource, tenant, null, static _ => false);
            w.WriteEndArray();
            w.WriteStartObject("maintenance");
            if (message.IsHostMessage)
            {
                w.WriteString("event_type", Doctor.Maintenance.MaintenanceMessage.HostEvent);
                WriteNullable(w, "host", message.Host);
                w.WriteString("state", message.State);
                w.WriteString("session_id", message.SessionId);
            }
            else
            {
                w.WriteString("event_type", Doctor.Maintenance.MaintenanceMessage.ProjectEvent);
                w.WriteString("session_id", message.SessionId);
                w.WriteString("project_id", message.ProjectId);
                w.WriteString("state", message.State);
                WriteStrings(w, "instance_ids", message.InstanceIds);
                WriteStrings(w, "allowed_actions", message.AllowedActions);
                WriteNullableTime(w, "actions_at", message.ActionsAt);
                WriteNullable(w, "reply_url", message.ReplyUrl);
                WriteNullableTime(w, "reply_at", message.ReplyAt);
                w.WriteStartObject("metadata");
                foreach (var (key, value) in message.Metadata)
                    w.WriteString(key, value);
                w.WriteEndObject();
            }

            w.WriteEndObject();
            w.WriteEndObject();
        }

        return stream.ToArray();
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
            w.WriteStringValue(value);
        w.WriteEndArray();
    }

    private static void WriteNullableTime(Utf8JsonWriter w, string name, DateTimeOffset? value)
    {
        if (value is { } time)
            WriteTime(w, name, time);
        else
            w.WriteNull(name);
    }

    /// <summary>One resource as notifications and subscribe responses show it.</summary>
    public static void WriteResource(Utf8JsonWriter w, NoticeResource resource, bool tenant, HashSet<string>? visible, Func<Fault, bool> admitsFault)
    {
        w.WriteStartObject();
        w.WriteString("resource_id", resource.Id);
        w.WriteString("resource_type", resource.Type.Name());
        w.WriteString("state", resource.State);
        w.WriteString("host_status", resource.HostStatus.Name());
        WriteNullable(w, "host_id", resource.HostId);
        if (!tenant)
        {
            WriteNullable(w, "host", resource.Host);
            WriteNullable(w, "project_id", resource.ProjectId);
        }

        w.WriteStartArray("faults");
        foreach (var fault in resource.Faults)
        {
            if (admitsFault(fault))
                WriteFault(w, fault, tenant, visible);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteFault(Utf8JsonWriter w, Fault fault, bool tenant, HashSet<string>? visible)
    {
        w.WriteStartObject();
        w.WriteString("fault_id", fault.FaultId);
        w.WriteString("fault_type", fault.FaultType);
        w.WriteString("severity", fault.Severity.Name());
        WriteTime(w, "event_time", fault.EventTime);
        WriteTime(w, "raised_at", fault.RaisedAt);
        if (fault.ClearedAt is { } cleared)
            WriteTime(w, "cleared_at", cleared);
        else
            w.WriteNull("cleared_at");
        w.WriteString("probable_cause", fault.ProbableCause);
        w.WriteBoolean("is_root_cause", fault.IsRootCause);
        w.WriteStartArray("correlated_fault_ids");
        foreach (var id in fault.CorrelatedFaultIds)
        {
            // A tenant must not learn which other tenants share its host through a shared root id.
            if (!tenant || visible!.Contains(id))
                w.WriteStringValue(id);
        }

        w.WriteEndArray();
        if (!tenant && fault.SuppressedBy is { } suppressedBy)
        {
            // Admins see what tenants were spared and why (SPEC §4: "marked suppressed").
            w.WriteBoolean("suppressed", true);
            w.WriteString("suppressed_by", suppressedBy);
        }

        w.WriteStartObject("details");
        if (!tenant)
        {
            foreach (var (key, value) in fault.Details)
                w.WriteString(key, value);
        }

        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteTime(Utf8JsonWriter w, string name, DateTimeOffset value)
    {
        Span<char> text = stackalloc char[Rfc3339.FormattedLength];
        Rfc3339.Write(text, value);
        w.WriteString(name, text);
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
            w.WriteNull(name);
        else
            w.WriteString(name, value);
    }
}
