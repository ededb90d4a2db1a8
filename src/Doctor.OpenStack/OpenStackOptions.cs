namespace Doctor.OpenStack;

/// <summary>
/// Settings of OpenStack mode (section <c>Doctor:OpenStack</c>; docs/operations.md "OpenStack mode" lists each with its
/// default). Doctor authenticates as a service user with the admin role, reads the cloud through the catalog's
/// endpoints and listens to the cloud's notifications on its own RabbitMQ queue.
/// </summary>
public sealed class OpenStackOptions
{
    /// <summary>Keystone v3 URL, e.g. <c>http://keystone:5000/v3</c>. Required; env <c>OS_AUTH_URL</c>.</summary>
    public string? AuthUrl { get; set; }

    /// <summary>The service user. Required; env <c>OS_USERNAME</c>.</summary>
    public string? Username { get; set; }

    /// <summary>Its password. Required; env <c>OS_PASSWORD</c>.</summary>
    public string? Password { get; set; }

    /// <summary>Project the service token is scoped to. Default <c>service</c>; env <c>OS_PROJECT_NAME</c>.</summary>
    public string ProjectName { get; set; } = "service";

    /// <summary>Default <c>Default</c>; env <c>OS_USER_DOMAIN_NAME</c>.</summary>
    public string UserDomainName { get; set; } = "Default";

    /// <summary>Default <c>Default</c>; env <c>OS_PROJECT_DOMAIN_NAME</c>.</summary>
    public string ProjectDomainName { get; set; } = "Default";

    /// <summary>Region of the catalog endpoints. Default: unset, the first region offered; env <c>OS_REGION_NAME</c>.</summary>
    public string? Region { get; set; }

    /// <summary>Catalog interface: <c>public</c>, <c>internal</c> or <c>admin</c>. Default <c>internal</c>; env <c>OS_INTERFACE</c>.</summary>
    public string Interface { get; set; } = "internal";

    /// <summary>RabbitMQ of the cloud (oslo.messaging transport URL, <c>rabbit://user:pass@host:5672/vhost</c>, or several hosts
    /// <c>rabbit://u:p@h1:5672,u:p@h2:5672/vhost</c>: all are used); env <c>DOCTOR_TRANSPORT_URL</c>. Default: unset, no
    /// notifications (the map then follows the cloud by reconciliation only).</summary>
    public string? TransportUrl { get; set; }

    /// <summary>Doctor's own queue, bound to Nova's and Neutron's notification topics. Default <c>doctor.notifications</c>.</summary>
    public string Queue { get; set; } = "doctor.notifications";

    /// <summary>Most messages the queue holds while Doctor is away (older ones are dropped; reconciliation repairs what they
    /// carried). Default 100,000.</summary>
    public int QueueMaxLength { get; set; } = 100_000;

    /// <summary>Notification topics Nova and Neutron publish on (the routing keys are <c>topic.info</c>, <c>topic.error</c>, …).
    /// Defaults <c>versioned_notifications</c> and <c>notifications</c>.</summary>
    public string VersionedTopic { get; set; } = "versioned_notifications";

    public string LegacyTopic { get; set; } = "notifications";

    /// <summary>Seconds between reconciliations (a full read of the cloud that repairs drift). Default 60; 0 turns it off.</summary>
    public double ReconcileSeconds { get; set; } = 60;

    /// <summary>Seconds the start waits for the first snapshot before serving from the stored map. Default 60.</summary>
    public double StartupSnapshotSeconds { get; set; } = 60;

    /// <summary>Controller calls on servers and ports (reset-state, data plane status) in flight at once. Default 8. Hosts' calls
    /// (force-down, enabled status) have as many slots of their own, so a host is never fenced behind its servers' calls.</summary>
    public int ActionConcurrency { get; set; } = 8;

    /// <summary>Timeout of one API call, seconds. Default 10.</summary>
    public double CallTimeoutSeconds { get; set; } = 10;

    /// <summary>Attempts of one controller action before it is given up and logged. Default 5.</summary>
    public int ActionAttempts { get; set; } = 5;

    /// <summary>Seconds between attempts to un-force a host Nova refuses to un-force (finished evacuations remain until its
    /// nova-compute restarts). Default 10.</summary>
    public double UnforceRetrySeconds { get; set; } = 10;

    /// <summary>Hours Doctor keeps trying to un-force such a host. Default 24.</summary>
    public double UnforceGiveUpHours { get; set; } = 24;

    /// <summary>Force the Nova compute service down when Doctor marks its host down (and up on recovery). Default true.</summary>
    public bool ForceDown { get; set; } = true;

    /// <summary>Also reset the host's servers to <c>error</c> (<c>os-resetState</c>) and back to <c>active</c> on recovery.
    /// Default false: <c>host_status: DOWN</c> already tells the truth, and a reset-state triggers Nova's own
    /// notifications (what Aodh event alarms fire on).</summary>
    public bool ResetServerState { get; set; }

    /// <summary>Set Neutron ports' <c>data_plane_status</c> DOWN (and ACTIVE on recovery) when the cloud has the
    /// <c>data-plane-status</c> extension. Default true (skipped, with one log line, without the extension).</summary>
    public bool DataPlaneStatus { get; set; } = true;

    /// <summary>Carry maintenance sessions out in Nova: a host a session takes is disabled (<c>disabled_reason</c> names the
    /// session) and enabled again afterwards when Doctor disabled it; <c>MIGRATE</c> is a cold migration and
    /// <c>LIVE_MIGRATE</c> a live migration to the host the session chose, and the session waits for Nova to finish them.
    /// Default true; false: sessions act on Doctor's map alone, as with the embedded controller.</summary>
    public bool MaintenanceActions { get; set; } = true;

    /// <summary>Seconds a maintenance migration in Nova may take (from the call to <c>ACTIVE</c> on the target) before it and
    /// its session fail. Default 600.</summary>
    public double MigrationTimeoutSeconds { get; set; } = DoctorConstants.MaintenanceMigrationTimeoutSeconds;

    /// <summary>Seconds before the first reading of a migrating server in Nova after the last thing that happened to it
    /// (the call, a notification about it). Default 0.25.</summary>
    public double MigrationPollSeconds { get; set; } = 0.25;

    /// <summary>The longest wait between two readings of a migrating server: while nothing is heard of it, the wait doubles
    /// from <see cref="MigrationPollSeconds"/> up to this. Default 2.</summary>
    public double MigrationPollMaxSeconds { get; set; } = 2;

    /// <summary>Accept Keystone tokens from API callers (validated against Keystone; admin role → admin, a role in project X →
    /// project X). Default true.</summary>
    public bool AcceptKeystoneTokens { get; set; } = true;

    /// <summary>Seconds a validated Keystone token is trusted before Keystone is asked again (never past its expiry). Default 60.</summary>
    public double TokenCacheSeconds { get; set; } = 60;

    /// <summary>Keystone roles that make a caller Doctor's admin. Default <c>admin</c>.</summary>
    public string[] AdminRoles { get; set; } = ["admin"];

    /// <summary>Publish Doctor's notifications and maintenance messages as oslo.messaging notifications on the cloud's
    /// RabbitMQ, so Aodh event alarms and VNF managers can act on them. Default false.</summary>
    public bool PublishNotifications { get; set; }

    /// <summary>Exchange and topic of the published notifications. Defaults <c>doctor</c> and <c>notifications</c>
    /// (routing key <c>notifications.info</c>, what Ceilometer's notification agent listens to).</summary>
    public string PublishExchange { get; set; } = "doctor";

    public string PublishTopic { get; set; } = "notifications";

    /// <summary>The URL app managers reach Doctor at, put before the <c>reply_url</c> path of published maintenance messages.
    /// Default: unset, the path alone.</summary>
    public string? DoctorUrl { get; set; }

    /// <summary>Takes the standard OpenStack client variables (<c>OS_AUTH_URL</c>, <c>OS_USERNAME</c>, …) and
    /// <c>DOCTOR_TRANSPORT_URL</c> where the configuration file left a setting unset or at its default.</summary>
    public void FromEnvironment(Func<string, string?> variable)
    {
        AuthUrl = variable("OS_AUTH_URL") ?? AuthUrl;
        Username = variable("OS_USERNAME") ?? Username;
        Password = variable("OS_PASSWORD") ?? Password;
        ProjectName = variable("OS_PROJECT_NAME") ?? ProjectName;
        UserDomainName = variable("OS_USER_DOMAIN_NAME") ?? UserDomainName;
        ProjectDomainName = variable("OS_PROJECT_DOMAIN_NAME") ?? ProjectDomainName;
        Region = variable("OS_REGION_NAME") ?? Region;
        Interface = variable("OS_INTERFACE") is { } i ? i.Replace("URL", "", StringComparison.Ordinal) : Interface;
        TransportUrl = variable("DOCTOR_TRANSPORT_URL") ?? TransportUrl;
    }

    private static bool InRange(double value, double min, double max) => value >= min && value <= max;

    /// <summary>Every problem with the settings, each naming its setting.</summary>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(AuthUrl) || !Uri.TryCreate(AuthUrl, UriKind.Absolute, out var auth) || auth.Scheme is not ("http" or "https"))
            yield return "Doctor:OpenStack:AuthUrl (OS_AUTH_URL) must be the http(s) URL of Keystone v3";
        if (string.IsNullOrWhiteSpace(Username))
            yield return "Doctor:OpenStack:Username (OS_USERNAME) is required";
        if (string.IsNullOrEmpty(Password))
            yield return "Doctor:OpenStack:Password (OS_PASSWORD) is required";
        if (Interface is not ("public" or "internal" or "admin"))
            yield return "Doctor:OpenStack:Interface (OS_INTERFACE) must be public, internal or admin";
        // Read as the consumer and the publisher will read it, so a URL they could not use stops the start (the reason never
        // repeats the URL: it holds a password).
        if (!string.IsNullOrWhiteSpace(TransportUrl) && !Messaging.TransportUrl.TryParse(TransportUrl, out _, out var transportError))
            yield return "Doctor:OpenStack:TransportUrl (DOCTOR_TRANSPORT_URL) " + transportError;
        if (PublishNotifications && string.IsNullOrWhiteSpace(TransportUrl))
            yield return "Doctor:OpenStack:PublishNotifications needs Doctor:OpenStack:TransportUrl";
        // Upper bounds too (and NaN refused): a wait longer than a timer can hold (~49 days) would throw in the sync loop.
        if (!InRange(ReconcileSeconds, 0, 86_400))
            yield return "Doctor:OpenStack:ReconcileSeconds must be between 0 and 86400";
        if (!InRange(StartupSnapshotSeconds, 0, 3_600))
            yield return "Doctor:OpenStack:StartupSnapshotSeconds must be between 0 and 3600";
        if (ActionConcurrency is < 1 or > 256)
            yield return "Doctor:OpenStack:ActionConcurrency must be between 1 and 256";
        if (!InRange(CallTimeoutSeconds, double.Epsilon, 3_600))
            yield return "Doctor:OpenStack:CallTimeoutSeconds must be positive (at most 3600)";
        if (ActionAttempts is < 1 or > 100)
            yield return "Doctor:OpenStack:ActionAttempts must be between 1 and 100";
        if (!InRange(UnforceRetrySeconds, double.Epsilon, 86_400) || !InRange(UnforceGiveUpHours, double.Epsilon, 8_760))
            yield return "Doctor:OpenStack:UnforceRetrySeconds and UnforceGiveUpHours must be positive (at most a day and a year)";
        if (!InRange(TokenCacheSeconds, 0, 86_400))
            yield return "Doctor:OpenStack:TokenCacheSeconds must be between 0 and 86400";
        if (!double.IsFinite(MigrationTimeoutSeconds) || MigrationTimeoutSeconds is <= 0 or > 86_400)
            yield return "Doctor:OpenStack:MigrationTimeoutSeconds must be more than 0 and at most 86400";
        if (!double.IsFinite(MigrationPollSeconds) || MigrationPollSeconds is < 0.01 or > 60)
            yield return "Doctor:OpenStack:MigrationPollSeconds must be from 0.01 to 60";
        if (!double.IsFinite(MigrationPollMaxSeconds) || MigrationPollMaxSeconds < MigrationPollSeconds || MigrationPollMaxSeconds > 600)
            yield return "Doctor:OpenStack:MigrationPollMaxSeconds must be from MigrationPollSeconds to 600";
        if (QueueMaxLength < 1)
            yield return "Doctor:OpenStack:QueueMaxLength must be positive";
        if (string.IsNullOrWhiteSpace(Queue))
            yield return "Doctor:OpenStack:Queue must not be empty";
    }
}
