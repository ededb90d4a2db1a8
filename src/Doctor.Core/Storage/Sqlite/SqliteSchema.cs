namespace Doctor.Storage.Sqlite;

/// <summary>Versioned schema migrations, applied in order at start inside one transaction each.</summary>
internal static class SqliteSchema
{
    public static readonly string[] Migrations =
    [
        // v1: the event log, what became of each event, and the engine's state as one row per record.
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            monitor_key TEXT UNIQUE,
            type TEXT NOT NULL,
            time TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            body TEXT NOT NULL);
        CREATE INDEX events_by_type ON events (type, seq);
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
    ];
}
