using System.Collections.Immutable;
using Doctor.Control;
using Doctor.Inventory;
using Doctor.Notification;
using Doctor.State;
using Doctor.Subscriptions;

namespace Doctor.Maintenance;

/// <summary>
/// The default workflow (Fenix's): MAINTENANCE (every affected project ACKs, then <c>maintenance_at</c>) →
/// (SCALE_IN when no host can be emptied) → PREPARE_MAINTENANCE (empty the best host when none is empty) → START_MAINTENANCE (maintain the empty host) →
/// PLANNED_MAINTENANCE per remaining host (projects choose instance actions, servers move to maintained hosts, the host
/// is maintained) → MAINTENANCE_COMPLETE (projects ACK) → MAINTENANCE_DONE; or MAINTENANCE_FAILED. It runs on the
/// engine's writer thread, edits through the <see cref="StateEditor"/> and is driven only by the editor's clock and by
/// replies, so a manual clock drives it in tests and a restart resumes it from the persisted session.
/// </summary>
public static class MaintenanceWorkflow
{
    public const string Default = "default";

    private static readonly ImmutableArray<string> AllActions = [.. SessionStates.InstanceActions];

    /// <summary>Advances every running session as far as the clock allows; true when anything changed.</summary>
    public static bool AdvanceAll(StateEditor editor)
    {
        var changed = false;
        foreach (var id in editor.Maintenance.Ids())
            changed |= Advance(editor, id);
        return changed;
    }

    /// <summary>Advances one session until it waits for a reply or a timer.</summary>
    public static bool Advance(StateEditor editor, string sessionId)
    {
        var changed = false;
        for (var i = 0; i < 10_000; i++)
        {
            var session = editor.Maintenance.Get(sessionId);
            if (session is null || !session.IsActive)
                return changed;
            var next = Step(editor, session);
            if (ReferenceEquals(next, session))
                return changed;
            editor.Maintenance.Put(next with { UpdatedAt = editor.Now });
            changed = true;
        }

        return changed;
    }

    /// <summary>Sends MAINTENANCE to every affected project; the first step of a new or resumed session.</summary>
    public static MaintenanceSession Begin(StateEditor editor, MaintenanceSession session)
    {
        session = Log(session with { State = SessionState.Maintenance, Reason = null, CurrentHost = null, Actions = [], ScaledIn = false }, editor.Now,
            $"session for {session.Hosts.Length} hosts, maintenance at {Serialization.Rfc3339.Format(session.MaintenanceAt)}");
        var instances = InstancesOn(editor, session.Hosts.Where(h => MaintenancePlacement.Progress(session, h) != HostProgress.Maintained));
        return Ask(editor, session, instances, [], session.MaintenanceAt);
    }

    /// <summary>Ends a session that is still running: every host it touched goes back to enabled, half-done migrations
    /// are given up (the server stays where it was), and the session says why.</summary>
    public static MaintenanceSession Fail(StateEditor editor, MaintenanceSession session, string reason)
    {
        var records = session.HostRecords;
        foreach (var (name, record) in session.HostRecords)
        {
            if (record.Progress is HostProgress.GoingToMaintenance or HostProgress.InMaintenance)
                records = records.SetItem(name, new HostRecord(HostProgress.Pending));
        }

        foreach (var name in session.Hosts)
        {
            if (editor.Map.Host(name) is { } host && (host.Maintenance?.SessionId == session.SessionId || records.ContainsKey(name) && !host.Enabled))
            {
                editor.Map.PutHost(host with { Enabled = GivesBackEnabled(session, name), Maintenance = null, UpdatedAt = editor.Now });
                editor.MaintenanceCalls.Add(new MaintenanceCall.EnableHost(session.SessionId, name));
            }
        }

        foreach (var action in session.Actions)
        {
            if (action.StartedAt is not null && action.DoneAt is null && editor.Map.Server(action.InstanceId) is { State: ServerState.Maintenance } server)
                editor.Map.PutServer(server with { State = ServerState.Normal, UpdatedAt = editor.Now });
        }

        return Log(session with
        {
            State = SessionState.MaintenanceFailed, Reason = reason, HostRecords = records, CurrentHost = null, HostDoneAt = null,
            ReplyAt = null, Actions = [],
        }, editor.Now, reason);
    }

    private static MaintenanceSession Step(StateEditor editor, MaintenanceSession s)
    {
        var now = editor.Now;
        switch (s.Phase)
        {
            case SessionPhase.Replies:
                foreach (var (project, reply) in s.Projects)
                {
                    if (reply.Reply is { } answer && answer.StartsWith("NACK_", StringComparison.Ordinal))
                        return Fail(editor, s, $"project {project} answered {answer}");
                }

                if (s.Projects.Values.All(p => p.Answered))
                    return Replied(editor, s);
                if (now >= s.ReplyAt)
                {
                    var late = string.Join(", ", s.Projects.Where(p => !p.Value.Answered).Select(p => p.Key));
                    return Fail(editor, s, $"no reply to {s.State.Name()} by {Serialization.Rfc3339.Format(s.ReplyAt.Value)} from project {late}");
                }

                return s;
            case SessionPhase.WaitStart:
                return now >= s.MaintenanceAt ? NextHost(editor, s) : s;
            case SessionPhase.Actions:
                return StepActions(editor, s);
            default:
                return s.HostDoneAt is { } done && now >= done ? FinishHost(editor, s) : s;
        }
    }

    private static MaintenanceSession Replied(StateEditor editor, MaintenanceSession s)
    {
        switch (s.State)
        {
            case SessionState.Maintenance:
                return Log(s with { Phase = SessionPhase.WaitStart, ReplyAt = null }, editor.Now, "every project acknowledged");
            case SessionState.ScaleIn:
                return NextHost(editor, Log(s with { ReplyAt = null, Projects = s.Projects.Clear() }, editor.Now, "every project answered SCALE_IN"));
            case SessionState.MaintenanceComplete:
                return Log(s with { State = SessionState.MaintenanceDone, ReplyAt = null, Projects = s.Projects.Clear() }, editor.Now, "every host maintained");
            default:
                var actions = new List<InstanceAction>();
                foreach (var (project, reply) in s.Projects)
                {
                    foreach (var id in reply.InstanceIds)
                        actions.Add(new InstanceAction(id, project, reply.InstanceActions.GetValueOrDefault(id)
                            ?? editor.Constraints.Instance(id)?.MigrationType ?? SessionStates.Migrate));
                }

                // Servers without a project have no owner to ask: the embedded controller migrates them.
                foreach (var id in editor.Map.ServersOn(s.CurrentHost!).Order(StringComparer.Ordinal))
                {
                    if (editor.Map.Server(id)?.ProjectId is null)
                        actions.Add(new InstanceAction(id, "", SessionStates.Migrate));
                }

                return s with { Phase = SessionPhase.Actions, ReplyAt = null, Actions = [.. actions] };
        }
    }

    /// <summary>Picks the next host: an empty one is maintained at once; otherwise the best candidate is emptied first.</summary>
    private static MaintenanceSession NextHost(StateEditor editor, MaintenanceSession s)
    {
        var pending = s.Hosts.Where(h => MaintenancePlacement.Progress(s, h) == HostProgress.Pending).ToList();
        if (pending.Count == 0)
        {
            s = s with { State = SessionState.MaintenanceComplete, CurrentHost = null };
            var instances = InstancesOn(editor, s.Hosts);
            foreach (var project in s.Involved)
                instances.TryAdd(project, []);
            return Ask(editor, s, instances, [], null);
        }

        var anyMaintained = s.Hosts.Any(h => MaintenancePlacement.Progress(s, h) == HostProgress.Maintained);
        var empty = pending.FirstOrDefault(h => editor.Map.ServersOn(h).Count == 0);
        if (empty is not null)
            return StartHost(editor, s with { State = anyMaintained ? SessionState.PlannedMaintenance : SessionState.StartMaintenance }, empty);

        string? reason = null;
        foreach (var host in pending.OrderBy(h => editor.Map.ServersOn(h).Count).ThenBy(h => h, StringComparer.Ordinal))
        {
            var why = MaintenancePlacement.CannotEmpty(editor, s, host, maintainedOnly: anyMaintained);
            if (why is null)
                return Empty(editor, s with { State = anyMaintained ? SessionState.PlannedMaintenance : SessionState.PrepareMaintenance }, host);
            reason ??= why;
        }

        // No host is empty and none can be emptied: as Fenix does, the projects are asked once to SCALE_IN (remove
        // instances themselves, e.g. through DELETE /v1/servers/{id}); after their ACKs the search starts again.
        if (!anyMaintained && !s.ScaledIn)
        {
            s = Log(s with { State = SessionState.ScaleIn, ScaledIn = true, CurrentHost = null }, editor.Now, reason + "; asking projects to scale in");
            return Ask(editor, s, InstancesOn(editor, pending), [], editor.Now);
        }

        return Fail(editor, s, reason + (anyMaintained ? "" : " (even after SCALE_IN)"));
    }

    /// <summary>Marks the host going_to_maintenance (no new placements) and asks the owners of its servers what to do with them.</summary>
    private static MaintenanceSession Empty(StateEditor editor, MaintenanceSession s, string hostName)
    {
        var host = editor.Map.Host(hostName)!;
        editor.Map.PutHost(host with { Enabled = false, Maintenance = new HostMaintenance(MaintenanceState.GoingToMaintenance, s.SessionId, editor.Now), UpdatedAt = editor.Now });
        editor.MaintenanceCalls.Add(new MaintenanceCall.DisableHost(s.SessionId, hostName));
        s = Log(s with
        {
            DisabledBefore = !host.Enabled && host.Maintenance is null ? s.DisabledBefore.Add(hostName) : s.DisabledBefore,
            CurrentHost = hostName,
            HostRecords = s.HostRecords.SetItem(hostName, new HostRecord(HostProgress.GoingToMaintenance) { StartedAt = editor.Now }),
        }, editor.Now, $"emptying host {hostName}");
        return Ask(editor, s, InstancesOn(editor, [hostName]), AllActions, editor.Now);
    }

    private static MaintenanceSession StepActions(StateEditor editor, MaintenanceSession s)
    {
        var now = editor.Now;
        var index = 0;
        while (index < s.Actions.Length && s.Actions[index].DoneAt is not null)
            index++;
        var hostName = s.CurrentHost!;
        if (index == s.Actions.Length)
        {
            // A server the cloud reported moved is gone, whatever a notification older than the report still says.
            var left = editor.Map.ServersOn(hostName).Where(id => !s.Actions.Any(a => a.InstanceId == id && a.Report is { Succeeded: true })).ToList();
            if (left.Count > 0)
                return Fail(editor, s, $"host {hostName} could not be emptied: server {string.Join(", ", left.Order(StringComparer.Ordinal))} remains");
            // A prepared host is the first to be maintained: START_MAINTENANCE (Fenix) is that step.
            return StartHost(editor, s.State == SessionState.PrepareMaintenance ? s with { State = SessionState.StartMaintenance } : s, hostName);
        }

        var action = s.Actions[index];
        var server = editor.Map.Server(action.InstanceId);
        var stillThere = server is not null && server.Host == hostName;
        if (action.StartedAt is null)
        {
            if (!stillThere)
                return Done(editor, s, index, action, $"server {action.InstanceId} already left host {hostName}", notify: false);
            if (s.Projects.GetValueOrDefault(action.ProjectId)?.ActionsAt is { } actionsAt && now < actionsAt)
                return s; // the instance's lead_time
            if (server!.GroupId is { } group)
            {
                if (editor.Constraints.Group(group)?.MaxImpactedMembers == 0)
                    return Fail(editor, s, $"server {server.Id} cannot be moved: instance group {group} allows no impacted member (max_impacted_members 0)");
                if (s.GroupRecoveredAt.TryGetValue(group, out var recovered) && now < recovered)
                    return s; // the group's recovery_time since its last impacted member
            }

            if (action.Action == SessionStates.OwnAction)
                return Replace(s, index, action with { StartedAt = now, DueAt = now + s.Timers.Reply, FromHost = hostName });
            var target = MaintenancePlacement.Target(editor, s, server!, hostName, maintainedOnly: s.State == SessionState.PlannedMaintenance);
            if (target is null)
                return Fail(editor, s, $"{action.Action} of server {server!.Id} failed: no host can take it");
            if (action.Action == SessionStates.Migrate)
                editor.Map.PutServer(server! with { State = ServerState.Maintenance, UpdatedAt = now });
            var reported = s.Migrations == MigrationControl.Reported;
            if (reported)
                editor.MaintenanceCalls.Add(new MaintenanceCall.Migrate(s.SessionId, server!.Id, action.Action, hostName, target, now));
            return Log(Replace(s, index, action with { StartedAt = now, DueAt = now + (reported ? s.Timers.MigrationTimeout : s.Timers.Migration), FromHost = hostName, ToHost = target }),
                now, $"{action.Action} of server {server!.Id} from {hostName} to {target}" + (reported ? " by the cloud" : ""));
        }

        if (action.Action == SessionStates.OwnAction)
        {
            if (!stillThere)
                return Done(editor, s, index, action, $"OWN_ACTION on server {action.InstanceId} done", notify: true);
            return now >= action.DueAt ? Fail(editor, s, $"OWN_ACTION on server {action.InstanceId} was not done by {Serialization.Rfc3339.Format(action.DueAt!.Value)}") : s;
        }

        // A migration completes on its controller's report. The embedded controller is the workflow itself: its report is
        // due when the migration's time is up. A cloud's report comes as a command; without it the deadline fails the session.
        if (action.Report is not { } report)
        {
            if (now < action.DueAt)
                return s;
            if (s.Migrations == MigrationControl.Reported)
                return Fail(editor, s, $"{action.Action} of server {action.InstanceId} from {hostName} to {action.ToHost} failed: " +
                    $"the cloud did not complete it within {s.Timers.MigrationTimeoutSeconds:0.###} s");
            if (!stillThere)
                return Done(editor, s, index, action, $"server {action.InstanceId} left host {hostName} during its {action.Action}", notify: false);
            report = EmbeddedMove(editor, action);
        }

        if (!report.Succeeded)
            return Fail(editor, s, $"{action.Action} of server {action.InstanceId} failed: {report.Detail}");
        var landed = report.Host ?? action.ToHost!;
        if (editor.Map.Server(action.InstanceId) is { } moved)
        {
            var settled = moved with { Host = landed, State = moved.State == ServerState.Maintenance ? ServerState.Normal : moved.State };
            if (settled != moved)
                editor.Map.PutServer(settled with { UpdatedAt = now });
        }

        return Done(editor, s, index, action with { Report = report }, $"server {action.InstanceId} moved to {landed}" +
            (s.Migrations == MigrationControl.Reported ? $" ({report.Detail})" : ""), notify: true);
    }

    /// <summary>The embedded controller's move: the target was chosen when the move began; it must still be fit when the
    /// move lands (the workflow then moves the server in the map).</summary>
    private static ActionReport EmbeddedMove(StateEditor editor, InstanceAction action)
    {
        var fit = action.ToHost is { } chosen && editor.Map.Host(chosen) is { } t && MaintenancePlacement.Placeable(t);
        return fit
            ? new ActionReport(editor.Now, true, action.ToHost, "moved in the map")
            : new ActionReport(editor.Now, false, null, $"host {action.ToHost} is no longer available");
    }

    private static MaintenanceSession Done(StateEditor editor, MaintenanceSession s, int index, InstanceAction action, string detail, bool notify)
    {
        s = Log(Replace(s, index, action with { DoneAt = editor.Now }), editor.Now, detail);
        // Members are impacted one at a time (so max_impacted_members ≥ 1 always holds); recovery_time spaces them out.
        var group = editor.Map.Server(action.InstanceId)?.GroupId ?? editor.Constraints.Instance(action.InstanceId)?.GroupId;
        if (action.StartedAt is not null && group is not null && editor.Constraints.Group(group)?.RecoveryTime is { } recovery and > 0)
            s = s with { GroupRecoveredAt = s.GroupRecoveredAt.SetItem(group, editor.Now + TimeSpan.FromSeconds(recovery)) };
        if (notify && s.Projects.TryGetValue(action.ProjectId, out var reply) && reply.Listening)
        {
            s = s with { Messages = s.Messages + 1 };
            var message = new MaintenanceMessage(s.SessionId, action.ProjectId, null, "INSTANCE_ACTION_DONE", [action.InstanceId], [], null, null, s.Metadata);
            Send(editor, s, message, [action.InstanceId]);
        }

        return s;
    }

    /// <summary>The host is empty: in_maintenance for the host action's duration.</summary>
    private static MaintenanceSession StartHost(StateEditor editor, MaintenanceSession s, string hostName)
    {
        var host = editor.Map.Host(hostName)!;
        editor.Map.PutHost(host with { Enabled = false, Maintenance = new HostMaintenance(MaintenanceState.InMaintenance, s.SessionId, editor.Now), UpdatedAt = editor.Now });
        if (host.Maintenance?.SessionId != s.SessionId)
        {
            editor.MaintenanceCalls.Add(new MaintenanceCall.DisableHost(s.SessionId, hostName)); // an empty host taken at once
            if (!host.Enabled && host.Maintenance is null)
                s = s with { DisabledBefore = s.DisabledBefore.Add(hostName) };
        }

        var started = s.HostRecords.TryGetValue(hostName, out var record) && record.StartedAt is { } at ? at : editor.Now;
        s = s with
        {
            Phase = SessionPhase.HostAction, CurrentHost = hostName, HostDoneAt = editor.Now + s.Timers.HostMaintenance, Actions = [],
            Projects = s.Projects.Clear(), ReplyAt = null,
            HostRecords = s.HostRecords.SetItem(hostName, new HostRecord(HostProgress.InMaintenance) { StartedAt = started }),
            Messages = s.Messages + 1,
        };
        Send(editor, s, new MaintenanceMessage(s.SessionId, null, hostName, "IN_MAINTENANCE", [], [], null, null, s.Metadata), []);
        return Log(s, editor.Now, $"host {hostName} in maintenance");
    }

    private static MaintenanceSession FinishHost(StateEditor editor, MaintenanceSession s)
    {
        var hostName = s.CurrentHost!;
        if (editor.Map.Host(hostName) is { } host)
            editor.Map.PutHost(host with { Enabled = GivesBackEnabled(s, hostName), Maintenance = null, UpdatedAt = editor.Now });
        editor.MaintenanceCalls.Add(new MaintenanceCall.EnableHost(s.SessionId, hostName));
        var started = s.HostRecords.GetValueOrDefault(hostName)?.StartedAt;
        s = s with
        {
            CurrentHost = null, HostDoneAt = null, Messages = s.Messages + 1,
            HostRecords = s.HostRecords.SetItem(hostName, new HostRecord(HostProgress.Maintained) { StartedAt = started, MaintainedAt = editor.Now }),
        };
        Send(editor, s, new MaintenanceMessage(s.SessionId, null, hostName, "MAINTENANCE_COMPLETE", [], [], null, null, s.Metadata), []);
        return NextHost(editor, Log(s, editor.Now, GivesBackEnabled(s, hostName)
            ? $"host {hostName} maintained and enabled"
            : $"host {hostName} maintained; it stays disabled, as someone else had disabled it before the session"));
    }

    /// <summary>Whether a host the session gives back is enabled: always with the embedded controller; with the cloud, unless
    /// someone else had disabled it before (the cloud keeps it disabled, and the map follows the cloud).</summary>
    private static bool GivesBackEnabled(MaintenanceSession s, string hostName) =>
        s.Migrations != MigrationControl.Reported || !s.DisabledBefore.Contains(hostName);

    /// <summary>Sends the session's current state to each project with its instances and waits for their replies.
    /// A project without a maintenance subscription is not told and not waited for (it does not care).</summary>
    private static MaintenanceSession Ask(StateEditor editor, MaintenanceSession s, Dictionary<string, List<string>> instances,
        ImmutableArray<string> allowed, DateTimeOffset? actionsAt)
    {
        var replyAt = editor.Now + s.Timers.Reply;
        var projects = ImmutableSortedDictionary.CreateBuilder<string, ProjectReply>(StringComparer.Ordinal);
        var messages = s.Messages;
        foreach (var (project, ids) in instances.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var listening = Listens(editor, project);
            var at = actionsAt;
            if (!allowed.IsEmpty)
            {
                // Actions on a project's instances start no sooner than the longest lead_time among them.
                var lead = ids.Max(id => editor.Constraints.Instance(id)?.LeadTime ?? 0);
                at = editor.Now + TimeSpan.FromSeconds(lead);
            }

            projects[project] = new ProjectReply { InstanceIds = [.. ids.Order(StringComparer.Ordinal)], Listening = listening, ActionsAt = at };
            if (!listening)
                continue;
            messages++;
            var message = new MaintenanceMessage(s.SessionId, project, null, s.State.Name(), projects[project].InstanceIds, allowed, at, replyAt, s.Metadata);
            Send(editor, s with { Messages = messages }, message, projects[project].InstanceIds);
        }

        var asked = projects.Count(p => p.Value.Listening);
        return Log(s with
        {
            Phase = SessionPhase.Replies, ReplyAt = replyAt, Projects = projects.ToImmutable(), Messages = messages, Actions = [],
            Involved = s.Involved.Union(instances.Keys),
        }, editor.Now, $"{s.State.Name()} sent to {asked} project(s), replies due {Serialization.Rfc3339.Format(replyAt)}");
    }

    private static void Send(StateEditor editor, MaintenanceSession s, MaintenanceMessage message, IReadOnlyList<string> serverIds)
    {
        var map = editor.Map;
        var resources = ImmutableArray.CreateBuilder<NoticeResource>();
        foreach (var id in serverIds)
        {
            if (map.Server(id) is { } server)
                resources.Add(new NoticeResource(ResourceType.Server, server.Id, server.ProjectId, server.Host, ResourceStates.Of(server), map.HostStatusOf(server.Host), server.HostId, []));
        }

        editor.Notices.Add(new Notice(NotificationType.Maintenance, $"maintenance/{s.SessionId}/{s.Messages}", resources.ToImmutable(), null) { Maintenance = message });
    }

    /// <summary>Whether the project has a subscription that admits maintenance notifications.</summary>
    public static bool Listens(StateEditor editor, string project)
    {
        var book = editor.Base.Subscriptions;
        return book.ByProject.Get(project).Any(id => book.All.Get(id)!.Filter.Admits(NotificationType.Maintenance));
    }

    /// <summary>Project → its servers on <paramref name="hosts"/>.</summary>
    public static Dictionary<string, List<string>> InstancesOn(StateEditor editor, IEnumerable<string> hosts)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var host in hosts)
        {
            foreach (var id in editor.Map.ServersOn(host))
            {
                if (editor.Map.Server(id)?.ProjectId is not { } project)
                    continue;
                if (!result.TryGetValue(project, out var list))
                    result[project] = list = [];
                list.Add(id);
            }
        }

        return result;
    }

    private static MaintenanceSession Replace(MaintenanceSession s, int index, InstanceAction action) => s with { Actions = s.Actions.SetItem(index, action) };

    public static MaintenanceSession Log(MaintenanceSession s, DateTimeOffset at, string detail)
    {
        var history = s.History.Add(new HistoryEntry(at, s.State.Name(), detail));
        if (history.Length > DoctorConstants.MaintenanceHistoryKept)
            history = history.RemoveRange(0, history.Length - DoctorConstants.MaintenanceHistoryKept);
        return s with { History = history };
    }
}
