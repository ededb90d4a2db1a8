namespace Doctor.OpenStack.Tests.Infrastructure;

/// <summary>A fresh <see cref="FakeCloud"/> and Doctor's clients of it for each test.</summary>
public abstract class FakeCloudTest : IAsyncLifetime
{
    protected FakeCloud Cloud { get; private set; } = null!;

    protected CloudClients Clients { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cloud = await FakeCloud.StartAsync();
        Clients = new CloudClients(Cloud);
    }

    public async Task DisposeAsync()
    {
        await Clients.DisposeAsync();
        await Cloud.DisposeAsync();
    }
}
