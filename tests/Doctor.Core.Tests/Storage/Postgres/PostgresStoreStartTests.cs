using Doctor.Core.Tests.Support;
using Doctor.Storage;
using Doctor.Storage.Postgres;
using Doctor.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Doctor.Core.Tests.Storage.Postgres;

/// <summary>What only the PostgreSQL store does at start: connect, own the database, record its migrations.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreStartTests(PostgresServer server) : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ManualTimeProvider _clock = new(TestMap.Start);

    public void Dispose() => _dir.Dispose();

    private PostgresStore Store(string connection) => new(connection, _dir.Path, _clock, NullLogger<PostgresStore>.Instance);

    [Fact]
    public async Task LoadAsync_Unreachable_RefusedNamingTheSettingWithoutThePassword()
    {
        var free = FreePort.Next();
        await using var store = Store($"Host=127.0.0.1;Port={free};Username=doctor;Password=hunter2;Database=doctor;Timeout=2");

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => store.LoadAsync(CancellationToken.None));

        Assert.Contains("Doctor:Connection", error.Message);
        Assert.Contains($"doctor@127.0.0.1:{free}/doctor", error.Message);
        Assert.DoesNotContain("hunter2", error.Message);
    }

    [Fact]
    public async Task LoadAsync_AnotherDoctorOwnsTheDatabase_Refused()
    {
        var connection = server.NewSchema();
        await using var first = Store(connection);
        await first.LoadAsync(CancellationToken.None);
        await using var second = Store(connection);

        var error = await Assert.ThrowsAsync<StoreUnavailableException>(() => second.LoadAsync(CancellationToken.None));

        Assert.Contains("another Doctor", error.Message);
    }

    [Fact]
    public async Task LoadAsync_NewDatabase_RecordsEachMigrationOnce()
    {
        var connection = server.NewDatabase();
        await (await OpenAndClose(connection)).DisposeAsync();
        await (await OpenAndClose(connection)).DisposeAsync();

        await using var check = new NpgsqlConnection(connection);
        await check.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT array_agg(version ORDER BY version) FROM schema_migrations", check);
        var versions = (int[])(await command.ExecuteScalarAsync())!;
        Assert.Equal(new[] { 1 }, versions);
    }

    [Theory]
    [InlineData(null, "is required")]
    [InlineData("Host=db;Bogus=1", "not a valid connection string")]
    [InlineData("Port=5432", "names no Host")]
    [InlineData("Host=db.example;Database=doctor", null)]
    public void CheckConnectionString_Value_SaysWhatIsWrong(string? value, string? expected)
    {
        var problem = PostgresStore.CheckConnectionString(value);

        if (expected is null)
            Assert.Null(problem);
        else
            Assert.Contains(expected, problem);
    }

    [Fact]
    public async Task AppendAsyncAndPersist_ServerEndedTheSessions_WorkAgainAfterOneRefusal()
    {
        var connection = server.NewDatabase();
        await using var store = Store(connection);
        await store.LoadAsync(CancellationToken.None);
        var seen = new List<long>();
        store.OnCommitted(records =>
        {
            lock (seen)
                seen.AddRange(records.Select(r => r.Seq));
        });
        await Eventually.Within(store.AppendAsync([TestMap.HostEvent("compute.host.down", "compute-1", "e-1")], 1, CancellationToken.None), "the first append");

        await TerminateSessionsAsync(new NpgsqlConnectionStringBuilder(connection).Database!);

        await RetriedOnce(() => store.AppendAsync([TestMap.HostEvent("compute.host.down", "compute-2", "e-2")], 1, CancellationToken.None));
        await RetriedOnce(() =>
        {
            var batch = new ChangeBatch([new Doctor.State.RowChange(Doctor.State.RowKind.Host, "compute-1", TestMap.Host("compute-1"))], [], 2, durable: true);
            store.Persist(batch);
            return batch.Committed;
        });
        var events = await store.ListEventsAsync(new EventQuery(null, null, null, 100), CancellationToken.None);
        Assert.Equal(["e-1", "e-2"], events.Select(e => e.Event.Id));
        lock (seen)
            Assert.Equal([1L, 2L], seen);
    }

    private static async Task RetriedOnce(Func<Task> write)
    {
        try
        {
            await Eventually.Within(write(), "the write");
        }
        catch (StoreUnavailableException)
        {
            await Eventually.Within(write(), "the write, again");
        }
    }

    private async Task TerminateSessionsAsync(string database)
    {
        await using var admin = new NpgsqlConnection(server.ConnectionString);
        await admin.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1", admin);
        command.Parameters.Add(new NpgsqlParameter { Value = database });
        Assert.True((long)(await command.ExecuteScalarAsync())! >= 2);
    }

    private async Task<PostgresStore> OpenAndClose(string connection)
    {
        var store = Store(connection);
        await store.LoadAsync(CancellationToken.None);
        return store;
    }
}
