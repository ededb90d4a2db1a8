using Doctor.State;

namespace Doctor.Maintenance;

/// <summary>
/// Who completes a session's migrations (fixed when the session is created, persisted with it).
/// </summary>
public enum MigrationControl
{
    /// <summary>The embedded controller: a migration takes the session's <see cref="MaintenanceTimers.MigrationSeconds"/> and
    /// then the workflow moves the server in the map itself (its own report).</summary>
    Timed,

    /// <summary>A cloud controller (OpenStack mode) carries the migration out and reports how it ended through
    /// <see cref="MaintenanceCommands.ReportMigration"/>; the session fails when no report came within
    /// <see cref="MaintenanceTimers.MigrationTimeoutSeconds"/>.</summary>
    Reported,
}

/// <summary>
/// What a workflow step asks of the controller that carries out maintenance in the cloud, besides the map edits it makes
/// itself. Steps add calls to <see cref="StateEditor.MaintenanceCalls"/>; the engine hands them to its
/// <see cref="IMaintenanceController"/> after the batch (never from inside a step), as it hands notices to the notifier.
/// </summary>
public abstract record MaintenanceCall(string SessionId)
{
    /// <summary>The session took the host (going to or in maintenance): the cloud must stop placing servers there.</summary>
    public sealed record DisableHost(string SessionId, string Host) : MaintenanceCall(SessionId);

    /// <summary>The session gave the host back (maintained, or the session ended): the cloud may place there again, if it was
    /// the session that disabled it.</summary>
    public sealed record EnableHost(string SessionId, string Host) : MaintenanceCall(SessionId);

    /// <summary>Move <see cref="InstanceId"/> (<c>MIGRATE</c> or <c>LIVE_MIGRATE</c>) to <see cref="ToHost"/>; only for a
    /// <see cref="MigrationControl.Reported"/> session. The controller answers with a <see cref="MigrationReport"/> that
    /// carries the same <see cref="StartedAt"/>.</summary>
    public sealed record Migrate(string SessionId, string InstanceId, string Action, string FromHost, string ToHost, DateTimeOffset StartedAt)
        : MaintenanceCall(SessionId);
}

/// <summary>How a migration the cloud carried out ended: <see cref="Host"/> is where the cloud shows the server at the end,
/// <see cref="Detail"/> the cloud's own words (the failure reason the session's detail shows).</summary>
public sealed record MigrationReport(string SessionId, string InstanceId, DateTimeOffset StartedAt, bool Succeeded, string? Host, string Detail);

/// <summary>
/// The seam between the maintenance workflow and the controller that acts in the cloud. The engine calls
/// <see cref="Submit"/> on its writer thread after each batch whose steps made calls, with the state that batch produced;
/// it must only queue work. Results come back as engine commands (<see cref="MaintenanceCommands.ReportMigration"/>), so
/// the engine stays the single writer. Without a controller (the embedded one) nothing leaves the map.
/// </summary>
public interface IMaintenanceController
{
    /// <summary>How sessions created from now on complete their migrations.</summary>
    MigrationControl Migrations { get; }

    void Submit(IReadOnlyList<MaintenanceCall> calls, DoctorState state);
}
