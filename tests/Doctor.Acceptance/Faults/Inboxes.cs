using System.Collections.Concurrent;
using System.Diagnostics;
using Doctor.Cli.Bench;

namespace Doctor.Acceptance.Faults;

/// <summary>Notifications received on one <see cref="WebhookReceiver"/>, queued by callback path (one per subscriber).</summary>
public sealed class Inboxes
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<ReceivedNotification>> _byPath = new();

    /// <summary>Queues everything <paramref name="receiver"/> gets under its path without the slashes.</summary>
    public void Attach(WebhookReceiver receiver) => receiver.OnReceived = r => Of(r.Path.Trim('/')).Enqueue(r);

    public ConcurrentQueue<ReceivedNotification> Of(string path) => _byPath.GetOrAdd(path, _ => new());

    /// <summary>The next notification for <paramref name="path"/>, waiting up to 10 s (then the server's output explains).</summary>
    public async Task<ReceivedNotification> NextAsync(string path, Func<string> serverOutput)
    {
        var queue = Of(path);
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (queue.TryDequeue(out var received))
                return received;
            await Task.Delay(5);
        }

        throw new TimeoutException($"no notification for {path} within 10 s; doctor said:\n{serverOutput()}");
    }
}
