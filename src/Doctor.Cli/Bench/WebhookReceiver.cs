using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Doctor.Cli.Bench;

/// <summary>A notification as a consumer received it, stamped on arrival with the shared monotonic clock.</summary>
public sealed record ReceivedNotification(string Path, long ArrivedTicks, byte[] Body, string? NotificationId, string? Signature)
{
    public JsonNode Json => JsonNode.Parse(Body)!;
}

/// <summary>A real HTTP consumer on a loopback port: every POST is recorded and answered 204.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebhookReceiver(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    public ConcurrentQueue<ReceivedNotification> All { get; } = new();

    /// <summary>Called on every arrival (from a server thread).</summary>
    public Action<ReceivedNotification>? OnReceived { get; set; }

    /// <summary>Awaited before answering (a consumer that holds its answer); the token fires when the caller hangs up.
    /// A request whose hold throws is not recorded.</summary>
    public Func<ReceivedNotification, CancellationToken, Task>? Hold { get; set; }

    /// <summary>Status to answer; tests flip it to simulate a failing consumer.</summary>
    public int AnswerStatus { get; set; } = StatusCodes.Status204NoContent;

    /// <param name="url">Where to listen; by default a free loopback port.</param>
    public static async Task<WebhookReceiver> StartAsync(string url = "http://127.0.0.1:0")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        var app = builder.Build();
        WebhookReceiver? self = null;
        app.MapPost("/{**path}", async (HttpContext context) =>
        {
            var arrived = Stopwatch.GetTimestamp();
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer);
            var received = new ReceivedNotification(
                context.Request.Path.Value ?? "/", arrived, buffer.ToArray(),
                context.Request.Headers["X-Doctor-Notification-Id"].ToString(),
                context.Request.Headers["X-Doctor-Signature"].FirstOrDefault());
            if (self!.Hold is { } hold)
            {
                try
                {
                    await hold(received, context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            var status = self.AnswerStatus;
            if (status is >= 200 and < 300)
            {
                self.All.Enqueue(received);
                self.OnReceived?.Invoke(received);
            }

            context.Response.StatusCode = status;
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new WebhookReceiver(app, address);
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
