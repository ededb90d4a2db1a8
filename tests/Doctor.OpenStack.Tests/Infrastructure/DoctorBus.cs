using System.Text.Json;
using System.Text.Json.Nodes;
using Doctor.Testing;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;

namespace Doctor.OpenStack.Tests.Infrastructure;

/// <summary>What the broker tests read from Doctor (its status, its map, its log) and publish as the cloud does.</summary>
public static class DoctorBus
{
    /// <summary><c>GET /v1/openstack</c> → <c>notifications</c>.</summary>
    public static async Task<JsonElement> NotificationsAsync(OpenStackDoctor doctor) =>
        (await doctor.GetJsonAsync("/v1/openstack")).GetProperty("notifications");

    public static async Task<long> PassesAsync(OpenStackDoctor doctor) =>
        (await doctor.GetJsonAsync("/v1/openstack")).GetProperty("reconciliation").GetProperty("passes").GetInt64();

    /// <summary>The one entry of <paramref name="level"/> containing <paramref name="text"/>, once it is written (a state the
    /// test sees may change just before the line that tells it is logged).</summary>
    public static async Task<(DateTimeOffset At, LogLevel Level, string Category, string Message)> LoggedAsync(LogCapture logs, LogLevel level, string text)
    {
        await Eventually.TrueAsync(() => logs.Find(level, text).Count > 0, $"the log line \"{text}\"");
        return Assert.Single(logs.Find(level, text));
    }

    /// <summary>The map changes inside a pass, its counter right after it: waits for the count to move past <paramref name="passes"/>.</summary>
    public static Task PassCountedAsync(OpenStackDoctor doctor, long passes) =>
        Eventually.TrueAsync(async () => await PassesAsync(doctor) > passes, "the reconciliation pass to be counted");

    public static async Task<List<string>> ServerIdsAsync(OpenStackDoctor doctor) =>
        [.. (await doctor.GetJsonAsync("/v1/servers")).GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("id").GetString()!)];

    /// <summary>Publishes as Nova does (exchange <c>nova</c>, versioned topic), waiting for the broker's confirm.</summary>
    public static async Task PublishToNovaAsync(PrivateBroker broker, JsonObject message)
    {
        await using var connection = await broker.ConnectAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        await channel.ExchangeDeclareAsync("nova", ExchangeType.Topic, durable: false, autoDelete: false);
        await channel.BasicPublishAsync("nova", "versioned_notifications.info", mandatory: true, new BasicProperties { ContentType = "application/json" }, Oslo.V2(message));
    }
}
