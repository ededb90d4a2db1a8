namespace Doctor.Maintenance;

/// <summary>Service-wide maintenance defaults (section <c>Doctor:Maintenance</c>); a session's metadata may shorten them.</summary>
public sealed class MaintenanceOptions
{
    /// <summary>Seconds a project has to answer a maintenance message. Default 120.</summary>
    public double ReplySeconds { get; set; } = DoctorConstants.MaintenanceReplySeconds;

    /// <summary>Seconds a MIGRATE or LIVE_MIGRATE takes in the embedded controller. Default 1.</summary>
    public double MigrationSeconds { get; set; } = DoctorConstants.MaintenanceMigrationSeconds;

    /// <summary>Seconds a host's maintenance action takes in the embedded controller. Default 2.</summary>
    public double HostMaintenanceSeconds { get; set; } = DoctorConstants.HostMaintenanceSeconds;

    public MaintenanceTimers Timers() => new(ReplySeconds, MigrationSeconds, HostMaintenanceSeconds);

    /// <summary>Each setting must be a finite number of seconds from 0 to one day.</summary>
    public IEnumerable<string> Validate()
    {
        foreach (var (name, value) in new[] { ("ReplySeconds", ReplySeconds), ("MigrationSeconds", MigrationSeconds), ("HostMaintenanceSeconds", HostMaintenanceSeconds) })
        {
            if (!double.IsFinite(value) || value is < 0 or > 86_400)
                yield return $"Doctor:Maintenance:{name} must be from 0 to 86400 seconds";
        }
    }
}
