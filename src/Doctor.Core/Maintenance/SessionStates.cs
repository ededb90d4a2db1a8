namespace Doctor.Maintenance;

/// <summary>Wire names of <see cref="SessionState"/>, instance actions and host progress.</summary>
public static class SessionStates
{
    public const string Migrate = "MIGRATE";
    public const string LiveMigrate = "LIVE_MIGRATE";
    public const string OwnAction = "OWN_ACTION";

    /// <summary>The actions a project may choose for an instance of a host to be emptied.</summary>
    public static readonly string[] InstanceActions = [Migrate, LiveMigrate, OwnAction];

    public static string Name(this SessionState state) => state switch
    {
        SessionState.Maintenance => "MAINTENANCE",
        SessionState.ScaleIn => "SCALE_IN",
        SessionState.PrepareMaintenance => "PREPARE_MAINTENANCE",
        SessionState.StartMaintenance => "START_MAINTENANCE",
        SessionState.PlannedMaintenance => "PLANNED_MAINTENANCE",
        SessionState.MaintenanceComplete => "MAINTENANCE_COMPLETE",
        SessionState.MaintenanceDone => "MAINTENANCE_DONE",
        _ => "MAINTENANCE_FAILED",
    };

    public static bool TryParse(string? text, out SessionState state)
    {
        foreach (var candidate in Enum.GetValues<SessionState>())
        {
            if (candidate.Name() == text)
            {
                state = candidate;
                return true;
            }
        }

        state = default;
        return false;
    }

    public static string Name(this HostProgress progress) => progress switch
    {
        HostProgress.Pending => "pending",
        HostProgress.GoingToMaintenance => "going_to_maintenance",
        HostProgress.InMaintenance => "in_maintenance",
        _ => "maintained",
    };
}
