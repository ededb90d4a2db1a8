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

    private async Task<PostgresStore> OpenAndClose(string connection)
    {
        var store = Store(connection);
        await store.LoadAsync(CancellationToken.None);
        return store;
    }
}
