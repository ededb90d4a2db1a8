using Doctor.Maintenance;
using Doctor.Notification;
using Doctor.Server.Throttling;
using Doctor.Server.Tls;

namespace Doctor.Server.Hosting;

/// <summary>Settings of <c>doctor serve</c> (section <c>Doctor</c>, or the flags and DOCTOR_* variables).</summary>
public sealed class DoctorServerOptions
{
    /// <summary>Where the SQLite store lives, and <c>secret.key</c> with either store. Default <c>./doctor-data</c>; env <c>DOCTOR_DATA_DIR</c>.</summary>
    public string DataDir { get; set; } = DoctorConstants.DefaultDataDir;

    /// <summary>The store: <c>sqlite</c> (embedded, in <see cref="DataDir"/>) or <c>postgres</c> (<see cref="Connection"/>).
    /// Default <c>sqlite</c>; env <c>DOCTOR_STORE</c>.</summary>
    public string Store { get; set; } = DoctorConstants.DefaultStore;

    /// <summary>Npgsql connection string of the <c>postgres</c> store (e.g. <c>Host=db;Username=doctor;Database=doctor</c>);
    /// env <c>DOCTOR_CONNECTION</c>. Default: unset (required with <c>postgres</c>).</summary>
    public string? Connection { get; set; }

    /// <summary>Listen addresses. Default <c>http://127.0.0.1:12345</c>; env <c>DOCTOR_URLS</c>.</summary>
    public string Urls { get; set; } = DoctorConstants.DefaultUrls;

    /// <summary>The first admin token; env <c>DOCTOR_ADMIN_TOKEN</c>. When unset on the first start one is generated and printed once.</summary>
    public string? AdminToken { get; set; }

    /// <summary>Cleared faults kept in memory and in the store before the oldest are dropped. Default 50,000.</summary>
    public int ClearedFaultsKept { get; set; } = DoctorConstants.ClearedFaultsKept;

    /// <summary>Most silences kept (pending, active and expired until deleted); one more is refused with 409. Default 10,000.</summary>
    public int MaxSilences { get; set; } = DoctorConstants.MaxSilences;

    /// <summary>
    /// Seconds a stop (SIGTERM) waits for pending webhook deliveries once the engine has drained; what is still pending
    /// stays in the outbox and is sent after the next start. Default 10 (0–3600).
    /// </summary>
    public int ShutdownDrainSeconds { get; set; } = DoctorConstants.ShutdownDrainSeconds;

    /// <summary>Run the fault path once on scratch data before the listener opens (<see cref="Warmup"/>), so the first real
    /// fault after a start is not slowed by first use. Default true.</summary>
    public bool WarmUp { get; set; } = true;

    /// <summary>Who keeps the resource map: <c>embedded</c> (Doctor's own, fed through the API) or <c>openstack</c> (a cache of
    /// the cloud, with corrections made through Nova and Neutron; section <see cref="OpenStack"/>). Default <c>embedded</c>;
    /// env <c>DOCTOR_CONTROLLER</c>, flag <c>--controller</c>.</summary>
    public string Controller { get; set; } = DoctorConstants.EmbeddedController;

    /// <summary>OpenStack mode (section <c>Doctor:OpenStack</c>).</summary>
    public Doctor.OpenStack.OpenStackOptions OpenStack { get; set; } = new();

    /// <summary>Maintenance session defaults (section <c>Doctor:Maintenance</c>).</summary>
    public MaintenanceOptions Maintenance { get; set; } = new();

    /// <summary>Webhook delivery (section <c>Doctor:Delivery</c>).</summary>
    public DeliveryOptions Delivery { get; set; } = new();

    /// <summary>Per-token request rate limits (section <c>Doctor:RateLimits</c>).</summary>
    public RateLimitOptions RateLimits { get; set; } = new();

    /// <summary>The listener's certificate for https addresses (section <c>Doctor:Tls</c>). Default: none.</summary>
    public TlsOptions Tls { get; set; } = new();

    /// <summary>
    /// The failure policy file (YAML or JSON, docs/operations.md "Failure policy"); env <c>DOCTOR_POLICY_FILE</c>.
    /// Default: unset, the built-in policy. Read at start (a bad file stops the start) and again on SIGHUP or
    /// <c>POST /v1/policy/reload</c>.
    /// </summary>
    public string? PolicyFile { get; set; }

    /// <summary>
    /// Base64 of the 256-bit key that encrypts webhook secrets in <c>state.db</c>; env <c>DOCTOR_SECRET_KEY</c>.
    /// Default: unset, the key lives in <c>secret.key</c> in the data directory (created 0600 on the first start).
    /// </summary>
    public string? SecretKey { get; set; }
}
