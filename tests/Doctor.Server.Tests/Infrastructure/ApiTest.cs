namespace Doctor.Server.Tests.Infrastructure;

/// <summary>Base of the API tests: a fresh service (own data directory, own state) for every test.</summary>
public abstract class ApiTest : IAsyncLifetime
{
    protected const string Admin = DoctorHost.AdminToken;

    private DoctorHost? _doctor;

    protected DoctorHost Doctor => _doctor ?? throw new InvalidOperationException("the service is not started");

    public virtual async Task InitializeAsync() => _doctor = await DoctorHost.StartAsync();

    public virtual async Task DisposeAsync()
    {
        if (_doctor is not null)
            await _doctor.DisposeAsync();
    }

    /// <summary>Imports <see cref="Cloud.Inventory"/>.</summary>
    protected Task SeedCloudAsync() => Doctor.ImportAsync(Cloud.Inventory);

    protected static IReadOnlyList<string> Ids(System.Text.Json.JsonElement list, string property = "id") =>
        [.. list.EnumerateArray().Select(e => e.GetProperty(property).GetString()!)];
}
