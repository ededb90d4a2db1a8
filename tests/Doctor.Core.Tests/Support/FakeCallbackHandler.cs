using System.Collections.Concurrent;
using System.Net;

namespace Doctor.Core.Tests.Support;

/// <summary>One POST as the consumer received it.</summary>
public sealed record ReceivedCallback(Uri Uri, HttpMethod Method, string? ContentType, string? NotificationId, string? Signature, byte[] Body);

/// <summary>
/// Stands in for consumers' webhooks: records every request and answers through <see cref="Respond"/>
/// (200 by default), so tests decide per request whether a consumer is fine, failing, slow or hanging.
/// </summary>
public sealed class FakeCallbackHandler : HttpMessageHandler
{
    private readonly ConcurrentQueue<ReceivedCallback> _received = new();

    public Func<ReceivedCallback, CancellationToken, Task<HttpStatusCode>> Respond { get; set; } =
        static (_, _) => Task.FromResult(HttpStatusCode.OK);

    public IReadOnlyList<ReceivedCallback> Received => [.. _received];

    public IReadOnlyList<ReceivedCallback> To(string path) => [.. _received.Where(r => r.Uri.AbsolutePath == path)];

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken);
        var received = new ReceivedCallback(
            request.RequestUri!, request.Method, request.Content?.Headers.ContentType?.MediaType,
            Header(request, "X-Doctor-Notification-Id"), Header(request, "X-Doctor-Signature"), body);
        _received.Enqueue(received);
        var status = await Respond(received, cancellationToken);
        return new HttpResponseMessage(status) { RequestMessage = request };
    }

    private static string? Header(HttpRequestMessage request, string name) =>
        request.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;
}
