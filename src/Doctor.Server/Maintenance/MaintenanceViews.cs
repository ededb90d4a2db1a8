using Doctor.Inventory;
using Doctor.Maintenance;
using Doctor.Serialization;
using Doctor.State;

namespace Doctor.Server.Maintenance;

/// <summary>A session in lists and <c>GET /v1/maintenance/{sid}</c>.</summary>
public sealed record SessionView(string SessionId, string State)
{
    public static SessionView Of(MaintenanceSession s) => new(s.SessionId, s.State.Name());
}

/// <summary><c>GET /v1/maintenance/{sid}/detail</c>: hosts, projects, instances and history.</summary>
public sealed record SessionDetailView(
    string SessionId, string State, string Workflow, string MaintenanceAt, string CreatedAt, string UpdatedAt, string? Reason,
    string? CurrentHost, string? ReplyAt, IReadOnlyDictionary<string, string> Metadata, string Migrations, TimersView Timers,
    IReadOnlyList<SessionHostView> Hosts, IReadOnlyList<SessionProjectView> Projects, IReadOnlyList<SessionInstanceView> Instances,
    IReadOnlyList<ActionView> Actions, IReadOnlyList<HistoryView> History)
{
    public static SessionDetailView Of(MaintenanceSession s, DoctorState state)
    {
        var map = state.Map;
        var instances = s.Hosts.SelectMany(h => map.ServersByHost.Get(h)).Select(id => map.Servers.Get(id)!)
            .Select(v => new SessionInstanceView(v.Id, v.ProjectId, v.Host, ResourceStatesName(v)))
            .OrderBy(v => v.InstanceId, StringComparer.Ordinal).ToList();
        return new(
            s.SessionId, s.State.Name(), s.Workflow, Rfc3339.Format(s.MaintenanceAt), Rfc3339.Format(s.CreatedAt), Rfc3339.Format(s.UpdatedAt), s.Reason,
            s.CurrentHost, Time(s.ReplyAt), s.Metadata, s.Migrations == MigrationControl.Reported ? "cloud" : "embedded",
            new TimersView(s.Timers.ReplySeconds, s.Timers.MigrationSeconds, s.Timers.HostMaintenanceSeconds, s.Timers.MigrationTimeoutSeconds),
            [.. s.Hosts.Select(h => SessionHostView.Of(h, s.HostRecords.GetValueOrDefault(h)))],
            [.. s.Projects.Select(p => new SessionProjectView(p.Key, p.Value.InstanceIds, p.Value.Listening, p.Value.Reply, Time(p.Value.RepliedAt), p.Value.InstanceActions))],
            instances,
            [.. s.Actions.Select(a => new ActionView(a.InstanceId, a.ProjectId, a.Action, a.FromHost, a.ToHost, Time(a.StartedAt), Time(a.DoneAt), a.Report?.Detail))],
            [.. s.History.Select(h => new HistoryView(Rfc3339.Format(h.At), h.State, h.Detail))]);
    }

    private static string ResourceStatesName(Doctor.Inventory.Server server) => server.State.Name();

    private static string? Time(DateTimeOffset? value) => value is { } v ? Rfc3339.Format(v) : null;
}

/// <summary>The session's timers; <c>migration_timeout_seconds</c> bounds a migration the cloud carries out (<c>migrations: cloud</c>).</summary>
public sealed record TimersView(double ReplySeconds, double MigrationSeconds, double HostMaintenanceSeconds, double MigrationTimeoutSeconds);

/// <summary>One host of a session: its progress and how long its maintenance took (emptying included).</summary>
public sealed record SessionHostView(string Host, string State, string? StartedAt, string? MaintainedAt, double? Seconds)
{
    public static SessionHostView Of(string host, HostRecord? record) => new(
        host, (record?.Progress ?? HostProgress.Pending).Name(),
        record?.StartedAt is { } s ? Rfc3339.Format(s) : null,
        record?.MaintainedAt is { } m ? Rfc3339.Format(m) : null,
        record is { StartedAt: { } a, MaintainedAt: { } b } ? Math.Round((b - a).TotalSeconds, 3) : null);
}

public sealed record SessionProjectView(
    string ProjectId, IReadOnlyList<string> InstanceIds, bool Listening, string? Reply, string? RepliedAt, IReadOnlyDictionary<string, string> InstanceActions);

public sealed record SessionInstanceView(string InstanceId, string? ProjectId, string? Host, string State);

/// <summary>One instance action; <c>result</c> is its controller's report (the cloud's words in OpenStack mode).</summary>
public sealed record ActionView(string InstanceId, string ProjectId, string Action, string? FromHost, string? ToHost, string? StartedAt, string? DoneAt, string? Result);

public sealed record HistoryView(string At, string State, string Detail);

/// <summary><c>GET /v1/maintenance/{sid}/{project_id}</c>: the project's instances in the session.</summary>
public sealed record ProjectSessionView(string SessionId, string ProjectId, string State, IReadOnlyList<string> InstanceIds, string? ReplyAt, string? Awaiting);
