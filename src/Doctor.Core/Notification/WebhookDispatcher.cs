using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Doctor.Subscriptions;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Doctor.Notification;

/// <summary>
/// Delivers notifications to callbacks. Each subscription has its own queue, drained by at most one task at a
/// time: deliveries to one consumer stay in order, and a slow or dead consumer only ever waits on itself.
/// Failed attempts are retried with exponential backoff and jitter until <see cref="DeliveryOptions.MaxAge"/>.
/// </summary>
public sealed partial class WebhookDispatcher : IDeliverySink, IAsyncDisposable
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private static readonly ResiliencePropertyKey<Attempt> AttemptKey = new("doctor.delivery");

    private readonly HttpClient _client;
    private readonly TimeProvider _time;
    private readonly DeliveryOptions _options;
    private readonly ILogger _logger;
    private readonly Func<string, Subscription?> _lookup;
    private readonly ConcurrentDictionary<string, SubscriptionQueue> _queues = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ResiliencePipeline<AttemptResult> _pipeline;
    private int _inFlight;

    /// <param name="lookup">The subscription as it is now (null once deleted: its queue is dropped).</param>
    public WebhookDispatcher(HttpClient client, TimeProvider time, DeliveryOptions options, Func<string, Subscription?> lookup, ILogger<WebhookDispatcher> logger)
    {
        _client = client;
        _time = time;
        _options = options;
        _lookup = lookup;
        _logger = logger;
        _pipeline = BuildPipeline();
    }

    /// <summary>Told of every change worth keeping across a restart (a failed attempt, delivered, dead, redelivered), on
    /// the delivering thread; the outbox persists it. Null: nothing is persisted.</summary>
    public Action<string, Delivery>? Changed { get; set; }

    /// <summary>Deliveries not yet finished, over all subscriptions.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    public void Enqueue(Subscription subscription, Delivery delivery)
    {
        var queue = _queues.GetOrAdd(subscription.SubscriptionId, static (_, s) => new SubscriptionQueue(s), subscription);
        queue.Target = subscription.CallbackUrl;
        Interlocked.Increment(ref _inFlight);
        queue.Pending.Enqueue(delivery);
        queue.Remember(delivery, _options.HistoryPerSubscription);
        if (Interlocked.CompareExchange(ref queue.Running, 1, 0) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(static state => _ = state.Self.DrainAsync(state.Queue), (Self: this, Queue: queue), preferLocal: false);
    }

    /// <summary>Resumes a delivery from the outbox after a restart: a dead one is only shown again (and redeliverable),
    /// a pending one is queued with its original age and attempts.</summary>
    public void Restore(Subscription subscription, Delivery delivery)
    {
        if (delivery.State != DeliveryState.Dead)
        {
            Enqueue(subscription, delivery);
            return;
        }

        var queue = _queues.GetOrAdd(subscription.SubscriptionId, static (_, s) => new SubscriptionQueue(s), subscription);
        queue.Remember(delivery, _options.HistoryPerSubscription);
    }

    /// <summary>Waits until no delivery is pending, at most <paramref name="bound"/> (a graceful stop).</summary>
    /// <remarks>Wall-clock time on purpose, not the injected provider: a stop must end even when the service runs on a
    /// test clock that nobody advances.</remarks>
    public async Task WaitIdleAsync(TimeSpan bound, CancellationToken cancellationToken = default)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (long)(bound.TotalSeconds * TimeProvider.System.TimestampFrequency);
        try
        {
            while (InFlight > 0 && TimeProvider.System.GetTimestamp() < deadline)
                await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The host's own shutdown timeout ran out first: stop now, the outbox keeps the rest.
        }
    }

    /// <summary>The subscription's recent, pending and dead deliveries, newest first.</summary>
    public IReadOnlyList<DeliveryInfo> Deliveries(string subscriptionId) =>
        _queues.TryGetValue(subscriptionId, out var queue) ? queue.History() : [];

    /// <summary>Queues a dead delivery again (the redelivery lever); false when there is no such dead delivery.</summary>
    public bool Redeliver(Subscription subscription, string notificationId)
    {
        if (!_queues.TryGetValue(subscription.SubscriptionId, out var queue) || queue.FindDead(notificationId) is not { } dead)
            return false;
        var again = new Delivery(dead.NotificationId, dead.Type, dead.Body, dead.Signature, _time.GetUtcNow(), null);
        Enqueue(subscription, again);
        Changed?.Invoke(subscription.SubscriptionId, again);
        return true;
    }

    private async Task DrainAsync(SubscriptionQueue queue)
    {
        while (true)
        {
            while (queue.Pending.TryPeek(out var delivery))
            {
                if (_stopping.IsCancellationRequested)
                    return;
                var context = ResilienceContextPool.Shared.Get(_stopping.Token);
                context.Properties.Set(AttemptKey, new Attempt(queue, delivery));
                AttemptResult result;
                try
                {
                    result = await _pipeline.ExecuteAsync(static (ctx, self) => self.AttemptAsync(ctx), context, this);
                }
                catch (OperationCanceledException)
                {
                    return; // stopping (the outbox keeps it for the next start)
                }
                finally
                {
                    ResilienceContextPool.Shared.Return(context);
                }

                switch (result)
                {
                    case AttemptResult.Delivered:
                        Finish(queue, delivery, DeliveryState.Delivered);
                        break;
                    case AttemptResult.Gone:
                        Drop(queue);
                        return;
                    case AttemptResult.Failed when _stopping.IsCancellationRequested:
                        return;
                    default:
                        LogDead(queue.SubscriptionId, delivery.NotificationId, delivery.Attempts);
                        Finish(queue, delivery, DeliveryState.Dead);
                        break;
                }
            }

            Volatile.Write(ref queue.Running, 0);
            if (queue.Pending.IsEmpty || Interlocked.CompareExchange(ref queue.Running, 1, 0) != 0)
                return;
        }
    }

    /// <summary>
    /// Retry with our backoff until the notification is <see cref="DeliveryOptions.MaxAge"/> old, around a per-attempt
    /// timeout. The backoff is computed from the delivery's own attempt count, not Polly's, so a delivery resumed from
    /// the outbox after a restart continues where it was. Only the head of a subscription's queue is ever in here.
    /// </summary>
    private ResiliencePipeline<AttemptResult> BuildPipeline() =>
        new ResiliencePipelineBuilder<AttemptResult> { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions<AttemptResult>
            {
                MaxRetryAttempts = int.MaxValue,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Result == AttemptResult.Failed && !_stopping.IsCancellationRequested &&
                    _time.GetUtcNow() - args.Context.Properties.GetValue(AttemptKey, default).Delivery.CreatedAt < _options.MaxAge),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(Backoff(args.Context.Properties.GetValue(AttemptKey, default).Delivery.Attempts)),
                OnRetry = args =>
                {
                    var (queue, delivery) = args.Context.Properties.GetValue(AttemptKey, default);
                    delivery.NextAttemptAt = _time.GetUtcNow() + args.RetryDelay;
                    Changed?.Invoke(queue.SubscriptionId, delivery);
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(_options.Timeout)
            .Build();

    private async ValueTask<AttemptResult> AttemptAsync(ResilienceContext context)
    {
        var (queue, delivery) = context.Properties.GetValue(AttemptKey, default);
        if (_lookup(queue.SubscriptionId) is null)
            return AttemptResult.Gone;
        delivery.Attempts++;
        delivery.LastAttemptAt = _time.GetUtcNow();
        delivery.NextAttemptAt = null;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, queue.Target) { Content = new ByteArrayContent(delivery.Body) };
            request.Content.Headers.ContentType = Json;
            request.Headers.TryAddWithoutValidation("X-Doctor-Notification-Id", delivery.NotificationId);
            if (delivery.Signature is not null)
                request.Headers.TryAddWithoutValidation(Signatures.Header, delivery.Signature);
            delivery.Timeline?.Sent(queue.SubscriptionId);
            // The context's token is the attempt's timeout (Polly) linked to the dispatcher's stop.
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.CancellationToken);
            delivery.LastStatus = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                delivery.Timeline?.Delivered(queue.SubscriptionId);
                delivery.LastError = null;
                return AttemptResult.Delivered;
            }

            delivery.LastError = $"HTTP {(int)response.StatusCode}";
        }
        catch (OperationCanceledException) when (!_stopping.IsCancellationRequested)
        {
            delivery.LastError = $"timed out after {_options.Timeout.TotalSeconds:0.###} s";
        }
        catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException or InvalidOperationException)
        {
            delivery.LastError = ex.InnerException?.Message ?? ex.Message;
        }

        LogAttemptFailed(queue.SubscriptionId, delivery.NotificationId, delivery.Attempts, delivery.LastError);
        return AttemptResult.Failed;
    }

    private TimeSpan Backoff(int attempts)
    {
        var exponent = Math.Min(attempts - 1, 20);
        var delay = Math.Min(_options.FirstRetryDelay.TotalMilliseconds * Math.Pow(2, exponent), _options.MaxRetryDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(delay * (0.8 + Random.Shared.NextDouble() * 0.4));
    }

    private void Finish(SubscriptionQueue queue, Delivery delivery, DeliveryState state)
    {
        delivery.State = state;
        if (state == DeliveryState.Delivered)
            delivery.DeliveredAt = _time.GetUtcNow();
        queue.Pending.TryDequeue(out _);
        Interlocked.Decrement(ref _inFlight);
        Changed?.Invoke(queue.SubscriptionId, delivery);
    }

    private void Drop(SubscriptionQueue queue)
    {
        while (queue.Pending.TryDequeue(out _))
            Interlocked.Decrement(ref _inFlight);
        _queues.TryRemove(queue.SubscriptionId, out _);
    }

    public ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
            _stopping.Cancel();
        return ValueTask.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery of {NotificationId} to subscription {SubscriptionId} failed (attempt {Attempt}): {Error}")]
    private partial void LogAttemptFailed(string subscriptionId, string notificationId, int attempt, string? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Delivery of {NotificationId} to subscription {SubscriptionId} is dead after {Attempts} attempts")]
    private partial void LogDead(string subscriptionId, string notificationId, int attempts);

    private enum AttemptResult
    {
        Delivered,
        Failed,
        Gone, // the subscription was deleted: its queue is dropped
    }

    /// <summary>What one pipeline execution works on (Polly's context carries it to the callbacks).</summary>
    private readonly record struct Attempt(SubscriptionQueue Queue, Delivery Delivery);

    private sealed class SubscriptionQueue(Subscription subscription)
    {
        private readonly LinkedList<Delivery> _history = new();

        public string SubscriptionId { get; } = subscription.SubscriptionId;
        public string Target { get; set; } = subscription.CallbackUrl;
        public ConcurrentQueue<Delivery> Pending { get; } = new();
        public int Running;

        public void Remember(Delivery delivery, int keep)
        {
            lock (_history)
            {
                _history.AddFirst(delivery);
                // Finished deliveries beyond the limit are forgotten; pending and dead ones stay visible.
                var node = _history.Last;
                while (_history.Count > keep && node is not null)
                {
                    var previous = node.Previous;
                    if (node.Value.State == DeliveryState.Delivered)
                        _history.Remove(node);
                    node = previous;
                }
            }
        }

        public IReadOnlyList<DeliveryInfo> History()
        {
            lock (_history)
                return [.. _history.Select(d => d.Snapshot())];
        }

        public Delivery? FindDead(string notificationId)
        {
            lock (_history)
                return _history.FirstOrDefault(d => d.NotificationId == notificationId && d.State == DeliveryState.Dead);
        }
    }
}
