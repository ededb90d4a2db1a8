using Npgsql;

namespace Doctor.Storage.Postgres;

/// <summary>
/// Versioned schema migrations, recorded in <c>schema_migrations</c> and applied at start, one transaction each.
/// The tables mirror SQLite's two files in one database (same columns, times as UTC ticks), so the shared loader,
/// event reads and outbox code read both alike.
/// </summary>
internal static class PostgresSchema
{
    public static readonly string[] Migrations =
    [
        // 1: the event log (seq given by the single writer), the state checkpoint and the delivery outbox.
        """
        CREATE TABLE events (
            seq bigint PRIMARY KEY,
            id text NOT NULL UNIQUE,
            monitor_key text,
            type text NOT NULL,
            time bigint NOT NULL,
            recorded_at bigint NOT NULL,
            body text NOT NULL);
        CREATE UNIQUE INDEX events_by_monitor_key ON events (monitor_key) WHERE monitor_key IS NOT NULL;
        CREATE INDEX events_by_type ON events (type, seq);
        CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
        CREATE TABLE event_outcomes (
            seq bigint PRIMARY KEY,
            status text NOT NULL,
            fault_ids text NOT NULL,
            reason text);
        CREATE TABLE records (
            kind integer NOT NULL,
            id text NOT NULL,
            body text NOT NULL,
            PRIMARY KEY (kind, id));
        CREATE TABLE outbox (
            position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            subscription_id text NOT NULL,
            notification_id text NOT NULL,
            type text NOT NULL,
            state text NOT NULL,
            created_at bigint NOT NULL,
            attempts integer NOT NULL,
            last_status integer,
            last_error text,
            last_attempt_at bigint,
            signature text,
            body bytea NOT NULL);
        CREATE UNIQUE INDEX outbox_by_notification ON outbox (subscription_id, notification_id);
        CREATE INDEX outbox_dead ON outbox (subscription_id, state, position);
        """,
    ];

    /// <summary>Applies the migrations not yet applied; true when the database had no Doctor schema.</summary>
    /// <exception cref="InvalidOperationException">The database was migrated by a newer Doctor.</exception>
    public static bool Migrate(NpgsqlConnection connection)
    {
        Execute(connection, null, "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
        var current = CurrentVersion(connection, null);
        if (current > Migrations.Length)
            throw new InvalidOperationException($"the database has schema version {current}, newer than this Doctor ({Migrations.Length}); refusing to start");
        for (var version = current + 1; version <= Migrations.Length; version++)
        {
            using var transaction = connection.BeginTransaction();
            Execute(connection, transaction, Migrations[version - 1]);
            Execute(connection, transaction, $"INSERT INTO schema_migrations (version) VALUES ({version})");
            transaction.Commit();
        }

        return current == 0;
    }

    private static int CurrentVersion(NpgsqlConnection connection, NpgsqlTransaction? transaction)
    {
        using var command = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM schema_migrations", connection, transaction);
        return (int)command.ExecuteScalar()!;
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.ExecuteNonQuery();
    }
}
