using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;

namespace Doctor.OpenStack.Messaging;

/// <summary>
/// Publishes oslo.messaging notifications (the v2 envelope) on the cloud's RabbitMQ, exchange
/// <see cref="OpenStackOptions.PublishExchange"/>, routing key <c>{PublishTopic}.info</c>. Publishing is queued (bounded,
/// the oldest dropped when full) and sent by one background loop, so it never slows the engine; while the broker is
/// unreachable messages wait in the queue and the connection is retried.
/// </summary>
public sealed partial class OsloPublisher(OpenStackOptions options, ILogger<OsloPublisher> logger) : BackgroundService
{
    private const int Capacity = 10_000;
    private readonly Channel<OsloMessage> _queue = Channel.CreateBounded<OsloMessage>(new BoundedChannelOptions(Capacity)
    {
        FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true,
    });

    private long _published;

    /// <summary>What is queued and not yet sent (tests read it instead of a broker).</summary>
    internal ChannelReader<OsloMessage> Queued => _queue.Reader;

    /// <summary>Messages handed to the broker since the start.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Queues one notification; <paramref name="projectId"/> goes into the context, where Ceilometer takes the
    /// event's project from (Aodh event alarms are per project).</summary>
    public void Publish(string eventType, JsonObject payload, string? projectId) =>
        _queue.Writer.TryWrite(new OsloMessage(eventType, payload, projectId, DateTimeOffset.UtcNow));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var factory = Transport.Factory(options.TransportUrl!, "doctor-publisher");
        // The message being sent when the connection broke is sent first after the reconnect, not lost with it (the broker
        // may have got it already: at least once, as Doctor's webhooks).
        OsloMessage? unsent = null;
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await using var connection = await factory.CreateConnectionAsync(stoppingToken);
                await using var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
                await channel.ExchangeDeclareAsync(options.PublishExchange, ExchangeType.Topic, durable: false, autoDelete: false, cancellationToken: stoppingToken);
                attempt = 0;
                var routingKey = options.PublishTopic + ".info";
                var properties = new BasicProperties { ContentType = "application/json", ContentEncoding = "utf-8" };
                if (unsent is not null)
                {
                    await channel.BasicPublishAsync(options.PublishExchange, routingKey, mandatory: false, properties, Envelope(unsent), stoppingToken);
                    unsent = null;
                    Interlocked.Increment(ref _published);
                }

                await foreach (var message in _queue.Reader.ReadAllAsync(stoppingToken))
                {
                    unsent = message;
                    await channel.BasicPublishAsync(options.PublishExchange, routingKey, mandatory: false, properties, Envelope(message), stoppingToken);
                    unsent = null;
                    Interlocked.Increment(ref _published);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogPublishFailed(attempt, ex.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, 2 * Math.Max(1, attempt))), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>The oslo.messaging v2 wire form: the message as a JSON string inside <c>oslo.message</c>.</summary>
    public static byte[] Envelope(OsloMessage message)
    {
        var inner = new JsonObject
        {
            ["message_id"] = Guid.NewGuid().ToString(),
            ["publisher_id"] = "doctor." + Environment.MachineName,
            ["event_type"] = message.EventType,
            ["priority"] = "INFO",
            ["payload"] = message.Payload.DeepClone(), // a copy: a node has one parent, and a message may be sent again
            ["timestamp"] = message.At.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", System.Globalization.CultureInfo.InvariantCulture),
            ["_context_project_id"] = message.ProjectId,
            ["_context_tenant"] = message.ProjectId,
            ["_context_is_admin"] = true,
            ["_unique_id"] = Guid.NewGuid().ToString("N"),
        };
        var outer = new JsonObject { ["oslo.version"] = "2.0", ["oslo.message"] = inner.ToJsonString() };
        return Encoding.UTF8.GetBytes(outer.ToJsonString());
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing notifications to the cloud's RabbitMQ failed (attempt {Attempt}); retrying: {Reason}")]
    private partial void LogPublishFailed(int attempt, string reason);
}

/// <summary>One notification waiting to be published.</summary>
public sealed record OsloMessage(string EventType, JsonObject Payload, string? ProjectId, DateTimeOffset At);
