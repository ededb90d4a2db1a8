using Doctor.OpenStack.Messaging;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Doctor.OpenStack.Sync;

/// <summary>
/// Consuming again when RabbitMQ cancels the consumer (its queue deleted, a replicated queue's leader moved) or closes its
/// channel while the connection stays open: neither is recovered by the client's connection recovery.
/// </summary>
public sealed partial class NotificationConsumer
{
    private Task OnChannelShutdownAsync(Subscription subscription, IConnection connection, ShutdownEventArgs e)
    {
        // Doctor's own close (stopping, retiring the channel), or the connection's loss: its recovery re-creates the channel
        // and the consumer, which OnShutdownAsync and OnRecoveredAsync follow.
        if (e.Initiator == ShutdownInitiator.Application || !connection.IsOpen)
            return Task.CompletedTask;
        OnLost(subscription, cancelled: false, Reason(e));
        return Task.CompletedTask;
    }

    /// <summary>RabbitMQ cancelled the consumer or closed its channel, the connection staying open: consume again.</summary>
    private void OnLost(Subscription subscription, bool cancelled, string? reason)
    {
        lock (_gate)
        {
            if (_closing || subscription.Lost)
                return;
            subscription.Lost = true;
            // A subscription being set up (or already replaced) is not the current one: who sets it up sees Lost.
            if (!ReferenceEquals(subscription, _subscription))
                return;
            _lostAt = time.GetUtcNow();
            StartResubscribing();
        }

        if (cancelled)
            LogCancelled(options.Queue, Transport.ReconnectInterval.TotalSeconds);
        else
            LogChannelClosed(options.Queue, reason!, Transport.ReconnectInterval.TotalSeconds);
    }

    /// <summary>Starts the resubscribe loop unless it runs; under <see cref="_gate"/>.</summary>
    private void StartResubscribing()
    {
        if (_resubscribing || _closing)
            return;
        _resubscribing = true;
        // Never on the thread that reported the loss: that is the client's dispatcher or reader, and closing the old channel
        // waits for its dispatcher.
        _resubscribe = Task.Run(KeepResubscribingAsync);
    }

    /// <summary>Declares and consumes again on a new channel, at once and then every <see cref="Transport.ReconnectInterval"/>
    /// until it works (or Doctor stops); while the connection is down it waits for the connection's recovery instead, which
    /// may bring the consumer back by itself. Never throws.</summary>
    private async Task KeepResubscribingAsync()
    {
        var attempts = 0;
        try
        {
            for (var pass = 0; ; pass++)
            {
                if (pass > 0)
                    await Task.Delay(Transport.ReconnectInterval, time, _stopping.Token);
                IConnection connection;
                Subscription? old;
                lock (_gate)
                {
                    if (_closing || _subscription is { Lost: false })
                    {
                        // Stopping, or the connection's recovery consumed on the old channel again.
                        _resubscribing = false;
                        return;
                    }

                    if (!_open || _connection is not { IsOpen: true } open)
                        continue; // lost meanwhile: the recovery comes first
                    connection = open;
                    old = _subscription;
                    _subscription = null;
                }

                attempts++;
                if (old is not null)
                    await RetireAsync(old);
                if (await TryResubscribeAsync(connection, attempts))
                    return;
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Doctor is stopping
        }

        lock (_gate)
            _resubscribing = false;
    }

    /// <summary>One attempt; true once consuming again. Failures are logged, never thrown.</summary>
    private async Task<bool> TryResubscribeAsync(IConnection connection, int attempt)
    {
        Subscription fresh;
        try
        {
            fresh = await SubscribeAsync(connection, _stopping.Token);
        }
        catch (Exception ex)
        {
            // Stopping: the next pass ends. Otherwise a failure of the broker's (the queue locked, a permission taken away)
            // or the connection lost meanwhile: tried again after the interval.
            if (!_stopping.IsCancellationRequested)
                LogResubscribeAttemptFailed(attempt, ex.Message);
            return false;
        }

        long resubscribes;
        double seconds;
        lock (_gate)
        {
            // Current from now on, so that DisposeAsync closes it. Lost already (cancelled again before it became current):
            // the next pass retires it; stopping: the next pass ends.
            _subscription = fresh;
            if (fresh.Lost || _closing)
                return false;
            _resubscribing = false;
            resubscribes = ++_resubscribes;
            seconds = (time.GetUtcNow() - _lostAt).TotalSeconds;
        }

        LogResubscribed(options.Queue, Math.Round(seconds, 3), attempt, resubscribes);
        resumed();
        return true;
    }

    private void LogResubscribeAttemptFailed(int attempt, string reason)
    {
        // The first failure and then one a minute at warning (an operator who deleted the queue on purpose, a permission
        // taken away: it goes on until fixed); the others at debug.
        var now = time.GetUtcNow();
        double seconds;
        bool warn;
        lock (_gate)
        {
            seconds = (now - _lostAt).TotalSeconds;
            warn = attempt == 1 || now - _resubscribeLoggedAt >= StillDownLogInterval;
            if (warn)
                _resubscribeLoggedAt = now;
        }

        if (warn)
            LogResubscribeFailed(options.Queue, attempt, Math.Round(seconds), Transport.ReconnectInterval.TotalSeconds, reason);
        else
            LogResubscribeRetry(attempt, reason);
    }

    /// <summary>A channel Doctor consumes on; <see cref="Lost"/> (under <see cref="_gate"/>) once RabbitMQ cancelled its
    /// consumer or closed it while the connection stayed open.</summary>
    private sealed class Subscription(IChannel channel)
    {
        public IChannel Channel { get; } = channel;

        public bool Lost { get; set; }
    }

    /// <summary>Tells the broker's cancel apart: <c>HandleBasicCancelAsync</c> is called only for a basic.cancel that RabbitMQ
    /// sends on its own (the queue deleted, a replicated queue's leader moved); a cancel of the client's would end in
    /// <c>HandleBasicCancelOkAsync</c>, and Doctor never sends one. The events of <see cref="AsyncEventingBasicConsumer"/>
    /// (<c>UnregisteredAsync</c>) do not tell the two apart.</summary>
    private sealed class BrokerCancellableConsumer(IChannel channel, Action cancelledByBroker) : AsyncEventingBasicConsumer(channel)
    {
        public override async Task HandleBasicCancelAsync(string consumerTag, CancellationToken cancellationToken = default)
        {
            await base.HandleBasicCancelAsync(consumerTag, cancellationToken);
            cancelledByBroker();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "RabbitMQ cancelled consuming from queue {Queue} (the queue was deleted, or moved); Doctor re-declares the queue and its bindings and consumes again (every {Interval} s until it works), then reconciles: what the queue held is gone")]
    private partial void LogCancelled(string queue, double interval);

    [LoggerMessage(Level = LogLevel.Warning, Message = "RabbitMQ closed the channel Doctor consumes queue {Queue} on, the connection staying open: {Reason}; Doctor opens a new channel, re-declares the queue and its bindings and consumes again (every {Interval} s until it works), then reconciles")]
    private partial void LogChannelClosed(string queue, string reason, double interval);

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming from queue {Queue} again after {Seconds} s ({Attempts} attempts; resubscribe {Resubscribes}); reconciling now")]
    private partial void LogResubscribed(string queue, double seconds, int attempts, long resubscribes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Consuming from queue {Queue} again failed (attempt {Attempt}, {Seconds} s after it stopped); trying again every {Interval} s: {Reason}")]
    private partial void LogResubscribeFailed(string queue, int attempt, double seconds, double interval, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Consuming again failed (attempt {Attempt}): {Reason}")]
    private partial void LogResubscribeRetry(int attempt, string reason);
}
