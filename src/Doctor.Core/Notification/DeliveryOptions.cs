namespace Doctor.Notification;

/// <summary>Webhook delivery settings (section <c>Doctor:Delivery</c>); defaults in <see cref="DoctorConstants"/>.</summary>
public sealed class DeliveryOptions
{
    /// <summary>Timeout of one POST. Default 5 s.</summary>
    public TimeSpan Timeout { get; set; } = DoctorConstants.DeliveryTimeout;

    /// <summary>First retry delay; doubles per attempt with ±20 % jitter. Default 100 ms.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = DoctorConstants.DeliveryFirstRetry;

    /// <summary>Longest wait between attempts. Default 30 s.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = DoctorConstants.DeliveryMaxRetryDelay;

    /// <summary>Age after which an undelivered notification is kept as dead. Default 1 h.</summary>
    public TimeSpan MaxAge { get; set; } = DoctorConstants.DeliveryMaxAge;

    /// <summary>Finished deliveries remembered per subscription. Default 100.</summary>
    public int HistoryPerSubscription { get; set; } = DoctorConstants.DeliveryHistoryPerSubscription;

    /// <summary>CIDRs a callback may never reach. Default (null): <see cref="CallbackPolicy.DefaultDenied"/>,
    /// link-local and cloud-metadata addresses. A configured list replaces the default.</summary>
    public List<string>? DeniedNetworks { get; set; }

    /// <summary>When not empty, the only CIDRs a callback may reach. Default: empty (anything not denied).</summary>
    public List<string> AllowedNetworks { get; set; } = [];

    /// <summary>
    /// Development only: accept any TLS certificate from https callbacks (self-signed, expired, wrong name). Default
    /// false; when on, a warning is logged at start. Nothing else turns certificate validation off.
    /// </summary>
    public bool DangerousAcceptAnyServerCertificate { get; set; }
}
