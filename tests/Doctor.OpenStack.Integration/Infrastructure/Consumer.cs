using System.Diagnostics;
using System.Text.Json.Nodes;
using Doctor.Cli.Bench;

namespace Doctor.OpenStack.Integration.Infrastructure;

/// <summary>
/// A webhook consumer on a loopback port: Doctor's subscriptions and Aodh's alarm actions post to paths of it. Everything
/// received is kept, so a wait can look for a message that arrived before it started.
/// </summary>
public sealed class Consumer : IAsyncDisposable
{
    private readonly WebhookReceiver _receiver;

    private Consumer(WebhookReceiver receiver) => _receiver = receiver;

    public static async Task<Consumer> StartAsync() => new(await WebhookReceiver.StartAsync("http://127.0.0.1:0"));

    /// <summary>The callback URL of <paramref name="path"/> (one path per subscriber or alarm).</summary>
    public string Url(string path) => $"{_receiver.Url}/{path}";

    /// <summary>Everything posted to <paramref name="path"/> so far, parsed, in arrival order.</summary>
    public IReadOnlyList<(ReceivedNotification Raw, JsonNode Body)> Received(string path) =>
        _receiver.All.Where(r => r.Path.Trim('/') == path).Select(r => (r, r.Json)).ToList();

    /// <summary>Waits for a message on <paramref name="path"/> that <paramref name="match"/> accepts; returns it and how long
    /// after <paramref name="since"/> (a <see cref="Stopwatch"/> timestamp) it arrived.</summary>
    public async Task<(JsonNode Body, TimeSpan After)> WaitAsync(string path, Func<JsonNode, bool> match, string what, long since, double seconds = 60, Func<Task<string>>? explain = null)
    {
        var (found, _) = await Poll.UntilAsync(
            () => Task.FromResult(Received(path).Where(r => r.Raw.ArrivedTicks >= since && match(r.Body)).Select(r => new Tuple<ReceivedNotification, JsonNode>(r.Raw, r.Body)).FirstOrDefault()),
            what, TimeSpan.FromSeconds(seconds),
            async () => $"received on /{path}: {Received(path).Count} message(s)\n{string.Join("\n", Received(path).Select(r => r.Body.ToJsonString()))}" + (explain is null ? "" : "\n" + await explain()));
        return (found.Item2, Stopwatch.GetElapsedTime(since, found.Item1.ArrivedTicks));
    }

    public ValueTask DisposeAsync() => _receiver.DisposeAsync();
}
