using Doctor.Testing;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Doctor.Server.Tests.Infrastructure;

/// <summary>One webhook call as the consumer saw it.</summary>
public sealed record ReceivedCall(string Path, byte[] Body, IReadOnlyDictionary<string, string> Headers)
{
    public string Text => Encoding.UTF8.GetString(Body);

    public JsonElement Json
    {
        get
        {
            using var document = JsonDocument.Parse(Body);
            return document.RootElement.Clone();
        }
    }

    public string? Header(string name) => Headers.GetValueOrDefault(name.ToLowerInvariant());
}

/// <summary>
/// A real consumer: Kestrel on 127.0.0.1 with a free port, recording every POST (path, exact body bytes, headers).
/// A path can be told to fail its first calls, to see retries.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly List<ReceivedCall> _calls = [];
    private readonly Dictionary<string, int> _failuresLeft = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private WebApplication? _app;

    public string BaseUrl { get; private set; } = "";

    /// <param name="certificate">When given, the consumer listens on https with it (e.g. a self-signed one).</param>
    public static async Task<WebhookReceiver> StartAsync(X509Certificate2? certificate = null)
    {
        var receiver = new WebhookReceiver();
        var builder = WebApplication.CreateSlimBuilder();
        if (certificate is null)
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        }
        else
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.UseUrls("https://127.0.0.1:0");
            builder.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate));
        }

        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/{**path}", receiver.ReceiveAsync);
        await app.StartAsync();
        receiver._app = app;
        receiver.BaseUrl = app.Urls.Single().TrimEnd('/');
        return receiver;
    }

    public string Url(string path) => $"{BaseUrl}/{path.TrimStart('/')}";

    /// <summary>The next <paramref name="count"/> calls to <paramref name="path"/> answer 500.</summary>
    public void FailNext(string path, int count)
    {
        lock (_gate)
            _failuresLeft["/" + path.TrimStart('/')] = count;
    }

    /// <summary>Successful (2xx-answered) calls to <paramref name="path"/> so far.</summary>
    public IReadOnlyList<ReceivedCall> CallsTo(string path)
    {
        var key = "/" + path.TrimStart('/');
        lock (_gate)
            return [.. _calls.Where(c => c.Path == key)];
    }

    /// <summary>Waits (bounded, woken by each call) until <paramref name="path"/> has had at least <paramref name="count"/> calls.</summary>
    public async Task<IReadOnlyList<ReceivedCall>> WaitForAsync(string path, int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? Eventually.Limit);
        while (true)
        {
            Task changed;
            lock (_gate)
                changed = _changed.Task;
            var calls = CallsTo(path);
            if (calls.Count >= count)
                return calls;
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
                Assert.Fail($"timed out waiting for {count} call(s) to {path}; got {calls.Count}");
            try
            {
                await changed.WaitAsync(left);
            }
            catch (TimeoutException)
            {
                // checked once more at the top of the loop
            }
        }
    }

    private async Task ReceiveAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        var path = context.Request.Path.Value ?? "/";
        TaskCompletionSource changed;
        lock (_gate)
        {
            if (_failuresLeft.TryGetValue(path, out var left) && left > 0)
            {
                _failuresLeft[path] = left - 1;
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                return;
            }

            _calls.Add(new ReceivedCall(path, buffer.ToArray(), headers));
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
