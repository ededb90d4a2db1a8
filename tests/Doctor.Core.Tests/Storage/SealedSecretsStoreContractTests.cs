using System.Security.Cryptography;
using Doctor.Core.Tests.Support;
using Doctor.Secrets;
using Doctor.State;
using Doctor.Storage;
using Doctor.Subscriptions;
using Doctor.Testing;

namespace Doctor.Core.Tests.Storage;

/// <summary>Webhook secrets reach the store only sealed, and come back clear after a reopen (both stores).</summary>
public abstract class SealedSecretsStoreContractTests(StoreBackend backend) : IDisposable
{
    private const string Clear = "consumer-hmac-secret-zebra-0123456789";

    private readonly ManualTimeProvider _clock = new(TestMap.Start);

    public void Dispose() => backend.Dispose();

    private static Subscription Subscription(string id, string? secret) => new()
    {
        SubscriptionId = id, CallbackUrl = "http://127.0.0.1:9/hook", Secret = secret, ProjectId = "project-1", CreatedAt = TestMap.Start,
    };

    private async Task<LoadedState> OpenWriteAndCloseAsync(SecretSealer? secrets, params Subscription[] subscriptions)
    {
        var store = backend.Create(_clock, secrets);
        var loaded = await store.LoadAsync(CancellationToken.None);
        var batch = new ChangeBatch([.. subscriptions.Select(s => new RowChange(RowKind.Subscription, s.SubscriptionId, s))], [], processedSeq: 0, durable: true);
        store.Persist(batch);
        await Eventually.Within(batch.Committed, "the subscription write");
        await store.DisposeAsync();
        return loaded;
    }

    private async Task<LoadedState> ReopenAsync(SecretSealer? secrets)
    {
        var store = backend.Create(_clock, secrets);
        try
        {
            return await store.LoadAsync(CancellationToken.None);
        }
        finally
        {
            await store.DisposeAsync();
        }
    }

    private string StoredBody(string subscriptionId) => backend.StoredBody(RowKind.Subscription, subscriptionId);

    [Fact]
    public async Task Persist_SubscriptionWithSecret_StoreHoldsOnlyTheSealedForm()
    {
        await OpenWriteAndCloseAsync(null, Subscription("sub-1", Clear));

        Assert.Contains("\"secret\":\"v1:", StoredBody("sub-1"));
        Assert.DoesNotContain(Clear, StoredBody("sub-1"));
        Assert.False(await backend.StateContainsAsync(Clear));
    }

    [Fact]
    public async Task LoadAsync_SealedSecret_ComesBackClear()
    {
        await OpenWriteAndCloseAsync(null, Subscription("sub-1", Clear), Subscription("sub-2", null));

        var loaded = await ReopenAsync(null);

        Assert.Equal(Clear, loaded.State.Subscriptions.All.Get("sub-1")!.Secret);
        Assert.Null(loaded.State.Subscriptions.All.Get("sub-2")!.Secret);
        Assert.DoesNotContain("secret", StoredBody("sub-2"));
    }

    [Fact]
    public async Task LoadAsync_NoConfiguredKey_KeepsTheKeyInTheDataDirectory()
    {
        await OpenWriteAndCloseAsync(null, Subscription("sub-1", Clear));

        var key = SecretKeys.LoadOrCreate(backend.Data.Path, out var created);

        Assert.False(created);
        using var stored = System.Text.Json.JsonDocument.Parse(StoredBody("sub-1"));
        var sealedForm = stored.RootElement.GetProperty("secret").GetString()!;
        Assert.Equal(Clear, new SecretSealer(key).Open(sealedForm, "sub-1"));
    }

    [Fact]
    public async Task LoadAsync_ConfiguredKey_CreatesNoKeyFileAndOpensWithIt()
    {
        var key = new SecretSealer(RandomNumberGenerator.GetBytes(32));
        await OpenWriteAndCloseAsync(key, Subscription("sub-1", Clear));

        var loaded = await ReopenAsync(key);

        Assert.False(File.Exists(Path.Combine(backend.Data.Path, SecretKeys.FileName)));
        Assert.Equal(Clear, loaded.State.Subscriptions.All.Get("sub-1")!.Secret);
    }

    [Fact]
    public async Task LoadAsync_AnotherKey_RefusesToStartNamingTheSubscription()
    {
        await OpenWriteAndCloseAsync(new SecretSealer(RandomNumberGenerator.GetBytes(32)), Subscription("sub-1", Clear));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => ReopenAsync(new SecretSealer(RandomNumberGenerator.GetBytes(32))));

        Assert.Contains("sub-1", error.Message);
        Assert.Contains(SecretKeys.Variable, error.Message);
    }

    [Fact]
    public async Task LoadAsync_ManySubscriptionsAnotherKey_FailsInsteadOfHanging()
    {
        // More chunks than the loader's bounded queue plus its workers: every worker fails on its first chunk, and
        // the reader must still finish instead of waiting forever on a full queue.
        var count = (2 * Environment.ProcessorCount + 12) * 4096;
        var subscriptions = Enumerable.Range(0, count).Select(i => Subscription($"sub-{i:D6}", Clear)).ToArray();
        await OpenWriteAndCloseAsync(new SecretSealer(RandomNumberGenerator.GetBytes(32)), subscriptions);

        var reopen = Task.Run(() => ReopenAsync(new SecretSealer(RandomNumberGenerator.GetBytes(32))));

        await Assert.ThrowsAsync<InvalidOperationException>(() => Eventually.Within(reopen, "the refused start", TimeSpan.FromSeconds(60)));
    }
}
