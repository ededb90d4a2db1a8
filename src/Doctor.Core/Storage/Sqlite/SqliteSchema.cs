namespace Doctor.Storage.Sqlite;

/// <summary>
/// Versioned schema migrations of the two files, applied in order at start, one transaction each.
/// The event log is the truth; the state file is a checkpoint of what the engine made of it.
/// </summary>
internal static class SqliteSchema
{
    /// <summary>events.db: the append-only log (fsync on every commit). Times are UTC ticks; <c>seq</c> is given by
    /// the single writer, so an insert needs no RETURNING round.</summary>
    public static readonly string[] Log =
    [
        """
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            monitor_key TEXT,
            type TEXT NOT NULL,
            time INTEGER NOT NULL,
            recorded_at INTEGER NOT NULL,
            body TEXT NOT NULL);
        CREATE UNIQUE INDEX events_by_monitor_key ON events (monitor_key) WHERE monitor_key IS NOT NULL;
        CREATE INDEX events_by_type ON events (type, seq);
        """,
    ];

    /// <summary>state.db: one row per record, the outcome of each event, and the log position reached.</summary>
    public static readonly string[] State =
    [
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE event_outcomes (
            seq INTEGER PRIMARY KEY,
            status TEXT NOT NULL,
            fault_ids TEXT NOT NULL,
            reason TEXT);
        CREATE TABLE records (
            kind INTEGER NOT NULL,
            id TEXT NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (kind, id)) WITHOUT ROWID;
        """,
        // 2: the delivery outbox. A row per notification not yet delivered (pending) or given up on (dead), written in
        // the transaction that moves processed_seq past the event that produced it; position keeps creation order.
        """
        CREATE TABLE outbox (
            position INTEGER PRIMARY KEY,
            subscription_id TEXT NOT NULL,
            notification_id TEXT NOT NULL,
            type TEXT NOT NULL,
            state TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            attempts INTEGER NOT NULL,
            last_status INTEGER,
            last_error TEXT,
            last_attempt_at INTEGER,
            signature TEXT,
            body BLOB NOT NULL);
        CREATE UNIQUE INDEX outbox_by_notification ON outbox (subscription_id, notification_id);
        CREATE INDEX outbox_dead ON outbox (subscription_id, state, position);
        """,
    ];
}
