using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Doctor.Control;
using Doctor.Events;
using Doctor.Faults;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.Notification;
using Doctor.Profiling;
using Doctor.State;
using Doctor.Subscriptions;
using Microsoft.Extensions.Logging.Abstractions;

namespace Doctor.Server.Hosting;

/// <summary>
/// Runs the fault path once on scratch data before the listener opens: a monitor's event parsed, a host failure and its
/// recovery inspected on a one-host map, the owner's notifications built, signed and posted over HTTP to a loopback
/// responder of its own. The first real fault after a start then no longer pays for first use (JIT, crypto, the HTTP
/// client's first connection): ~100–200 ms to the owner before, on this project's machine. Nothing real is touched —
/// not the map, the store, the subscriptions nor the real dispatcher — and it is bounded: a failure or a timeout only logs.
/// </summary>
public sealed partial class Warmup(PolicySource policies, DeliveryOptions delivery, TimeProvider time, ILogger<Warmup> logger)
{
    private const string Host = "warmup-host";
    private const string Project = "warmup-project";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(3);

    /// <summary>Runs it; returns how many notifications reached the loopback responder (2 when every part ran: the fault
    /// and its clearing), or null when it failed or ran out of time.</summary>
    public async Task<int?> RunAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(Bound);
            await using var responder = LoopbackResponder.Start();
            using var client = DoctorApp.WebhookClient(CallbackPolicy.Default, delivery);
            var state = ScratchState(responder.Url);
            await using var dispatcher = new WebhookDispatcher(client, time, delivery, id => state.Subscriptions.All.Get(id), NullLogger<WebhookDispatcher>.Instance);
            var notifier = new Notifier(dispatcher, time);
            var processor = new FaultProcessor(policies, new TimelineBook());
            for (var seq = 1; seq <= 2; seq++)
            {
                var type = seq == 1 ? "compute.host.down" : "compute.host.up";
                var body = Encoding.UTF8.GetBytes(new JsonObject
                {
                    ["event"] = new JsonObject { ["time"] = time.GetUtcNow().ToString("O"), ["type"] = type, ["details"] = new JsonObject { ["hostname"] = Host } },
                }.ToJsonString());
                var e = EventParser.Parse(body)[0] with { Id = $"warmup-{seq}" };
                var editor = new StateEditor(state, time.GetUtcNow()) { ProcessedSeq = seq };
                var ticks = Stopwatch.GetTimestamp();
                var result = processor.Process(editor, new EventRecord(seq, e, time.GetUtcNow(), ticks, ticks));
                state = editor.Build();
                if (result.Notice is { } notice)
                    notifier.Publish([notice], state);
                await dispatcher.WaitIdleAsync(Bound, bounded.Token);
            }

            LogDone(Stopwatch.GetElapsedTime(started).TotalMilliseconds, responder.Received);
            return responder.Received;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogFailed(Stopwatch.GetElapsedTime(started).TotalMilliseconds, ex.Message);
            return null;
        }
    }

    private DoctorState ScratchState(string callbackUrl)
    {
        var now = time.GetUtcNow();
        var map = ResourceMap.From(
            [new Doctor.Inventory.Host { Name = Host, UpdatedAt = now }],
            [new Doctor.Inventory.Server { Id = "warmup-vm", ProjectId = Project, Host = Host, UpdatedAt = now }],
            [new Port { Id = "warmup-port", ServerId = "warmup-vm", ProjectId = Project, Host = Host, DataPlaneUp = true, UpdatedAt = now }]);
        var subscription = new Subscription
        {
            SubscriptionId = "warmup-subscription", CallbackUrl = callbackUrl, ProjectId = Project, Secret = "warmup-secret-0123456789", CreatedAt = now,
        };
        return new DoctorState(map, FaultBook.Empty, SubscriptionBook.From([subscription]), Doctor.Access.TokenBook.Empty, 0);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Warm-up of the fault path done in {Milliseconds:0} ms ({Received} notifications posted to itself)")]
    private partial void LogDone(double milliseconds, int received);

    [LoggerMessage(Level = LogLevel.Information, Message = "Warm-up of the fault path did not finish ({Milliseconds:0} ms; the first fault may be slower): {Reason}")]
    private partial void LogFailed(double milliseconds, string reason);

    /// <summary>A minimal HTTP/1.1 server on 127.0.0.1 that answers every request 204; counts what it received.</summary>
    private sealed class LoopbackResponder : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;
        private int _received;

        public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/warmup";

        public int Received => Volatile.Read(ref _received);

        public static LoopbackResponder Start()
        {
            var responder = new LoopbackResponder();
            responder._listener.Start();
            responder._loop = Task.Run(responder.AcceptAsync);
            return responder;
        }

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                var socket = await _listener.AcceptSocketAsync(_stop.Token);
                _ = Task.Run(() => ServeAsync(socket));
            }
        }

        private async Task ServeAsync(Socket socket)
        {
            using var stream = new NetworkStream(socket, ownsSocket: true);
            var buffer = new byte[16 * 1024];
            var filled = 0;
            while (!_stop.IsCancellationRequested)
            {
                // One request: headers up to the blank line, then Content-Length bytes of body.
                var headerEnd = -1;
                while ((headerEnd = IndexOf(buffer.AsSpan(0, filled), "\r\n\r\n"u8)) < 0)
                {
                    if (filled == buffer.Length)
                        return;
                    var read = await stream.ReadAsync(buffer.AsMemory(filled), _stop.Token);
                    if (read == 0)
                        return;
                    filled += read;
                }

                var length = ContentLength(Encoding.ASCII.GetString(buffer, 0, headerEnd));
                var total = headerEnd + 4 + length;
                if (total > buffer.Length)
                    return;
                while (filled < total)
                {
                    var read = await stream.ReadAsync(buffer.AsMemory(filled), _stop.Token);
                    if (read == 0)
                        return;
                    filled += read;
                }

                Interlocked.Increment(ref _received);
                await stream.WriteAsync("HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), _stop.Token);
                buffer.AsSpan(total, filled - total).CopyTo(buffer);
                filled -= total;
            }
        }

        private static int IndexOf(ReadOnlySpan<byte> span, ReadOnlySpan<byte> value) => span.IndexOf(value);

        private static int ContentLength(string headers)
        {
            foreach (var line in headers.Split("\r\n"))
            {
                if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase) && int.TryParse(line.AsSpan(15).Trim(), out var length))
                    return length;
            }

            return 0;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            try
            {
                await _loop;
            }
            catch (Exception)
            {
                // the accept loop ends with the listener
            }

            _stop.Dispose();
        }
    }
}
