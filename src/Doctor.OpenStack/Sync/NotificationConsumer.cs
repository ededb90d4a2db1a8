using Doctor.OpenStack.Messaging;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Doctor.OpenStack.Sync;

/// <summary>
/// Consumes the cloud's notifications from Doctor's own durable queue, bound to Nova's versioned and legacy topics and
/// Neutron's topic (so it competes with no one: Ceilometer keeps its own queues). A message is acknowledged only after
/// its change is committed to the map; one that changes nothing (or cannot be read) is acknowledged at once.
/// <para>
/// A lost connection (a broker restart, a network cut) is reconnected by the client's automatic recovery every
/// <see cref="Transport.ReconnectInterval"/>, trying every host of the transport URL, and the queue, exchanges, bindings and
/// the consumer are declared again. The consumer tracks it from the connection's events, so <see cref="Consuming"/> tells the
/// truth, and calls <c>resumed</c> after each recovery: what was published while Doctor was away from a queue that
/// did not survive, or on exchanges that lost their bindings, is gone, and only a reconciliation brings it back.
/// </para>
/// <para>
/// The connection can stay up while the consumer stops: RabbitMQ cancels it when the queue is deleted (an operator's
/// <c>delete_queue</c>; a replicated queue's leader moving), or closes its channel on a channel-level error. The client
/// recovers neither (its recovery follows lost connections only), so the consumer does: it declares the queue, the
/// exchanges and the bindings again on a new channel of the same connection and consumes again, right away and then every
/// <see cref="Transport.ReconnectInterval"/> until it works (<see cref="Resubscribes"/>), and calls <c>resumed</c> too:
/// what was in a deleted queue is gone.
/// </para>
/// </summary>
/// <param name="resumed">Called after each recovery of the connection and each resubscribe: asks for a reconciliation.</param>
public sealed partial class NotificationConsumer(
    OpenStackOptions options, Func<IReadOnlyList<CloudChange>, string, Task> apply, Action resumed, TimeProvider time, ILogger<NotificationConsumer> logger)
    : IAsyncDisposable
{
    /// <summary>Exchanges the cloud's services publish notifications on (oslo.messaging's control_exchange of each).</summary>
    public static readonly string[] Exchanges = ["nova", "neutron"];

    /// <summary>While the broker stays unreachable (or the queue cannot be consumed again), a reminder is logged this often
    /// (each failed attempt is logged at debug).</summary>
    private static readonly TimeSpan StillDownLogInterval = TimeSpan.FromMinutes(1);

    private readonly TransportUrl _url = TransportUrl.Parse(options.TransportUrl!);
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private IConnection? _connection;
    private Subscription? _subscription;
    private bool _open;
    private DateTimeOffset? _disconnectedSince;
    private DateTimeOffset _stillDownLoggedAt;
    private long _reconnects;
    private int _failedAttempts;
    private long _resubscribes;
    private bool _resubscribing;
    private Task _resubscribe = Task.CompletedTask;
    private DateTimeOffset _lostAt;
    private DateTimeOffset _resubscribeLoggedAt;
    private volatile bool _closing;
    private long _received;

    /// <summary>Messages read since the start (for the status view and the tests).</summary>
    public long Received => Interlocked.Read(ref _received);

    /// <summary>True only while the connection and the channel are open and the consumer is registered: false from the
    /// moment the connection is lost until its recovery has declared the queue and the consumer again, and from the moment
    /// RabbitMQ cancelled the consumer (or closed its channel) until it is consumed again.</summary>
    public bool Consuming
    {
        get
        {
            lock (_gate)
                return _open && _connection is { IsOpen: true } && _subscription is { Lost: false, Channel.IsOpen: true };
        }
    }

    /// <summary>Recoveries of a lost connection since the start.</summary>
    public long Reconnects
    {
        get
        {
            lock (_gate)
                return _reconnects;
        }
    }

    /// <summary>Times the queue was consumed again after RabbitMQ cancelled the consumer or closed its channel while the
    /// connection stayed open, since the start.</summary>
    public long Resubscribes
    {
        get
        {
            lock (_gate)
                return _resubscribes;
        }
    }

    /// <summary>Since when the connection is down (lost, or not yet made at the start); null while connected.</summary>
    public DateTimeOffset? DisconnectedSince
    {
        get
        {
            lock (_gate)
                return _disconnectedSince;
        }
    }

    /// <summary>One attempt to connect, declare the queue and its bindings and start consuming. On failure nothing stays open
    /// and the error is thrown (the caller tries again); from then on, lost connections recover by themselves.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        IConnection? connection = null;
        try
        {
            connection = await Transport.ConnectAsync(_url, "doctor-sync", automaticRecovery: true, cancellationToken);
            var attempt = connection;
            // Before anything else, so no loss is missed; events of a connection that is not (or no longer) the current one
            // are ignored.
            attempt.ConnectionShutdownAsync += (_, e) => OnShutdownAsync(attempt, e);
            attempt.RecoverySucceededAsync += (_, _) => OnRecoveredAsync(attempt);
            attempt.ConnectionRecoveryErrorAsync += (_, e) => OnRecoveryErrorAsync(attempt, e);
            var subscription = await SubscribeAsync(attempt, cancellationToken);

            bool open;
            lock (_gate)
            {
                _connection = attempt;
                _subscription = subscription;
                _open = open = attempt.IsOpen;
                _disconnectedSince = open ? null : _disconnectedSince ?? time.GetUtcNow();
                // Cancelled in the moment between consuming and becoming the current subscription: nobody else will see it.
                if (subscription.Lost)
                {
                    _lostAt = time.GetUtcNow();
                    StartResubscribing();
                }
            }

            if (_url.CredentialsDiffer)
                LogMixedCredentials(_url.Credentials.User);
            if (open)
                LogListening(options.Queue, attempt.Endpoint.HostName, attempt.Endpoint.Port);
            else
                LogConnectionLost(_url.Describe(), Transport.ReconnectInterval.TotalSeconds, "closed while the consumer was being set up"); // its recovery takes over
        }
        catch (Exception)
        {
            lock (_gate)
                _disconnectedSince ??= time.GetUtcNow();
            if (connection is not null)
                await CloseAsync(null, connection);
            throw;
        }
    }

    /// <summary>A new channel of <paramref name="connection"/> with the queue, the exchanges and the bindings declared and the
    /// consumer registered. On failure the channel is closed (so the connection's recovery does not bring it back) and the
    /// error is thrown.</summary>
    private async Task<Subscription> SubscribeAsync(IConnection connection, CancellationToken cancellationToken)
    {
        var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        var subscription = new Subscription(channel);
        try
        {
            // Before the first command, so that a close of the broker's during the set-up marks it lost too.
            channel.ChannelShutdownAsync += (_, e) => OnChannelShutdownAsync(subscription, connection, e);
            await DeclareAsync(channel, cancellationToken);
            await channel.BasicQosAsync(0, 64, false, cancellationToken);
            var consumer = new BrokerCancellableConsumer(channel, () => OnLost(subscription, cancelled: true, reason: null));
            // The channel object survives recoveries of the connection (the client re-creates what is behind it), so
            // acknowledging on it stays right; a tag delivered before the loss is ignored by the recovered channel rather than
            // refused by the broker. A delivery is always acknowledged on the channel it came on, never on a newer one.
            consumer.ReceivedAsync += (_, delivery) => OnReceivedAsync(channel, delivery);
            await channel.BasicConsumeAsync(options.Queue, autoAck: false, consumer, cancellationToken);
            return subscription;
        }
        catch (Exception)
        {
            await RetireAsync(subscription);
            throw;
        }
    }

    private async Task DeclareAsync(IChannel channel, CancellationToken cancellationToken)
    {
        await channel.QueueDeclareAsync(options.Queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-max-length"] = options.QueueMaxLength }, cancellationToken: cancellationToken);
        foreach (var exchange in Exchanges)
        {
            // oslo.messaging declares these as non-durable topic exchanges; the same declaration is a no-op when they exist
            // and lets Doctor start before the service has published anything. Non-durable, they (and the bindings to them)
            // do not survive a broker restart: the recovery declares both again.
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: false, autoDelete: false, cancellationToken: cancellationToken);
            foreach (var topic in new[] { options.VersionedTopic, options.LegacyTopic })
            {
                foreach (var priority in new[] { "info", "error", "warn" })
                    await channel.QueueBindAsync(options.Queue, exchange, $"{topic}.{priority}", cancellationToken: cancellationToken);
            }
        }
    }

    /// <summary>Closes a channel that is no longer consumed on. Closing it (rather than leaving it closed by the broker) also
    /// takes it and its consumer out of what the connection's recovery re-creates: a broker-closed channel would otherwise
    /// come back with its consumer after the next lost connection, beside the one that replaced it.</summary>
    private static async Task RetireAsync(Subscription subscription)
    {
        try
        {
            await subscription.Channel.AbortAsync();
            subscription.Channel.Dispose();
        }
        catch (Exception)
        {
            // already closed, or the connection is gone: nothing left to do
        }
    }

    private Task OnShutdownAsync(IConnection connection, ShutdownEventArgs e)
    {
        if (_closing)
            return Task.CompletedTask; // Doctor is stopping: not an outage
        lock (_gate)
        {
            if (!ReferenceEquals(connection, _connection) || !_open)
                return Task.CompletedTask;
            _open = false;
            _failedAttempts = 0;
            _disconnectedSince = _stillDownLoggedAt = time.GetUtcNow();
        }

        LogConnectionLost(_url.Describe(), Transport.ReconnectInterval.TotalSeconds, Reason(e));
        return Task.CompletedTask;
    }

    private Task OnRecoveredAsync(IConnection connection)
    {
        double downSeconds;
        long reconnects;
        lock (_gate)
        {
            if (_closing || !ReferenceEquals(connection, _connection))
                return Task.CompletedTask;
            downSeconds = _disconnectedSince is { } since ? (time.GetUtcNow() - since).TotalSeconds : 0;
            _open = true;
            _disconnectedSince = null;
            reconnects = ++_reconnects;
            // A channel the resubscribe loop has not replaced yet was re-created by the recovery with its consumer (the
            // client keeps a consumer the broker cancelled among those it recovers): consuming again, the loop ends.
            if (_subscription is { Lost: true, Channel.IsOpen: true } recovered)
                recovered.Lost = false;
        }

        LogReconnected(connection.Endpoint.HostName, connection.Endpoint.Port, Math.Round(downSeconds, 1), reconnects);
        resumed();
        return Task.CompletedTask;
    }

    private Task OnRecoveryErrorAsync(IConnection connection, ConnectionRecoveryErrorEventArgs e)
    {
        int attempts;
        double downSeconds;
        bool remind;
        lock (_gate)
        {
            if (_closing || !ReferenceEquals(connection, _connection))
                return Task.CompletedTask;
            attempts = ++_failedAttempts;
            var now = time.GetUtcNow();
            downSeconds = _disconnectedSince is { } since ? (now - since).TotalSeconds : 0;
            remind = now - _stillDownLoggedAt >= StillDownLogInterval;
            if (remind)
                _stillDownLoggedAt = now;
        }

        if (remind)
            LogStillDown(_url.Describe(), Math.Round(downSeconds), attempts, e.Exception.Message);
        else
            LogAttemptFailed(attempts, e.Exception.Message);
        return Task.CompletedTask;
    }

    private static string Reason(ShutdownEventArgs e)
    {
        var reason = $"{e.ReplyCode} {e.ReplyText} (initiated by {e.Initiator})";
        return e.Exception is { } error ? $"{reason}: {error.Message}" : reason;
    }

    private async Task OnReceivedAsync(IChannel channel, BasicDeliverEventArgs delivery)
    {
        Interlocked.Increment(ref _received);
        string? eventType = null;
        try
        {
            // Inside the try: whatever happens to one message, it is acknowledged or refused, never left unacknowledged
            // (64 of those would use up the prefetch window and stop the consumer).
            (eventType, var changes) = OsloNotification.Read(delivery.Body.Span);
            if (changes.Count > 0)
                await apply(changes, eventType!);
        }
        catch (Exception ex)
        {
            // Refused without requeue: a message that failed once would most likely fail again, and requeued it would be
            // delivered in a loop. Reconciliation repairs what it carried. (A crash before any answer leaves it
            // unacknowledged: RabbitMQ delivers it again to the next start.)
            LogApplyFailed(ex, eventType ?? "?");
            await SettleAsync(() => channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: false));
            return;
        }

        await SettleAsync(() => channel.BasicAckAsync(delivery.DeliveryTag, multiple: false));
    }

    /// <summary>An acknowledgement or a refusal on the delivery's channel, which may be gone by now (the connection lost, the
    /// channel closed by the broker): RabbitMQ then delivers the message again if its queue still holds it, and what a deleted
    /// queue held is repaired by the reconciliation after the resubscribe. Not an error of the message's.</summary>
    private static async Task SettleAsync(Func<ValueTask> answer)
    {
        try
        {
            await answer(); // a disposed channel throws before it returns a task
        }
        catch (Exception)
        {
            // see above
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task resubscribe;
        lock (_gate)
        {
            _closing = true;
            resubscribe = _resubscribe;
        }

        // The resubscribe loop ends before the connection is closed, so it never consumes again on a Doctor that stops.
        await _stopping.CancelAsync();
        await resubscribe;
        IConnection? connection;
        Subscription? subscription;
        lock (_gate)
        {
            (connection, subscription) = (_connection, _subscription);
            _open = false;
        }

        if (connection is not null)
            await CloseAsync(subscription, connection);
        _stopping.Dispose();
    }

    private static async Task CloseAsync(Subscription? subscription, IConnection connection)
    {
        // The channel on its own: one the broker closed must not keep the connection from being closed.
        if (subscription is not null)
            await RetireAsync(subscription);
        try
        {
            await connection.CloseAsync();
        }
        catch (Exception)
        {
            // Closing a broken connection may throw; there is nothing left to do.
        }

        connection.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming the cloud's notifications from queue {Queue} on {Host}:{Port}")]
    private partial void LogListening(string queue, string host, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the connection to the cloud's RabbitMQ ({Hosts}); reconnecting every {Interval} s; notifications published meanwhile may be missed until the reconciliation after the reconnect: {Reason}")]
    private partial void LogConnectionLost(string hosts, double interval, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconnected to the cloud's RabbitMQ at {Host}:{Port} after {Seconds} s (reconnect {Reconnects}); consuming again and reconciling now")]
    private partial void LogReconnected(string host, int port, double seconds, long reconnects);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The cloud's RabbitMQ ({Hosts}) is still unreachable after {Seconds} s ({Attempts} attempts); still trying: {Reason}")]
    private partial void LogStillDown(string hosts, double seconds, int attempts, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reconnecting to the cloud's RabbitMQ failed (attempt {Attempt}): {Reason}")]
    private partial void LogAttemptFailed(int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The transport URL gives its hosts different users or passwords; all are connected to as {User}, the first host's user")]
    private partial void LogMixedCredentials(string user);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A {EventType} notification could not be applied; reconciliation will repair the map")]
    private partial void LogApplyFailed(Exception error, string eventType);
}
