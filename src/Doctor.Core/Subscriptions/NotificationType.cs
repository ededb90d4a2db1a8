namespace Doctor.Subscriptions;

/// <summary>Kinds of notification (SPEC §5).</summary>
public enum NotificationType
{
    Fault,
    FaultCleared,
    Maintenance,
}

/// <summary>Wire names of <see cref="NotificationType"/>.</summary>
public static class NotificationTypes
{
    public static string Name(this NotificationType type) => type switch
    {
        NotificationType.Fault => "fault",
        NotificationType.FaultCleared => "fault_cleared",
        _ => "maintenance",
    };

    public static bool TryParse(string? text, out NotificationType type)
    {
        switch (text)
        {
            case "fault": type = NotificationType.Fault; return true;
            case "fault_cleared": type = NotificationType.FaultCleared; return true;
            case "maintenance": type = NotificationType.Maintenance; return true;
            default: type = default; return false;
        }
    }
}
