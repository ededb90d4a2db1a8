namespace Doctor.Server.Tests.Hostile;

/// <summary>
/// SPEC §1: bad input is a 4xx problem answer (status, title, detail), never a 5xx, never a crash and never a state
/// change. Each case of <see cref="HostileCatalog"/> is sent to one running service; after each, the service must still
/// be healthy and every admin list (and the engine's position) exactly what it was before the suite began.
/// </summary>
public sealed class HostileInputTests(HostileService service) : IClassFixture<HostileService>, IAsyncLifetime
{
    private string? _before;

    public static TheoryData<string> Cases => [.. HostileCatalog.All.Select(r => r.Name)];

    public async Task InitializeAsync() => _before = await service.SnapshotAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task HostileRequest_IsAProblemAndChangesNothing(string name)
    {
        var request = HostileCatalog.Get(name);

        using var response = await service.SendAsync(request);

        await HostileService.AssertProblemAsync(request, response);
        Assert.Equal(_before, await service.SnapshotAsync());
    }

    [Fact]
    public void Catalog_NamesAreUnique() =>
        Assert.Equal(HostileCatalog.All.Count, HostileCatalog.All.Select(r => r.Name).Distinct(StringComparer.Ordinal).Count());
}
