using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Doctor.Core.Tests.Support;
using Doctor.Notification;
using Doctor.Subscriptions;
using Doctor.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Doctor.Core.Tests.Notification;

public sealed class WebhookDispatcherTests : IAsyncDisposable
{
    private readonly ManualTimeProvider _clock = new(TestMap.Start);
    private readonly FakeCallbackHandler _consumers = new();
    private readonly ConcurrentDictionary<string, Subscription> _subscriptions = new();
    private readonly DeliveryOptions _options = new()
    {
        FirstRetryDelay = TimeSpan.FromSeconds(1),
        MaxRetryDelay = TimeSpan.FromSeconds(4),
        MaxAge = TimeSpan.FromSeconds(30),
        Timeout = TimeSpan.FromSeconds(5),
    };

    private readonly HttpClient _client;
    private WebhookDispatcher? _dispatcher;

    public WebhookDispatcherTests() => _client = new HttpClient(_consumers) { Timeout = Timeout.InfiniteTimeSpan };

    private WebhookDispatcher Dispatcher => _dispatcher ??= new WebhookDispatcher(
        _client, _clock, _options, id => _subscriptions.GetValueOrDefault(id), NullLogger<WebhookDispatcher>.Instance);

    public async ValueTask DisposeAsync()
    {
        if (_dispatcher is not null)
            await _dispatcher.DisposeAsync();
        _client.Dispose();
    }

    private Subscription Subscribe(string id)
    {
        var subscription = new Subscription { SubscriptionId = id, CallbackUrl = $"http://127.0.0.1:9/{id}", CreatedAt = TestMap.Start };
        _subscriptions[id] = subscription;
        return subscription;
    }

    private Delivery Send(Subscription subscription, string notificationId, string? signature = null)
    {
        var delivery = new Delivery(notificationId, NotificationType.Fault, Encoding.UTF8.GetBytes($"{{\"notification_id\":\"{notificationId}\"}}"),
            signature, _clock.GetUtcNow(), null);
        Dispatcher.Enqueue(subscription, delivery);
        return delivery;
    }

    private DeliveryInfo Latest(string subscriptionId) => Dispatcher.Deliveries(subscriptionId)[0];

    private DeliveryInfo Info(string subscriptionId, string notificationId) =>
        Dispatcher.Deliveries(subscriptionId).Single(d => d.NotificationId == notificationId);

    private Task Delivered(string subscriptionId, string notificationId) =>
        Eventually.TrueAsync(() => Info(subscriptionId, notificationId).State == DeliveryState.Delivered, $"{notificationId} to be delivered");

    /// <summary>Waits until the failed attempt number <paramref name="attempts"/> has armed its backoff timer.</summary>
    private Task RetryArmed(string subscriptionId, string notificationId, int attempts) =>
        Eventually.TrueAsync(
            () => Info(subscriptionId, notificationId) is { NextAttemptAt: not null } d && d.Attempts == attempts && _clock.PendingTimers == 1,
            $"attempt {attempts} of {notificationId} to fail and arm its retry");

    [Fact]
    public async Task Enqueue_HealthyCallback_PostsTheBodyWithHeaders()
    {
        var subscription = Subscribe("sub-1");

        var delivery = Send(subscription, "n-1", signature: "sha256=abc");
        await Delivered("sub-1", "n-1");

        var received = Assert.Single(_consumers.Received);
        Assert.Equal(HttpMethod.Post, received.Method);
        Assert.Equal(new Uri("http://127.0.0.1:9/sub-1"), received.Uri);
        Assert.Equal("application/json", received.ContentType);
        Assert.Equal("n-1", received.NotificationId);
        Assert.Equal("sha256=abc", received.Signature);
        Assert.Equal(delivery.Body, received.Body);
    }

    [Fact]
    public async Task Enqueue_Unsigned_SendsNoSignatureHeader()
    {
        Send(Subscribe("sub-1"), "n-1");
        await Delivered("sub-1", "n-1");

        Assert.Null(Assert.Single(_consumers.Received).Signature);
    }

    [Fact]
    public async Task Enqueue_Delivered_RecordsOneSuccessfulAttempt()
    {
        Send(Subscribe("sub-1"), "n-1");
        await Delivered("sub-1", "n-1");

        var info = Latest("sub-1");
        Assert.Equal(1, info.Attempts);
        Assert.Equal(200, info.LastStatus);
        Assert.Null(info.LastError);
        Assert.Equal(_clock.GetUtcNow(), info.DeliveredAt);
        await Eventually.TrueAsync(() => Dispatcher.InFlight == 0, "nothing in flight");
    }

    [Fact]
    public async Task Enqueue_SeveralForOneSubscription_DeliveredInOrder()
    {
        var subscription = Subscribe("sub-1");
        var ids = Enumerable.Range(1, 20).Select(i => $"n-{i:D2}").ToList();

        foreach (var id in ids)
            Send(subscription, id);
        await Eventually.TrueAsync(() => _consumers.Received.Count == ids.Count, "every notification to arrive");

        Assert.Equal(ids, _consumers.Received.Select(r => r.NotificationId));
    }

    [Fact]
    public async Task Enqueue_ServerError_RetriedOnlyOnceTheBackoffHasPassed()
    {
        var subscription = Subscribe("sub-1");
        var calls = 0;
        _consumers.Respond = (_, _) => Task.FromResult(Interlocked.Increment(ref calls) == 1 ? HttpStatusCode.InternalServerError : HttpStatusCode.OK);

        Send(subscription, "n-1");
        await RetryArmed("sub-1", "n-1", attempts: 1);

        var failed = Latest("sub-1");
        Assert.Equal(DeliveryState.Pending, failed.State);
        Assert.Equal(500, failed.LastStatus);
        Assert.Equal("HTTP 500", failed.LastError);
        var wait = failed.NextAttemptAt!.Value - _clock.GetUtcNow();
        Assert.InRange(wait, TimeSpan.FromSeconds(0.8), TimeSpan.FromSeconds(1.2)); // first retry delay ±20 % jitter

        _clock.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Single(_consumers.Received);

        _clock.Advance(TimeSpan.FromSeconds(1));
        await Delivered("sub-1", "n-1");
        Assert.Equal(2, _consumers.Received.Count);
        Assert.Equal(2, Latest("sub-1").Attempts);
        Assert.Equal(200, Latest("sub-1").LastStatus);
    }

    [Fact]
    public async Task Enqueue_FailingHead_LaterNotificationsWaitBehindIt()
    {
        var subscription = Subscribe("sub-1");
        var failFirst = 1;
        _consumers.Respond = (r, _) => Task.FromResult(
            r.NotificationId == "n-1" && Interlocked.Exchange(ref failFirst, 0) == 1 ? HttpStatusCode.ServiceUnavailable : HttpStatusCode.OK);

        Send(subscription, "n-1");
        Send(subscription, "n-2");
        Send(subscription, "n-3");
        await RetryArmed("sub-1", "n-1", attempts: 1);

        Assert.Equal(["n-1"], _consumers.Received.Select(r => r.NotificationId));
        Assert.Equal(0, Info("sub-1", "n-2").Attempts);

        _clock.Advance(_options.FirstRetryDelay * 2);
        await Delivered("sub-1", "n-3");

        Assert.Equal(["n-1", "n-1", "n-2", "n-3"], _consumers.Received.Select(r => r.NotificationId));
    }

    [Fact]
    public async Task Enqueue_NeverSucceeds_MarkedDeadAfterMaxAge()
    {
        var subscription = Subscribe("sub-1");
        _consumers.Respond = (_, _) => Task.FromResult(HttpStatusCode.BadGateway);

        Send(subscription, "n-1");
        var seen = 0;
        for (var round = 0; Latest("sub-1").State != DeliveryState.Dead; round++)
        {
            Assert.True(round < 100, "the delivery never died");
            // One advance may fire several retries (each arms the next timer inside it), so wait for "more attempts", not "one more".
            await Eventually.TrueAsync(
                () => Latest("sub-1") is var d && (d.State == DeliveryState.Dead || (d.Attempts > seen && d.NextAttemptAt is not null && _clock.PendingTimers == 1)),
                $"an attempt after the {seen} seen so far to fail");
            seen = Latest("sub-1").Attempts;
            if (Latest("sub-1").State != DeliveryState.Dead)
                _clock.Advance(_options.MaxRetryDelay * 1.25);
        }

        var dead = Latest("sub-1");
        Assert.Equal(502, dead.LastStatus);
        Assert.Equal("HTTP 502", dead.LastError);
        Assert.True(_clock.GetUtcNow() - TestMap.Start >= _options.MaxAge);
        Assert.True(dead.Attempts > 3);
        Assert.Null(dead.DeliveredAt);
        Assert.Equal(dead.Attempts, _consumers.Received.Count);
        await Eventually.TrueAsync(() => Dispatcher.InFlight == 0, "nothing in flight");
    }

    [Fact]
    public async Task Enqueue_AfterADeadDelivery_TheQueueMovesOn()
    {
        var subscription = Subscribe("sub-1");
        _options.MaxAge = TimeSpan.Zero; // the first failure is final
        _consumers.Respond = (r, _) => Task.FromResult(r.NotificationId == "n-1" ? HttpStatusCode.InternalServerError : HttpStatusCode.OK);

        Send(subscription, "n-1");
        Send(subscription, "n-2");
        await Delivered("sub-1", "n-2");

        Assert.Equal(DeliveryState.Dead, Info("sub-1", "n-1").State);
        Assert.Equal(1, Info("sub-1", "n-1").Attempts);
    }

    [Fact]
    public async Task Redeliver_DeadDelivery_SendsItAgain()
    {
        var subscription = Subscribe("sub-1");
        _options.MaxAge = TimeSpan.Zero;
        var calls = 0;
        _consumers.Respond = (_, _) => Task.FromResult(Interlocked.Increment(ref calls) == 1 ? HttpStatusCode.InternalServerError : HttpStatusCode.OK);
        Send(subscription, "n-1");
        await Eventually.TrueAsync(() => Latest("sub-1").State == DeliveryState.Dead, "n-1 to die");

        Assert.True(Dispatcher.Redeliver(subscription, "n-1"));
        await Eventually.TrueAsync(() => _consumers.Received.Count == 2, "the redelivery");

        Assert.Equal(["n-1", "n-1"], _consumers.Received.Select(r => r.NotificationId));
        await Eventually.TrueAsync(() => Latest("sub-1").State == DeliveryState.Delivered, "the redelivery to succeed");
        Assert.False(Dispatcher.Redeliver(subscription, "n-404"));
    }

    [Fact]
    public async Task Enqueue_HangingCallback_TimesOutAndIsRetried()
    {
        var subscription = Subscribe("sub-1");
        var calls = 0;
        _consumers.Respond = async (_, cancel) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
                await Task.Delay(Timeout.Infinite, cancel);
            return HttpStatusCode.OK;
        };

        Send(subscription, "n-1");
        await Eventually.TrueAsync(() => _consumers.Received.Count == 1 && _clock.PendingTimers == 1, "the first request to hang");
        _clock.Advance(_options.Timeout);
        await RetryArmed("sub-1", "n-1", attempts: 1);

        Assert.Equal("timed out after 5 s", Latest("sub-1").LastError);
        Assert.Null(Latest("sub-1").LastStatus);

        _clock.Advance(_options.FirstRetryDelay * 2);
        await Delivered("sub-1", "n-1");
        Assert.Equal(2, Latest("sub-1").Attempts);
    }

    [Fact]
    public async Task Enqueue_SlowSubscription_DoesNotDelayAnotherOne()
    {
        var slow = Subscribe("slow");
        var fast = Subscribe("fast");
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _consumers.Respond = async (r, _) =>
        {
            if (r.Uri.AbsolutePath == "/slow")
                await release.Task;
            return HttpStatusCode.OK;
        };

        Send(slow, "slow-1");
        Send(slow, "slow-2");
        await Eventually.TrueAsync(() => _consumers.To("/slow").Count == 1, "the slow consumer to be called");
        Send(fast, "fast-1");
        Send(fast, "fast-2");

        await Delivered("fast", "fast-2");
        Assert.Equal(DeliveryState.Pending, Info("slow", "slow-1").State);
        Assert.Single(_consumers.To("/slow"));

        release.SetResult();
        await Delivered("slow", "slow-2");
        Assert.Equal(["slow-1", "slow-2"], _consumers.To("/slow").Select(r => r.NotificationId));
    }

    [Fact]
    public async Task Enqueue_DeadSubscription_DoesNotDelayAnotherOne()
    {
        var broken = Subscribe("broken");
        var healthy = Subscribe("healthy");
        _consumers.Respond = (r, _) => Task.FromResult(r.Uri.AbsolutePath == "/broken" ? HttpStatusCode.InternalServerError : HttpStatusCode.OK);

        Send(broken, "b-1");
        await RetryArmed("broken", "b-1", attempts: 1);
        Send(healthy, "h-1");

        await Delivered("healthy", "h-1");
        Assert.Equal(DeliveryState.Pending, Info("broken", "b-1").State);
    }

    [Fact]
    public async Task Deliveries_NewestFirstWithTheirStates()
    {
        var subscription = Subscribe("sub-1");
        _consumers.Respond = (r, _) => Task.FromResult(r.NotificationId == "n-3" ? HttpStatusCode.InternalServerError : HttpStatusCode.OK);

        Send(subscription, "n-1");
        await Delivered("sub-1", "n-1");
        Send(subscription, "n-2");
        await Delivered("sub-1", "n-2");
        Send(subscription, "n-3");
        await RetryArmed("sub-1", "n-3", attempts: 1);

        var history = Dispatcher.Deliveries("sub-1");
        Assert.Equal(["n-3", "n-2", "n-1"], history.Select(d => d.NotificationId));
        Assert.Equal([DeliveryState.Pending, DeliveryState.Delivered, DeliveryState.Delivered], history.Select(d => d.State));
        Assert.All(history, d => Assert.Equal(NotificationType.Fault, d.NotificationType));
    }

    [Fact]
    public void Deliveries_UnknownSubscription_IsEmpty()
    {
        Assert.Empty(Dispatcher.Deliveries("sub-404"));
    }

    [Fact]
    public async Task Deliveries_BeyondTheHistoryLimit_ForgetsTheOldestDelivered()
    {
        _options.HistoryPerSubscription = 3;
        var subscription = Subscribe("sub-1");

        foreach (var id in new[] { "n-1", "n-2", "n-3", "n-4", "n-5" })
        {
            Send(subscription, id);
            await Delivered("sub-1", id);
        }

        Assert.Equal(["n-5", "n-4", "n-3"], Dispatcher.Deliveries("sub-1").Select(d => d.NotificationId));
    }

    [Fact]
    public async Task Enqueue_DeletedSubscription_IsNotCalledAndItsQueueDropped()
    {
        var subscription = Subscribe("sub-1");
        _subscriptions.TryRemove("sub-1", out _);

        Send(subscription, "n-1");

        await Eventually.TrueAsync(() => Dispatcher.InFlight == 0, "the dropped delivery to leave the queue");
        Assert.Empty(_consumers.Received);
        Assert.Empty(Dispatcher.Deliveries("sub-1"));
    }

    [Fact]
    public async Task Enqueue_SubscriptionDeletedWhileRetrying_StopsRetrying()
    {
        var subscription = Subscribe("sub-1");
        _consumers.Respond = (_, _) => Task.FromResult(HttpStatusCode.InternalServerError);
        Send(subscription, "n-1");
        await RetryArmed("sub-1", "n-1", attempts: 1);

        _subscriptions.TryRemove("sub-1", out _);
        _clock.Advance(_options.FirstRetryDelay * 2);

        await Eventually.TrueAsync(() => Dispatcher.InFlight == 0, "the queue to be dropped");
        Assert.Single(_consumers.Received);
    }

    /// <summary>Moves the clock exactly to the armed retry, so no timer the retry arms fires in the same step.</summary>
    private void UntilNextAttempt(string notificationId) =>
        _clock.Advance(Info("sub-1", notificationId).NextAttemptAt!.Value - _clock.GetUtcNow());

    [Fact]
    public async Task Enqueue_ErrorsThenTimeoutThenHealthy_EveryNotificationArrivesOnceSucceededInOrder()
    {
        var subscription = Subscribe("sub-1");
        var calls = 0;
        _consumers.Respond = async (_, cancel) =>
        {
            switch (Interlocked.Increment(ref calls))
            {
                case 1 or 2: return HttpStatusCode.InternalServerError;
                case 3: await Task.Delay(Timeout.Infinite, cancel); return HttpStatusCode.OK;
                default: return HttpStatusCode.OK;
            }
        };

        Send(subscription, "n-1");
        Send(subscription, "n-2");
        Send(subscription, "n-3");
        await RetryArmed("sub-1", "n-1", attempts: 1);
        UntilNextAttempt("n-1");
        await RetryArmed("sub-1", "n-1", attempts: 2);
        UntilNextAttempt("n-1");
        await Eventually.TrueAsync(() => _consumers.Received.Count == 3 && _clock.PendingTimers == 1, "the third attempt to hang");
        _clock.Advance(_options.Timeout);
        await RetryArmed("sub-1", "n-1", attempts: 3);
        UntilNextAttempt("n-1");
        await Delivered("sub-1", "n-3");

        // Only the head is ever attempted while it fails: the others keep their place behind it.
        Assert.Equal(["n-1", "n-1", "n-1", "n-1", "n-2", "n-3"], _consumers.Received.Select(r => r.NotificationId));
        Assert.Equal(4, Info("sub-1", "n-1").Attempts);
    }

    [Fact]
    public async Task Restore_PendingAndDead_PendingIsSentWithItsAttemptsDeadOnlyShown()
    {
        var subscription = Subscribe("sub-1");
        var body = Encoding.UTF8.GetBytes("{}");
        var dead = new Delivery("n-dead", NotificationType.Fault, body, null, _clock.GetUtcNow(), null) { State = DeliveryState.Dead, Attempts = 7 };
        var pending = new Delivery("n-pending", NotificationType.Fault, body, null, _clock.GetUtcNow(), null) { Attempts = 2 };

        Dispatcher.Restore(subscription, dead);
        Dispatcher.Restore(subscription, pending);
        await Delivered("sub-1", "n-pending");

        Assert.Equal(["n-pending"], _consumers.Received.Select(r => r.NotificationId));
        Assert.Equal(3, Info("sub-1", "n-pending").Attempts);
        Assert.Equal(DeliveryState.Dead, Info("sub-1", "n-dead").State);
        Assert.True(Dispatcher.Redeliver(subscription, "n-dead"));
    }

    [Fact]
    public async Task Changed_FailedThenDelivered_ToldOfEachStep()
    {
        var subscription = Subscribe("sub-1");
        var told = new ConcurrentQueue<(string, DeliveryState, int)>();
        Dispatcher.Changed = (id, d) => told.Enqueue((id, d.State, d.Attempts));
        var calls = 0;
        _consumers.Respond = (_, _) => Task.FromResult(Interlocked.Increment(ref calls) == 1 ? HttpStatusCode.BadGateway : HttpStatusCode.OK);

        Send(subscription, "n-1");
        await RetryArmed("sub-1", "n-1", attempts: 1);
        _clock.Advance(_options.FirstRetryDelay * 2);
        await Delivered("sub-1", "n-1");
        await Eventually.TrueAsync(() => told.Count == 2, "two changes");

        Assert.Equal([("sub-1", DeliveryState.Pending, 1), ("sub-1", DeliveryState.Delivered, 2)], told);
    }
}
