using System.Collections.Immutable;

namespace Doctor.Maintenance;

/// <summary>
/// One maintenance session (SPEC §6) as the engine keeps and persists it: where the workflow is, what it waits for
/// and until when, what every project answered, and its history. Everything the workflow needs to resume after a
/// restart is in this record; nothing lives only in memory.
/// </summary>
public sealed record MaintenanceSession
{
    public required string SessionId { get; init; }
    public SessionState State { get; init; } = SessionState.Maintenance;
    public string Workflow { get; init; } = MaintenanceWorkflow.Default;

    /// <summary>The hosts to maintain, in name order.</summary>
    public ImmutableArray<string> Hosts { get; init; } = [];

    public DateTimeOffset MaintenanceAt { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    public ImmutableSortedDictionary<string, string> Metadata { get; init; } = ImmutableSortedDictionary<string, string>.Empty;
    public required MaintenanceTimers Timers { get; init; }

    /// <summary>Who completes the session's migrations: the workflow on its timer (embedded) or the cloud's report.</summary>
    public MigrationControl Migrations { get; init; } = MigrationControl.Timed;

    /// <summary>What the current state is doing.</summary>
    public SessionPhase Phase { get; init; } = SessionPhase.Replies;

    /// <summary>When the replies to the last project message are due.</summary>
    public DateTimeOffset? ReplyAt { get; init; }

    /// <summary>The host being emptied or maintained.</summary>
    public string? CurrentHost { get; init; }

    /// <summary>When the current host's maintenance action ends.</summary>
    public DateTimeOffset? HostDoneAt { get; init; }

    /// <summary>Projects asked in the current message, and what they answered.</summary>
    public ImmutableSortedDictionary<string, ProjectReply> Projects { get; init; } = ImmutableSortedDictionary<string, ProjectReply>.Empty;

    /// <summary>Every project the session has spoken to (they all hear MAINTENANCE_COMPLETE).</summary>
    public ImmutableSortedSet<string> Involved { get; init; } = ImmutableSortedSet<string>.Empty;

    /// <summary>Instance actions for the current host, run one after another.</summary>
    public ImmutableArray<InstanceAction> Actions { get; init; } = [];

    /// <summary>Host name → progress; hosts not yet touched are <see cref="HostProgress.Pending"/>.</summary>
    public ImmutableSortedDictionary<string, HostRecord> HostRecords { get; init; } = ImmutableSortedDictionary<string, HostRecord>.Empty;

    public ImmutableArray<HistoryEntry> History { get; init; } = [];

    /// <summary>Hosts someone else had disabled when the session took them. A session whose migrations the cloud carries
    /// out gives them back disabled, as the cloud keeps them (Doctor enables in the cloud only what it disabled); the
    /// embedded controller enables every host it maintained.</summary>
    public ImmutableSortedSet<string> DisabledBefore { get; init; } = ImmutableSortedSet<string>.Empty;

    /// <summary>Whether the projects were already asked to SCALE_IN (asked once per run).</summary>
    public bool ScaledIn { get; init; }

    /// <summary>Why the session failed (or was aborted).</summary>
    public string? Reason { get; init; }

    /// <summary>Instance group → when its next member may be impacted (<c>recovery_time</c> after the last action on one).</summary>
    public ImmutableSortedDictionary<string, DateTimeOffset> GroupRecoveredAt { get; init; } = ImmutableSortedDictionary<string, DateTimeOffset>.Empty;

    /// <summary>Messages sent so far: numbers the notifications so each has a stable id.</summary>
    public int Messages { get; init; }

    public bool IsActive => State is not (SessionState.MaintenanceDone or SessionState.MaintenanceFailed);
}

/// <summary>Timers of one session, fixed at creation (service defaults, possibly shortened by its metadata).</summary>
public sealed record MaintenanceTimers(double ReplySeconds, double MigrationSeconds, double HostMaintenanceSeconds)
{
    public static readonly MaintenanceTimers Defaults = new(
        DoctorConstants.MaintenanceReplySeconds, DoctorConstants.MaintenanceMigrationSeconds, DoctorConstants.HostMaintenanceSeconds);

    /// <summary>How long a migration the cloud carries out (<see cref="MigrationControl.Reported"/>) may take. Default 600 s.</summary>
    public double MigrationTimeoutSeconds { get; init; } = DoctorConstants.MaintenanceMigrationTimeoutSeconds;

    public TimeSpan Reply => TimeSpan.FromSeconds(ReplySeconds);
    public TimeSpan Migration => TimeSpan.FromSeconds(MigrationSeconds);
    public TimeSpan HostMaintenance => TimeSpan.FromSeconds(HostMaintenanceSeconds);
    public TimeSpan MigrationTimeout => TimeSpan.FromSeconds(MigrationTimeoutSeconds);
}

/// <summary>Session states (SPEC §6, Fenix's names).</summary>
public enum SessionState
{
    Maintenance,
    ScaleIn,
    PrepareMaintenance,
    StartMaintenance,
    PlannedMaintenance,
    MaintenanceComplete,
    MaintenanceDone,
    MaintenanceFailed,
}

/// <summary>What a state is doing: waiting for replies, for <c>maintenance_at</c>, running instance actions, or the host action.</summary>
public enum SessionPhase
{
    Replies,
    WaitStart,
    Actions,
    HostAction,
}

/// <summary>A project's answer to the current message.</summary>
public sealed record ProjectReply
{
    /// <summary>The instances offered in the message.</summary>
    public ImmutableArray<string> InstanceIds { get; init; } = [];

    /// <summary>False for a project without a maintenance subscription: it does not care and is not waited for.</summary>
    public bool Listening { get; init; }

    /// <summary>Null while awaited, else <c>ACK_…</c> or <c>NACK_…</c>.</summary>
    public string? Reply { get; init; }

    public DateTimeOffset? RepliedAt { get; init; }

    /// <summary>When actions on this project's instances may start (<c>actions_at</c>: now plus the longest <c>lead_time</c>).</summary>
    public DateTimeOffset? ActionsAt { get; init; }
    public ImmutableSortedDictionary<string, string> InstanceActions { get; init; } = ImmutableSortedDictionary<string, string>.Empty;

    public bool Answered => !Listening || Reply is not null;
}

/// <summary>One instance action of the current host.</summary>
public sealed record InstanceAction(string InstanceId, string ProjectId, string Action)
{
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>When a timed migration completes, the deadline of a reported one, or the deadline of an <c>OWN_ACTION</c>.</summary>
    public DateTimeOffset? DueAt { get; init; }

    public string? FromHost { get; init; }
    public string? ToHost { get; init; }
    public DateTimeOffset? DoneAt { get; init; }

    /// <summary>How the controller said the migration ended; the workflow completes or fails the action on it.</summary>
    public ActionReport? Report { get; init; }
}

/// <summary>A controller's report on one migration, as the session keeps it.</summary>
public sealed record ActionReport(DateTimeOffset At, bool Succeeded, string? Host, string Detail);

/// <summary>Where one host of the session is.</summary>
public enum HostProgress
{
    Pending,
    GoingToMaintenance,
    InMaintenance,
    Maintained,
}

/// <summary>Progress of one host with the times the report shows.</summary>
public sealed record HostRecord(HostProgress Progress)
{
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? MaintainedAt { get; init; }
}

/// <summary>One line of the session history.</summary>
public sealed record HistoryEntry(DateTimeOffset At, string State, string Detail);
