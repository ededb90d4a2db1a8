using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Doctor.OpenStack.Messaging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Doctor.OpenStack.Integration.Infrastructure;

/// <summary>
/// The cloud's RabbitMQ as an operator's tool sees it: deletes a Doctor's queue at the end of a test (each Doctor of the
/// suite consumes from its own, so instances never steal each other's messages) and taps an exchange on a queue of its
/// own (deleted on dispose) to read what is published there.
/// </summary>
public sealed class Bus : IAsyncDisposable
{
    /// <summary>Every queue of this suite (Doctors' and taps') is named so; other suites use doctor-test-… as well.</summary>
    public const string QueuePrefix = "doctor-test-osint-";

    private IConnection? _connection;
    private IChannel? _channel;
    private string? _tapQueue;

    /// <summary>oslo.messaging notifications read by the tap: arrival timestamp, event type, payload, context project.</summary>
    public ConcurrentQueue<(long Arrived, string EventType, JsonNode Payload, string? Project)> Tapped { get; } = new();

    private async Task<IChannel> ChannelAsync()
    {
        if (_channel is { IsOpen: true })
            return _channel;
        _connection ??= await Transport.Factory(Aio.TransportUrl, "doctor-osint-tests").CreateConnectionAsync();
        _channel = await _connection.CreateChannelAsync();
        return _channel;
    }

    /// <summary>Deletes <paramref name="queue"/>; returns how many messages it still held (0 when it did not exist).</summary>
    public static async Task<uint> DeleteQueueAsync(string queue)
    {
        await using var bus = new Bus();
        var channel = await bus.ChannelAsync();
        return await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false);
    }

    /// <summary>Deletes this suite's queues that nobody consumes: those of a run that died before its cleanup. Listed with
    /// rabbitmqctl (AMQP cannot list queues); deleted only if unused, so a queue in use is never taken away.</summary>
    public static async Task<IReadOnlyList<string>> DeleteLeftoverQueuesAsync()
    {
        var info = new System.Diagnostics.ProcessStartInfo("rabbitmqctl", ["-n", "rabbit@localhost", "-q", "list_queues", "name", "consumers"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        string listing;
        try
        {
            using var process = System.Diagnostics.Process.Start(info)!;
            listing = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return []; // no rabbitmqctl here: nothing to list
        }

        var deleted = new List<string>();
        foreach (var line in listing.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split('\t');
            if (fields.Length == 2 && fields[0].StartsWith(QueuePrefix, StringComparison.Ordinal) && fields[1] == "0")
            {
                await using var bus = new Bus();
                var channel = await bus.ChannelAsync();
                try
                {
                    await channel.QueueDeleteAsync(fields[0], ifUnused: true, ifEmpty: false);
                    deleted.Add(fields[0]);
                }
                catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
                {
                    // someone started consuming it since the listing
                }
            }
        }

        return deleted;
    }

    /// <summary>True when <paramref name="queue"/> exists (a passive declare; a missing queue closes the channel).</summary>
    public static async Task<bool> QueueExistsAsync(string queue)
    {
        await using var bus = new Bus();
        var channel = await bus.ChannelAsync();
        try
        {
            await channel.QueueDeclarePassiveAsync(queue);
            return true;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return false;
        }
    }

    /// <summary>Reads every message published on <paramref name="exchange"/> with <paramref name="routingKey"/> from now on.</summary>
    public async Task TapAsync(string exchange, string routingKey)
    {
        var channel = await ChannelAsync();
        // Declared the way oslo.messaging declares its exchanges (topic, not durable), so either side may come first.
        await channel.ExchangeDeclareAsync(exchange, ExchangeType.Topic, durable: false, autoDelete: false);
        _tapQueue = QueuePrefix + "tap-" + Guid.NewGuid().ToString("N")[..12];
        await channel.QueueDeclareAsync(_tapQueue, durable: false, exclusive: false, autoDelete: false);
        await channel.QueueBindAsync(_tapQueue, exchange, routingKey);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            var arrived = Stopwatch.GetTimestamp();
            var outer = JsonNode.Parse(Encoding.UTF8.GetString(delivery.Body.Span))!;
            var message = outer["oslo.message"] is JsonValue inner ? JsonNode.Parse(inner.GetValue<string>())! : outer;
            Tapped.Enqueue((arrived, message["event_type"]!.GetValue<string>(), message["payload"]!, message["_context_project_id"]?.GetValue<string>()));
            return Task.CompletedTask;
        };
        await channel.BasicConsumeAsync(_tapQueue, autoAck: true, consumer);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_tapQueue is not null && _channel is { IsOpen: true })
                await _channel.QueueDeleteAsync(_tapQueue);
            if (_channel is not null)
                await _channel.CloseAsync();
            if (_connection is not null)
                await _connection.CloseAsync();
        }
        catch (Exception)
        {
            // the broker went away: nothing left to close
        }

        _channel?.Dispose();
        _connection?.Dispose();
    }
}
