using Xunit.Abstractions;

namespace Doctor.OpenStack.Integration.Infrastructure;

/// <summary>
/// What every scenario class against the cloud has: its notes (measured times in the test output), the cloud as a user
/// calls it (leftovers of a dead run removed first, everything created deleted at the end) and the Doctor it started,
/// stopped (its queue deleted) before the cloud is cleaned up.
/// </summary>
public abstract class CloudScenario(ITestOutputHelper output, Notes notes, string name) : IClassFixture<Notes>, IAsyncLifetime
{
    protected Notes Notes { get; } = notes.For(output, name);

    protected Cloud Cloud { get; private set; } = null!;

    /// <summary>A webhook consumer on loopback: the owners' subscriptions and Aodh's alarm actions post to paths of it.</summary>
    protected Consumer Consumer { get; private set; } = null!;

    /// <summary>The Doctor of this scenario, once a test started it.</summary>
    protected OpenStackDoctor? Service { get; set; }

    public virtual async Task InitializeAsync()
    {
        Cloud = new Cloud(Notes.Say);
        await Cloud.RemoveLeftoversAsync();
        Consumer = await Consumer.StartAsync();
    }

    public virtual async Task DisposeAsync()
    {
        try
        {
            if (Service is { } service)
            {
                await service.DisposeAsync();
                await AfterServiceStoppedAsync(service);
            }
        }
        finally
        {
            await Cloud.DisposeAsync();
            if (Consumer is not null)
                await Consumer.DisposeAsync();
        }
    }

    /// <summary>A check a scenario makes once its Doctor has stopped (before the cloud is cleaned up).</summary>
    protected virtual Task AfterServiceStoppedAsync(OpenStackDoctor service) => Task.CompletedTask;
}
