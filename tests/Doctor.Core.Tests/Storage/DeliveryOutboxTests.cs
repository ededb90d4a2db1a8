using System.Collections.Concurrent;
using System.Text;
using Doctor.Core.Tests.Support;
using Doctor.Events;
using Doctor.Notification;
using Doctor.State;
using Doctor.Storage;
using Doctor.Subscriptions;
using Doctor.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Doctor.Core.Tests.Storage;

public sealed class DeliveryOutboxTests : IAsyncDisposable
{
    private readonly ManualTimeProvider _clock = new(TestMap.Start);
    private readonly FakeCallbackHandler _consumers = new();
    private readonly ConcurrentDictionary<string, Subscription> _subscriptions = new();
    private readonly RecordingStore _store = new();
    private readonly HttpClient _client;
    private readonly WebhookDispatcher _dispatcher;
    private readonly DeliveryOutbox _outbox;

    public DeliveryOutboxTests()
    {
        _client = new HttpClient(_consumers) { Timeout = Timeout.InfiniteTimeSpan };
        _dispatcher = new WebhookDispatcher(_client, _clock, new DeliveryOptions(), id => _subscriptions.GetValueOrDefault(id), NullLogger<WebhookDispatcher>.Instance);
        _outbox = new DeliveryOutbox(_dispatcher, _store);
    }

    public async ValueTask DisposeAsync()
    {
        await _dispatcher.DisposeAsync();
        _client.Dispose();
    }

    private Subscription Subscribe(string id)
    {
        var subscription = new Subscription { SubscriptionId = id, CallbackUrl = $"http://127.0.0.1:9/{id}", CreatedAt = TestMap.Start };
        _subscriptions[id] = subscription;
        return subscription;
    }

    private Delivery Delivery(string id) =>
        new(id, NotificationType.Fault, Encoding.UTF8.GetBytes("{}"), null, _clock.GetUtcNow(), null);

    private DoctorState StateWith(Subscription subscription)
    {
        var editor = new StateEditor(DoctorState.Empty, _clock.GetUtcNow());
        editor.Subscriptions.Put(subscription);
        return editor.Build();
    }

    [Fact]
    public async Task Enqueue_New_SentAtOnceAndTakenOnceForTheBatch()
    {
        var subscription = Subscribe("sub-1");

        _outbox.Enqueue(subscription, Delivery("n-1"));
        await Eventually.TrueAsync(() => _consumers.Received.Count == 1, "the delivery to be sent");

        Assert.Equal(["n-1"], _outbox.TakeRecorded().Select(r => r.Delivery.NotificationId));
        Assert.Empty(_outbox.TakeRecorded());
    }

    [Fact]
    public async Task Enqueue_DuringReplayOfAResumedNotification_SentOnlyOnce()
    {
        var subscription = Subscribe("sub-1");
        _outbox.Restore([new OutboxRecord("sub-1", Delivery("n-1"))], StateWith(subscription));

        _outbox.Enqueue(subscription, Delivery("n-1")); // the replay rebuilt it
        _outbox.Enqueue(subscription, Delivery("n-2"));
        _outbox.EndRestore();
        _outbox.Enqueue(subscription, Delivery("n-3"));
        await Eventually.TrueAsync(() => _consumers.Received.Count == 3, "three deliveries");

        Assert.Equal(["n-1", "n-2", "n-3"], _consumers.Received.Select(r => r.NotificationId));
        Assert.Equal(["n-2", "n-3"], _outbox.TakeRecorded().Select(r => r.Delivery.NotificationId));
    }

    [Fact]
    public async Task Changed_Delivered_QueuedToTheStoreAsItStands()
    {
        var subscription = Subscribe("sub-1");

        _outbox.Enqueue(subscription, Delivery("n-1"));

        await Eventually.TrueAsync(() => _store.Batches.Any(b => b.Deliveries.Any(d => d.Delivery.State == DeliveryState.Delivered)), "the delivered report");
        var report = Assert.Single(_store.Batches);
        Assert.Empty(report.Changes);
        Assert.Equal(0, report.ProcessedSeq);
    }

    /// <summary>Keeps what is persisted; nothing else is used by the outbox.</summary>
    private sealed class RecordingStore : IDoctorStore
    {
        public ConcurrentQueue<ChangeBatch> Batches { get; } = new();

        public void Persist(ChangeBatch batch) => Batches.Enqueue(batch);

        public Task<LoadedState> LoadAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public void OnCommitted(Action<IReadOnlyList<EventRecord>> sink) => throw new NotSupportedException();

        public Task<AppendResult> AppendAsync(IReadOnlyList<RawEvent> events, long receivedTicks, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<StoredEvent?> GetEventAsync(string id, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<StoredEvent>> ListEventsAsync(EventQuery query, CancellationToken cancellationToken) => throw new NotSupportedException();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
