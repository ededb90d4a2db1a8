using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Doctor.Cli.Bench;
using Doctor.Simulator.Consumers;

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
            var inbox = new NotificationInbox(key);
            await using var receiver = await WebhookReceiver.StartAsync(result.GetValue(listen)!);
            var started = Stopwatch.GetTimestamp();
            receiver.OnReceived = r => Print(r, key is not null, inbox, started);
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

    private static void Print(ReceivedNotification r, bool checkSignature, NotificationInbox inbox, long started)
    {
        var at = Stopwatch.GetElapsedTime(started, r.ArrivedTicks).TotalMilliseconds;
        switch (inbox.Accept(r.Body, r.Signature, out var id))
        {
            case InboxVerdict.BadSignature:
                Console.WriteLine($"{at,10:0.000} ms  {r.Path}  SIGNATURE BAD: dropped ({r.Body.Length} bytes)");
                return;
            case InboxVerdict.Malformed:
                Console.WriteLine($"{at,10:0.000} ms  {r.Path}  not a notification ({r.Body.Length} bytes)");
                return;
            case InboxVerdict.Duplicate:
                Console.WriteLine($"{at,10:0.000} ms  duplicate {id} ignored");
                return;
        }

        var body = r.Json;
        var resources = (body["resources"] as JsonArray ?? [])
            .Select(x => $"{x?["resource_type"]}:{x?["resource_id"]}={x?["state"]}");
        Console.WriteLine($"{at,10:0.000} ms  {body["notification_type"]} for {body["project_id"] ?? "admin"}  [{(checkSignature ? "signature ok" : "signature not checked")}]  {string.Join(' ', resources)}");
    }
}
