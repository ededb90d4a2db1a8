namespace Doctor;

/// <summary>Every built-in default and hard limit in one place; docs/operations.md mirrors this file.</summary>
public static class DoctorConstants
{
    /// <summary>Reply window of a maintenance message (SPEC §6): 120 s. A session's metadata <c>reply_seconds</c> may shorten it.</summary>
    public const double MaintenanceReplySeconds = 120;

    /// <summary>How long a MIGRATE or LIVE_MIGRATE takes in the embedded controller: 1 s (metadata <c>migration_seconds</c>).</summary>
    public const double MaintenanceMigrationSeconds = 1;

    /// <summary>How long a host's maintenance action takes in the embedded controller: 2 s (metadata <c>host_maintenance_seconds</c>).</summary>
    public const double HostMaintenanceSeconds = 2;

    /// <summary>How long a MIGRATE or LIVE_MIGRATE carried out by a cloud (OpenStack mode) may take before the session fails:
    /// 600 s (<c>Doctor:OpenStack:MigrationTimeoutSeconds</c>).</summary>
    public const double MaintenanceMigrationTimeoutSeconds = 600;

    /// <summary>How often the maintenance clock looks for due timers of running sessions: every 50 ms.</summary>
    public static readonly TimeSpan MaintenanceTick = TimeSpan.FromMilliseconds(50);

    /// <summary>Most history lines kept per maintenance session (the oldest go first).</summary>
    public const int MaintenanceHistoryKept = 1000;

    /// <summary>Default listen address of <c>doctor serve</c>.</summary>
    public const string DefaultUrls = "http://127.0.0.1:12345";

    /// <summary>Default data directory (relative to the working directory).</summary>
    public const string DefaultDataDir = "./doctor-data";

    /// <summary>Default store: SQLite in the data directory (<c>Doctor:Store</c>; the other is <c>postgres</c>).</summary>
    public const string DefaultStore = SqliteStoreName;

    /// <summary><c>Doctor:Store</c> value of the embedded SQLite store.</summary>
    public const string SqliteStoreName = "sqlite";

    /// <summary><c>Doctor:Store</c> value of the PostgreSQL store.</summary>
    public const string PostgresStoreName = "postgres";

    /// <summary>Environment variable choosing the store (<c>Doctor:Store</c>).</summary>
    public const string StoreVariable = "DOCTOR_STORE";

    /// <summary>
    /// How long a starting PostgreSQL store waits for the previous owner's lock: a killed Doctor's server session may
    /// take a moment to end. Past it the start is refused (another Doctor really is using the database).
    /// </summary>
    public static readonly TimeSpan StoreOwnerLockWait = TimeSpan.FromSeconds(5);

    /// <summary>Environment variable holding the PostgreSQL connection string (<c>Doctor:Connection</c>).</summary>
    public const string ConnectionVariable = "DOCTOR_CONNECTION";

    /// <summary>Environment variable selecting who keeps the resource map (embedded or openstack).</summary>
    public const string ControllerVariable = "DOCTOR_CONTROLLER";

    public const string EmbeddedController = "embedded";
    public const string OpenStackController = "openstack";

    /// <summary>Largest accepted request body: 4 MiB (SPEC §1).</summary>
    public const long MaxBodyBytes = 4 * 1024 * 1024;

    /// <summary>Most events in one bulk body (SPEC §1).</summary>
    public const int MaxEventsPerBody = 10_000;

    /// <summary>Identifiers, names and types are 1–255 characters.</summary>
    public const int MaxIdentifierLength = 255;

    /// <summary>A details or metadata value is at most 4 KiB.</summary>
    public const int MaxDetailValueBytes = 4 * 1024;

    /// <summary>Deepest JSON nesting accepted.</summary>
    public const int MaxJsonDepth = 32;

    /// <summary>List page size when <c>limit</c> is not given.</summary>
    public const int DefaultPageSize = 100;

    /// <summary>Largest list page.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>Most work items the engine applies before publishing a snapshot and dispatching notifications.</summary>
    public const int EngineBatchSize = 1024;

    /// <summary>Most events written in one group-commit transaction.</summary>
    public const int StoreBatchEvents = 50_000;

    /// <summary>Timeout of one webhook POST.</summary>
    public static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(5);

    /// <summary>First retry delay of a failed webhook; doubles each attempt, with ±20 % jitter.</summary>
    public static readonly TimeSpan DeliveryFirstRetry = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest wait between two attempts of one webhook.</summary>
    public static readonly TimeSpan DeliveryMaxRetryDelay = TimeSpan.FromSeconds(30);

    /// <summary>A notification not delivered within this age is kept as dead.</summary>
    public static readonly TimeSpan DeliveryMaxAge = TimeSpan.FromHours(1);

    /// <summary>Delivery records kept per subscription for <c>/deliveries</c> (pending and dead ones are always kept).</summary>
    public const int DeliveryHistoryPerSubscription = 100;

    /// <summary>
    /// Dead deliveries kept per subscription in the outbox (<c>state.db</c>), newest first; older dead ones are deleted
    /// when a new one dies. Delivered ones are deleted at once, so the outbox holds only this plus what is pending.
    /// </summary>
    public const int DeliveryDeadKept = 1000;

    /// <summary>How long a stop (SIGTERM) waits for pending deliveries after the engine drained; what is left stays in
    /// the outbox for the next start.</summary>
    public const int ShutdownDrainSeconds = 10;

    /// <summary>Fault timelines (profiler) kept in memory, newest first out last.</summary>
    public const int TimelinesKept = 10_000;

    /// <summary>Cleared faults kept (in memory and in the store); older ones are dropped, oldest first.</summary>
    public const int ClearedFaultsKept = 50_000;

    /// <summary>Largest failure policy file (<c>Doctor:PolicyFile</c>): 1 MiB, hundreds of times a real policy.</summary>
    public const int MaxPolicyFileBytes = 1024 * 1024;

    /// <summary>Most rules in one failure policy; the engine scans them in order for every event.</summary>
    public const int MaxPolicyRules = 10_000;

    /// <summary>Most problems listed for one bad policy file; the rest are counted, so an answer stays readable.</summary>
    public const int MaxPolicyErrorsListed = 100;

    /// <summary>Environment variable naming the failure policy file (<c>Doctor:PolicyFile</c>).</summary>
    public const string PolicyFileVariable = "DOCTOR_POLICY_FILE";

    /// <summary>
    /// Southbound rate limit per token (POST /v1/events, PUT /events): a bucket of this many requests, refilled at
    /// <see cref="RateLimitEventsPerSecond"/>. Sized to let a whole fleet that shares one monitor token report at once.
    /// </summary>
    public const int RateLimitEventsBurst = 10_000;

    /// <summary>Sustained southbound requests per second per token (50× the bulk-ingest benchmark's ~100 requests/s).</summary>
    public const int RateLimitEventsPerSecond = 5_000;

    /// <summary>Rate limit per token for every other API: a bucket of this many requests.</summary>
    public const int RateLimitApiBurst = 2_000;

    /// <summary>Sustained requests per second per token on the other APIs (the fault benchmark makes a few hundred).</summary>
    public const int RateLimitApiPerSecond = 1_000;

    /// <summary>
    /// Most silences kept (pending, active and expired until deleted); one more is refused with 409. The engine checks
    /// them once per fault, so the bound keeps that check cheap.
    /// </summary>
    public const int MaxSilences = 10_000;

    /// <summary>Longest silence comment, in UTF-16 characters.</summary>
    public const int MaxSilenceCommentLength = 1024;

    /// <summary>Environment variable holding the first admin token.</summary>
    public const string AdminTokenVariable = "DOCTOR_ADMIN_TOKEN";
}
