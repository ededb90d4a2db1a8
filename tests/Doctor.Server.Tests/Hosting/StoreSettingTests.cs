using Doctor.Server.Hosting;
using Doctor.Storage;
using Doctor.Storage.Postgres;
using Doctor.Storage.Sqlite;
using Doctor.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Doctor.Server.Tests.Hosting;

/// <summary><c>Doctor:Store</c> and <c>Doctor:Connection</c>: validated at start, and they choose the store.</summary>
public sealed class StoreSettingTests
{
    [Theory]
    [InlineData("mysql", null, "Doctor:Store")]
    [InlineData("postgres", null, "Doctor:Connection")]
    [InlineData("postgres", "Host=db;Nonsense=1", "Doctor:Connection")]
    public void Create_BadStoreSettings_StartFailsNamingThem(string store, string? connection, string named)
    {
        using var dir = new TempDirectory();

        var error = Assert.Throws<OptionsValidationException>(() => DoctorApp.Create([], o =>
        {
            o.DataDir = dir.Path;
            o.Store = store;
            o.Connection = connection;
        }));

        Assert.Contains(named, error.Message);
    }

    [Theory]
    [InlineData(null, typeof(SqliteStore))]
    [InlineData("sqlite", typeof(SqliteStore))]
    [InlineData("Postgres", typeof(PostgresStore))]
    public async Task Create_Store_ChoosesTheImplementation(string? store, Type expected)
    {
        using var dir = new TempDirectory();
        await using var app = DoctorApp.Create([], o =>
        {
            o.DataDir = dir.Path;
            o.Store = store ?? o.Store;
            o.Connection = "Host=127.0.0.1;Port=1;Username=doctor;Database=doctor";
        });

        Assert.IsType(expected, app.Services.GetRequiredService<IDoctorStore>());
    }
}
