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
/// the oldest dropped when full) and sent by one background loop, so it never slows the engine. Each message counts as sent
/// once the broker confirmed it (publisher confirms): one sent on a connection that was just lost is sent again after the
/// reconnect (at least once, as Doctor's webhooks). While the broker is unreachable, messages wait in the queue and the
/// loop tries to connect every <see cref="Transport.ReconnectInterval"/>, to each host of the transport URL.
/// </summary>
public sealed partial class OsloPublisher : BackgroundService
{
    /// <summary>Messages kept while the broker is unreachable; beyond it the oldest are dropped.</summary>
    public const int Capacity = 10_000;

    /// <summary>While the broker stays unreachable, a reminder is logged this often (each failed attempt is logged at debug).</summary>
    private static readonly TimeSpan StillDownLogInterval = TimeSpan.FromMinutes(1);

    private readonly OpenStackOptions _options;
    private readonly ILogger<OsloPublisher> _logger;
    private readonly TimeProvider _time;
    private readonly Channel<OsloMessage> _queue;
    private long _published;
    private long _dropped;
    private long _droppedWhenLogged;
    private DateTimeOffset? _downSince;
    private DateTimeOffset _stillDownLoggedAt;
    private int _failedAttempts;

    public OsloPublisher(OpenStackOptions options, ILogger<OsloPublisher> logger, TimeProvider? time = null)
    {
        _options = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _queue = Channel.CreateBounded<OsloMessage>(new BoundedChannelOptions(Capacity)
        {
            FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true,
        }, _ => Interlocked.Increment(ref _dropped));
    }

    /// <summary>What is queued and not yet sent (tests read it instead of a broker).</summary>
    internal ChannelReader<OsloMessage> Queued => _queue.Reader;

    /// <summary>Messages the broker confirmed since the start.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Messages dropped from a full queue since the start (the broker was unreachable too long).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues one notification; <paramref name="projectId"/> goes into the context, where Ceilometer takes the
    /// event's project from (Aodh event alarms are per project).</summary>
    public void Publish(string eventType, JsonObject payload, string? projectId) =>
        _queue.Writer.TryWrite(new OsloMessage(eventType, payload, projectId, _time.GetUtcNow()));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var url = TransportUrl.Parse(_options.TransportUrl!);
        var routingKey = _options.PublishTopic + ".info";
        var properties = new BasicProperties { ContentType = "application/json", ContentEncoding = "utf-8" };
        // The message being sent when the connection broke is sent first after the reconnect, not lost with it.
        OsloMessage? unsent = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            IConnection? connection = null;
            using var lost = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            string? lostReason = null;
            try
            {
                // No automatic recovery: this loop is the one way back, so it alone decides when to retry and what to log,
                // and a broken connection ends the wait for messages at once instead of failing the next publish.
                connection = await Transport.ConnectAsync(url, "doctor-publisher", automaticRecovery: false, stoppingToken);
                connection.ConnectionShutdownAsync += (_, e) =>
                {
                    lostReason = $"{e.ReplyCode} {e.ReplyText} (initiated by {e.Initiator})";
                    try
                    {
                        lost.Cancel();
                    }
                    catch (ObjectDisposedException)
                    {
                        // this attempt is over already
                    }

                    return Task.CompletedTask;
                };
                await using var channel = await connection.CreateChannelAsync(
                    new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), stoppingToken);
                await channel.ExchangeDeclareAsync(_options.PublishExchange, ExchangeType.Topic, durable: false, autoDelete: false, cancellationToken: stoppingToken);
                Connected(connection.Endpoint, unsent is null ? 0 : 1);
                if (unsent is not null)
                {
                    await channel.BasicPublishAsync(_options.PublishExchange, routingKey, mandatory: false, properties, Envelope(unsent), lost.Token);
                    unsent = null;
                    Interlocked.Increment(ref _published);
                }

                while (await _queue.Reader.WaitToReadAsync(lost.Token))
                {
                    while (_queue.Reader.TryRead(out var message))
                    {
                        unsent = message;
                        // Returns once the broker confirmed it; throws when it refused it or the connection broke.
                        await channel.BasicPublishAsync(_options.PublishExchange, routingKey, mandatory: false, properties, Envelope(message), lost.Token);
                        unsent = null;
                        Interlocked.Increment(ref _published);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Failed(lostReason ?? ex.Message, unsent is null ? 0 : 1);
            }
            finally
            {
                if (connection is not null)
                    await CloseAsync(connection);
            }

            try
            {
                await Task.Delay(Transport.ReconnectInterval, _time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Connected(AmqpTcpEndpoint endpoint, int unsent)
    {
        if (_downSince is { } since)
        {
            LogReconnected(endpoint.HostName, endpoint.Port, Math.Round((_time.GetUtcNow() - since).TotalSeconds, 1), _queue.Reader.Count + unsent, Dropped - _droppedWhenLogged);
            _downSince = null;
        }

        _failedAttempts = 0;
        _droppedWhenLogged = Dropped;
    }

    private void Failed(string reason, int unsent)
    {
        var now = _time.GetUtcNow();
        _failedAttempts++;
        if (_downSince is null)
        {
            _downSince = _stillDownLoggedAt = now;
            LogPublishFailed(_queue.Reader.Count + unsent, Capacity, Transport.ReconnectInterval.TotalSeconds, reason);
        }
        else if (now - _stillDownLoggedAt >= StillDownLogInterval)
        {
            _stillDownLoggedAt = now;
            LogStillDown(Math.Round((now - _downSince.Value).TotalSeconds), _failedAttempts, _queue.Reader.Count + unsent, Dropped - _droppedWhenLogged, reason);
        }
        else
        {
            LogAttemptFailed(_failedAttempts, reason);
        }
    }

    private static async Task CloseAsync(IConnection connection)
    {
        try
        {
            await connection.CloseAsync();
        }
        catch (Exception)
        {
            // already broken: nothing left to close
        }

        connection.Dispose();
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing notifications to the cloud's RabbitMQ failed; {Waiting} wait (at most {Capacity} are kept, then the oldest are dropped), retrying every {Interval} s: {Reason}")]
    private partial void LogPublishFailed(int waiting, int capacity, double interval, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The cloud's RabbitMQ is still unreachable for publishing after {Seconds} s ({Attempts} attempts); {Waiting} notifications wait, {Dropped} dropped: {Reason}")]
    private partial void LogStillDown(double seconds, int attempts, int waiting, long dropped, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Connecting to the cloud's RabbitMQ for publishing failed (attempt {Attempt}): {Reason}")]
    private partial void LogAttemptFailed(int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Publishing to the cloud's RabbitMQ at {Host}:{Port} again after {Seconds} s; sending the {Waiting} notifications that waited ({Dropped} were dropped)")]
    private partial void LogReconnected(string host, int port, double seconds, int waiting, long dropped);
}

/// <summary>One notification waiting to be published.</summary>
public sealed record OsloMessage(string EventType, JsonObject Payload, string? ProjectId, DateTimeOffset At);
