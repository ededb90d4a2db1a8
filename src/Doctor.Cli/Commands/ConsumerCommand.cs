using System.Collections.Concurrent;
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Doctor.Cli.Bench;
using Doctor.Notification;

namespace Doctor.Cli.Commands;

/// <summary>
/// <c>doctor consumer</c>: a sample consumer. Receives notifications, checks their signature, drops duplicates by
/// <c>notification_id</c>, and prints one line per notification with its arrival time.
/// </summary>
public static class ConsumerCommand
{
    public static Command Create()
    {
        var listen = new Option<string>("--listen") { Description = "address to listen on", DefaultValueFactory = _ => "http://127.0.0.1:9999" };
        var secret = new Option<string?>("--secret") { Description = "subscription secret; signatures are verified when given" };
        var command = new Command("consumer", "Run a sample consumer that prints the notifications it receives") { listen, secret };
        command.SetAction(async (result, cancellationToken) =>
        {
            var key = result.GetValue(secret);
            var seen = new ConcurrentDictionary<string, bool>();
            await using var receiver = await WebhookReceiver.StartAsync(result.GetValue(listen)!);
            var started = Stopwatch.GetTimestamp();
            receiver.OnReceived = r => Print(r, key, seen, started);
            Console.WriteLine($"listening on {receiver.Url}; Ctrl-C stops");
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }

            return 0;
        });
        return command;
    }

    private static void Print(ReceivedNotification r, string? secret, ConcurrentDictionary<string, bool> seen, long started)
    {
        var at = Stopwatch.GetElapsedTime(started, r.ArrivedTicks).TotalMilliseconds;
        var signature = secret is null ? "signature not checked" : Signatures.Verify(secret, r.Body, r.Signature) ? "signature ok" : "SIGNATURE BAD";
        JsonNode body;
        try
        {
            body = r.Json;
        }
        catch (System.Text.Json.JsonException)
        {
            Console.WriteLine($"{at,10:0.000} ms  {r.Path}  not JSON ({r.Body.Length} bytes)");
            return;
        }

        var id = body["notification_id"]?.GetValue<string>() ?? r.NotificationId ?? "?";
        if (!seen.TryAdd(id, true))
        {
            Console.WriteLine($"{at,10:0.000} ms  duplicate {id} ignored");
            return;
        }

        var resources = (body["resources"] as JsonArray ?? [])
            .Select(x => $"{x?["resource_type"]}:{x?["resource_id"]}={x?["state"]}");
        Console.WriteLine($"{at,10:0.000} ms  {body["notification_type"]} for {body["project_id"] ?? "admin"}  [{signature}]  {string.Join(' ', resources)}");
    }
}
