using Doctor.OpenStack.Messaging;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Doctor.OpenStack.Sync;

/// <summary>
/// Consumes the cloud's notifications from Doctor's own durable queue, bound to Nova's versioned and legacy topics and
/// Neutron's topic (so it competes with no one: Ceilometer keeps its own queues). A message is acknowledged only after
/// its change is committed to the map; one that changes nothing (or cannot be read) is acknowledged at once.
/// </summary>
public sealed partial class NotificationConsumer(OpenStackOptions options, Func<IReadOnlyList<CloudChange>, string, Task> apply, ILogger<NotificationConsumer> logger)
    : IAsyncDisposable
{
    /// <summary>Exchanges the cloud's services publish notifications on (oslo.messaging's control_exchange of each).</summary>
    public static readonly string[] Exchanges = ["nova", "neutron"];

    private IConnection? _connection;
    private IChannel? _channel;

    /// <summary>Messages read since the start (for the status view and the tests).</summary>
    public long Received => Interlocked.Read(ref _received);

    private long _received;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var factory = Transport.Factory(options.TransportUrl!, "doctor-sync");
        _connection = await factory.CreateConnectionAsync(cancellationToken);
        _channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
        await _channel.QueueDeclareAsync(options.Queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-max-length"] = options.QueueMaxLength }, cancellationToken: cancellationToken);
        foreach (var exchange in Exchanges)
        {
            // oslo.messaging declares these as non-durable topic exchanges; the same declaration is a no-op when they exist
            // and lets Doctor start before the service has published anything.
            await _channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: false, autoDelete: false, cancellationToken: cancellationToken);
            foreach (var topic in new[] { options.VersionedTopic, options.LegacyTopic })
            {
                foreach (var priority in new[] { "info", "error", "warn" })
                    await _channel.QueueBindAsync(options.Queue, exchange, $"{topic}.{priority}", cancellationToken: cancellationToken);
            }
        }

        await _channel.BasicQosAsync(0, 64, false, cancellationToken);
        var consumer = new AsyncEventingBasicConsumer(_channel);
        consumer.ReceivedAsync += OnReceivedAsync;
        await _channel.BasicConsumeAsync(options.Queue, autoAck: false, consumer, cancellationToken);
        LogListening(options.Queue, factory.HostName, factory.Port);
    }

    private async Task OnReceivedAsync(object sender, BasicDeliverEventArgs delivery)
    {
        Interlocked.Increment(ref _received);
        var channel = _channel!;
        string? eventType = null;
        try
        {
            // Inside the try: whatever happens to one message, it is acknowledged or refused, never left unacknowledged
            // (64 of those would use up the prefetch window and stop the consumer).
            (eventType, var changes) = OsloNotification.Read(delivery.Body.Span);
            if (changes.Count > 0)
                await apply(changes, eventType!);
            await channel.BasicAckAsync(delivery.DeliveryTag, multiple: false);
        }
        catch (Exception ex)
        {
            // Refused without requeue: a message that failed once would most likely fail again, and requeued it would be
            // delivered in a loop. Reconciliation repairs what it carried. (A crash before any answer leaves it
            // unacknowledged: RabbitMQ delivers it again to the next start.)
            LogApplyFailed(ex, eventType ?? "?");
            try
            {
                await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: false);
            }
            catch (Exception)
            {
                // The channel is gone; recovery re-consumes.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_channel is not null)
                await _channel.CloseAsync();
            if (_connection is not null)
                await _connection.CloseAsync();
        }
        catch (Exception)
        {
            // Closing a broken connection may throw; there is nothing left to do.
        }

        _channel?.Dispose();
        _connection?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Consuming the cloud's notifications from queue {Queue} on {Host}:{Port}")]
    private partial void LogListening(string queue, string host, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A {EventType} notification could not be applied; reconciliation will repair the map")]
    private partial void LogApplyFailed(Exception error, string eventType);
}
