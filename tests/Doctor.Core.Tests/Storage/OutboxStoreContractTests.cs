using System.Text;
using Doctor.Core.Tests.Support;
using Doctor.Notification;
using Doctor.State;
using Doctor.Storage;
using Doctor.Subscriptions;
using Doctor.Testing;

namespace Doctor.Core.Tests.Storage;

/// <summary>The delivery outbox in the store: what a restart resumes, what it forgets, and its bound (both stores).</summary>
public abstract class OutboxStoreContractTests(StoreBackend backend) : IDisposable
{
    private readonly ManualTimeProvider _clock = new(TestMap.Start);

    public void Dispose() => backend.Dispose();

    private static Subscription Subscription(string id) => new()
    {
        SubscriptionId = id, CallbackUrl = "http://127.0.0.1:9/hook", ProjectId = "project-1", CreatedAt = TestMap.Start,
    };

    private Delivery Delivery(string id, DeliveryState state = DeliveryState.Pending, int attempts = 0) =>
        new(id, NotificationType.Fault, Encoding.UTF8.GetBytes($"{{\"notification_id\":\"{id}\"}}"), "sha256=ab", _clock.GetUtcNow(), null)
        {
            State = state,
            Attempts = attempts,
        };

    private async Task<LoadedState> WriteAndReopenAsync(int deadKept, params ChangeBatch[] batches)
    {
        var store = backend.Create(_clock, deadKept: deadKept);
        await store.LoadAsync(CancellationToken.None);
        foreach (var batch in batches)
            store.Persist(batch);
        await Eventually.Within(Task.WhenAll(batches.Select(b => b.Committed)), "the outbox writes");
        await store.DisposeAsync();

        var reopened = backend.Create(_clock);
        await using var _ = reopened;
        return await reopened.LoadAsync(CancellationToken.None);
    }

    private static ChangeBatch Subscribe(params string[] ids) =>
        new([.. ids.Select(id => new RowChange(RowKind.Subscription, id, Subscription(id)))], [], 0, durable: true);

    private static ChangeBatch Outbox(params OutboxRecord[] records) => new([], [], 0) { Deliveries = records };

    [Fact]
    public async Task LoadAsync_PendingDeliveries_ComeBackInCreationOrderWithAgeAndAttempts()
    {
        var first = Delivery("n-1", attempts: 3);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var second = Delivery("n-2");

        var loaded = await WriteAndReopenAsync(10, Subscribe("sub-1"), Outbox(new OutboxRecord("sub-1", first), new OutboxRecord("sub-1", second)));

        Assert.Equal(["n-1", "n-2"], loaded.Outbox.Select(r => r.Delivery.NotificationId));
        var restored = loaded.Outbox[0].Delivery;
        Assert.Equal(DeliveryState.Pending, restored.State);
        Assert.Equal(3, restored.Attempts);
        Assert.Equal(first.CreatedAt, restored.CreatedAt);
        Assert.Equal(first.Body, restored.Body);
        Assert.Equal("sha256=ab", restored.Signature);
    }

    [Fact]
    public async Task Persist_DeliveredBeforeOrAfterItsRowIsWritten_LeavesNoRow()
    {
        var early = Delivery("n-early", DeliveryState.Delivered); // finished before the engine's batch committed
        var late = Delivery("n-late");
        var insert = Outbox(new OutboxRecord("sub-1", early), new OutboxRecord("sub-1", late));
        late.State = DeliveryState.Delivered;
        var loaded = await WriteAndReopenAsync(10, Subscribe("sub-1"), Outbox(new OutboxRecord("sub-1", Delivery("n-late"))), insert);

        Assert.Empty(loaded.Outbox);
    }

    [Fact]
    public async Task Persist_ManyDead_KeepsOnlyTheNewestPerSubscription()
    {
        var records = Enumerable.Range(1, 5).Select(i => new OutboxRecord("sub-1", Delivery($"n-{i}", DeliveryState.Dead))).ToArray();

        var loaded = await WriteAndReopenAsync(2, [Subscribe("sub-1"), .. records.Select(r => Outbox(r))]);

        Assert.Equal(["n-4", "n-5"], loaded.Outbox.Select(r => r.Delivery.NotificationId));
        Assert.All(loaded.Outbox, r => Assert.Equal(DeliveryState.Dead, r.Delivery.State));
    }

    [Fact]
    public async Task LoadAsync_SubscriptionDeleted_ItsRowsAreDropped()
    {
        var loaded = await WriteAndReopenAsync(
            10,
            Subscribe("sub-1", "sub-2"),
            Outbox(new OutboxRecord("sub-1", Delivery("n-1")), new OutboxRecord("sub-2", Delivery("n-2"))),
            new ChangeBatch([new RowChange(RowKind.Subscription, "sub-2", null)], [], 0, durable: true));

        Assert.Equal(["n-1"], loaded.Outbox.Select(r => r.Delivery.NotificationId));
    }

    [Fact]
    public async Task LoadAsync_DeadThenRedelivered_IsPendingAgain()
    {
        var dead = Delivery("n-1", DeliveryState.Dead, attempts: 9);
        var again = Delivery("n-1");

        var loaded = await WriteAndReopenAsync(10, Subscribe("sub-1"), Outbox(new OutboxRecord("sub-1", dead)), Outbox(new OutboxRecord("sub-1", again)));

        var restored = Assert.Single(loaded.Outbox).Delivery;
        Assert.Equal(DeliveryState.Pending, restored.State);
        Assert.Equal(0, restored.Attempts);
    }
}
