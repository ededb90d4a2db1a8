using System.Collections.Immutable;
using Doctor.State;

namespace Doctor.Maintenance;

/// <summary>A validated <c>POST /v1/maintenance</c>: hosts (empty = all), start time, workflow, metadata.</summary>
public sealed record MaintenanceRequest(
    ImmutableArray<string> Hosts, DateTimeOffset MaintenanceAt, string Workflow, ImmutableSortedDictionary<string, string> Metadata);

/// <summary>
/// The session commands of the API, run on the writer thread (<see cref="Doctor.Control.DoctorEngine.ExecuteAsync{T}"/>):
/// each validates against the current state before it edits, so a refused request changes nothing.
/// </summary>
public static class MaintenanceCommands
{
    /// <summary>Metadata keys that shorten a session's timers (seconds; at most the service's default).</summary>
    public const string ReplySecondsKey = "reply_seconds";
    public const string MigrationSecondsKey = "migration_seconds";
    public const string HostMaintenanceSecondsKey = "host_maintenance_seconds";

    /// <summary>Creates a session and sends MAINTENANCE to the affected projects. <paramref name="migrations"/> says who
    /// completes its migrations (<see cref="IMaintenanceController.Migrations"/>; the embedded controller's timer by default).</summary>
    public static MaintenanceSession Create(StateEditor editor, MaintenanceRequest request, MaintenanceTimers defaults,
        MigrationControl migrations = MigrationControl.Timed)
    {
        if (request.Workflow != MaintenanceWorkflow.Default)
            throw MaintenanceRequestException.BadRequest("workflow", $"workflow '{request.Workflow}' is not supported; only 'default' is");
        var timers = Timers(request.Metadata, defaults);
        var hosts = request.Hosts.IsDefaultOrEmpty ? [.. editor.Map.HostNames()] : request.Hosts.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToImmutableArray();
        if (hosts.IsEmpty)
            throw MaintenanceRequestException.BadRequest("hosts", "there are no hosts to maintain");
        foreach (var name in hosts)
        {
            if (editor.Map.Host(name) is null)
                throw MaintenanceRequestException.BadRequest("hosts", $"host {name} is not in the map");
        }

        foreach (var id in editor.Maintenance.Ids())
        {
            // One running session at a time: two sessions would each count on hosts the other is emptying.
            if (editor.Maintenance.Get(id) is { IsActive: true } running)
                throw MaintenanceRequestException.Conflict($"session {running.SessionId} is still running ({running.State.Name()}); one session runs at a time");
        }

        var session = new MaintenanceSession
        {
            SessionId = Guid.CreateVersion7().ToString(), Hosts = hosts, MaintenanceAt = request.MaintenanceAt, Metadata = request.Metadata,
            Timers = timers, CreatedAt = editor.Now, UpdatedAt = editor.Now, Workflow = request.Workflow, Migrations = migrations,
        };
        editor.Maintenance.Put(MaintenanceWorkflow.Begin(editor, session));
        MaintenanceWorkflow.Advance(editor, session.SessionId);
        return editor.Maintenance.Get(session.SessionId)!;
    }

    /// <summary>A project's answer (<c>PUT /v1/maintenance/{sid}/{project_id}</c>), checked against what was offered.</summary>
    public static MaintenanceSession Reply(StateEditor editor, string sessionId, string projectId, string state, IReadOnlyDictionary<string, string>? instanceActions)
    {
        var session = editor.Maintenance.Get(sessionId) ?? throw MaintenanceRequestException.NotFound($"maintenance session {sessionId}");
        if (!session.Involved.Contains(projectId) && !session.Projects.ContainsKey(projectId))
            throw MaintenanceRequestException.NotFound($"project {projectId} in maintenance session {sessionId}");
        var ack = state.StartsWith("ACK_", StringComparison.Ordinal);
        if (!ack && !state.StartsWith("NACK_", StringComparison.Ordinal) || !SessionStates.TryParse(state[(state.IndexOf('_') + 1)..], out var named))
            throw MaintenanceRequestException.BadRequest("state", "state must be ACK_<STATE> or NACK_<STATE> with a session state");
        if (!session.IsActive || session.Phase != SessionPhase.Replies || !session.Projects.TryGetValue(projectId, out var awaited) || awaited.Reply is not null)
            throw MaintenanceRequestException.Conflict($"no reply is awaited from project {projectId} (session is {session.State.Name()})");
        if (named != session.State)
            throw MaintenanceRequestException.Conflict($"the session awaits a reply to {session.State.Name()}, not {named.Name()}");

        var actions = ImmutableSortedDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);
        if (instanceActions is { Count: > 0 })
        {
            if (!ack || session.State is not (SessionState.PrepareMaintenance or SessionState.PlannedMaintenance))
                throw MaintenanceRequestException.BadRequest("instance_actions", $"instance_actions are not offered with {state}");
            foreach (var (id, action) in instanceActions)
            {
                if (!awaited.InstanceIds.Contains(id))
                    throw MaintenanceRequestException.BadRequest($"instance_actions.{id}", $"instance_actions.{id}: instance {id} was not offered to project {projectId}");
                if (!SessionStates.InstanceActions.Contains(action))
                    throw MaintenanceRequestException.BadRequest($"instance_actions.{id}", $"instance_actions.{id}: action '{action}' is not one of {string.Join(", ", SessionStates.InstanceActions)}");
                actions = actions.SetItem(id, action);
            }
        }

        var updated = session with
        {
            Projects = session.Projects.SetItem(projectId, awaited with { Reply = state, RepliedAt = editor.Now, InstanceActions = actions }),
        };
        editor.Maintenance.Put(MaintenanceWorkflow.Log(updated, editor.Now, $"project {projectId} answered {state}"));
        MaintenanceWorkflow.Advance(editor, sessionId);
        return editor.Maintenance.Get(sessionId)!;
    }

    /// <summary>
    /// A controller's report on a migration it carried out (<see cref="MigrationControl.Reported"/>): recorded on the action
    /// it answers, then the session advances (the server is moved in the map and its owner told, or the session fails with
    /// the cloud's reason). False, changing nothing, when the report answers nothing awaited: the session ended or moved
    /// on (e.g. it timed out, or an admin deleted it), or it is a repeat.
    /// </summary>
    public static bool ReportMigration(StateEditor editor, MigrationReport report)
    {
        if (editor.Maintenance.Get(report.SessionId) is not { IsActive: true, Phase: SessionPhase.Actions, Migrations: MigrationControl.Reported } session)
            return false;
        for (var i = 0; i < session.Actions.Length; i++)
        {
            var action = session.Actions[i];
            if (action.InstanceId != report.InstanceId || action.StartedAt != report.StartedAt || action.DoneAt is not null || action.Report is not null
                || action.Action is not (SessionStates.Migrate or SessionStates.LiveMigrate))
                continue;
            var recorded = action with { Report = new ActionReport(editor.Now, report.Succeeded, report.Host, report.Detail) };
            editor.Maintenance.Put(session with { Actions = session.Actions.SetItem(i, recorded), UpdatedAt = editor.Now });
            MaintenanceWorkflow.Advance(editor, session.SessionId);
            return true;
        }

        return false;
    }

    /// <summary><c>DELETE</c>: a running session is stopped first (hosts back to enabled), then the session is removed.</summary>
    public static bool Delete(StateEditor editor, string sessionId)
    {
        if (editor.Maintenance.Get(sessionId) is not { } session)
            return false;
        if (session.IsActive)
            MaintenanceWorkflow.Fail(editor, session, "aborted by an admin");
        return editor.Maintenance.Remove(sessionId);
    }

    /// <summary><c>PUT /v1/maintenance/{sid}</c>: continues a failed session after a fix. Hosts already maintained stay
    /// maintained; the others are negotiated again from MAINTENANCE.</summary>
    public static MaintenanceSession Continue(StateEditor editor, string sessionId)
    {
        var session = editor.Maintenance.Get(sessionId) ?? throw MaintenanceRequestException.NotFound($"maintenance session {sessionId}");
        if (session.State != SessionState.MaintenanceFailed)
            throw MaintenanceRequestException.Conflict($"only a failed session can be continued; this one is {session.State.Name()}");
        foreach (var id in editor.Maintenance.Ids())
        {
            if (editor.Maintenance.Get(id) is { IsActive: true } running)
                throw MaintenanceRequestException.Conflict($"session {running.SessionId} is running; one session runs at a time");
        }

        foreach (var name in session.Hosts)
        {
            if (editor.Map.Host(name) is null)
                throw MaintenanceRequestException.Conflict($"host {name} of the session is no longer in the map");
        }

        editor.Maintenance.Put(MaintenanceWorkflow.Begin(editor, MaintenanceWorkflow.Log(session, editor.Now, "continued by an admin")));
        MaintenanceWorkflow.Advance(editor, sessionId);
        return editor.Maintenance.Get(sessionId)!;
    }

    /// <summary>The session's timers: the defaults, each possibly shortened by its metadata key.</summary>
    public static MaintenanceTimers Timers(IReadOnlyDictionary<string, string> metadata, MaintenanceTimers defaults) => new(
        Seconds(metadata, ReplySecondsKey, defaults.ReplySeconds),
        Seconds(metadata, MigrationSecondsKey, defaults.MigrationSeconds),
        Seconds(metadata, HostMaintenanceSecondsKey, defaults.HostMaintenanceSeconds))
    {
        MigrationTimeoutSeconds = defaults.MigrationTimeoutSeconds,
    };

    private static double Seconds(IReadOnlyDictionary<string, string> metadata, string key, double fallback)
    {
        if (!metadata.TryGetValue(key, out var text))
            return fallback;
        if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value)
            || !double.IsFinite(value) || value < 0 || value > fallback)
            throw MaintenanceRequestException.BadRequest($"metadata.{key}", $"{key} must be a number of seconds from 0 to {fallback} (it may only shorten the default)");
        return value;
    }
}
