using System.Text;
using Doctor.Secrets;
using Doctor.State;
using Doctor.Storage;
using Doctor.Storage.Postgres;
using Doctor.Storage.Sqlite;
using Doctor.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Doctor.Core.Tests.Storage;

/// <summary>
/// One place a store lives (a data directory, or a PostgreSQL schema plus the directory for secret.key) and what the
/// contract tests need to look under the store's hood. Every <see cref="Create"/> opens the same place again.
/// </summary>
public abstract class StoreBackend : IDisposable
{
    /// <summary>The data directory: SQLite's files, or only secret.key for PostgreSQL.</summary>
    public TempDirectory Data { get; } = new();

    public abstract IDoctorStore Create(TimeProvider clock, SecretSealer? secrets = null, int deadKept = DoctorConstants.DeliveryDeadKept);

    /// <summary>The stored JSON of a record row.</summary>
    public abstract string StoredBody(RowKind kind, string id);

    /// <summary>True when <paramref name="text"/> appears anywhere the store keeps state (files, or rows).</summary>
    public abstract Task<bool> StateContainsAsync(string text);

    /// <summary>Marks the store as written by a newer Doctor (schema version 99).</summary>
    public abstract Task MarkNewerSchemaAsync();

    public virtual void Dispose() => Data.Dispose();
}

/// <summary>The embedded store in a temp data directory.</summary>
public sealed class SqliteBackend : StoreBackend
{
    public override IDoctorStore Create(TimeProvider clock, SecretSealer? secrets = null, int deadKept = DoctorConstants.DeliveryDeadKept) =>
        new SqliteStore(Data.Path, clock, NullLogger<SqliteStore>.Instance, secrets) { DeadKept = deadKept };

    public override string StoredBody(RowKind kind, string id)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(Data.Path, "state.db"), Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT body FROM records WHERE kind = $kind AND id = $id";
        command.Parameters.AddWithValue("$kind", (int)kind);
        command.Parameters.AddWithValue("$id", id);
        return (string)command.ExecuteScalar()!;
    }

    public override async Task<bool> StateContainsAsync(string text)
    {
        foreach (var file in Directory.GetFiles(Data.Path, "state.db*"))
        {
            if (Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file)).Contains(text, StringComparison.Ordinal))
                return true;
        }

        return false;
    }

    public override async Task MarkNewerSchemaAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(Data.Path, "events.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "INSERT INTO schema_version VALUES (99)";
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>The production store in a fresh schema of the test run's PostgreSQL server.</summary>
public sealed class PostgresBackend(PostgresServer server) : StoreBackend
{
    public string ConnectionString { get; } = server.NewSchema();

    public override IDoctorStore Create(TimeProvider clock, SecretSealer? secrets = null, int deadKept = DoctorConstants.DeliveryDeadKept) =>
        new PostgresStore(ConnectionString, Data.Path, clock, NullLogger<PostgresStore>.Instance, secrets) { DeadKept = deadKept };

    public override string StoredBody(RowKind kind, string id)
    {
        using var connection = new NpgsqlConnection(ConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand("SELECT body FROM records WHERE kind = $1 AND id = $2", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = (int)kind });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        return (string)command.ExecuteScalar()!;
    }

    public override async Task<bool> StateContainsAsync(string text)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM records WHERE strpos(body, $1) > 0) + (SELECT count(*) FROM meta WHERE strpos(value, $1) > 0)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = text });
        return (long)(await command.ExecuteScalarAsync())! > 0;
    }

    public override async Task MarkNewerSchemaAsync()
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("INSERT INTO schema_migrations (version) VALUES (99)", connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>One PostgreSQL server for every test class that needs one, started once per run.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
