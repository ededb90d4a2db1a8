using System.Net.Sockets;

namespace Doctor.Simulator.Network;

/// <summary>
/// Accepts and drops connections on a listening socket until disposed. The kernel would complete handshakes
/// without it, but only until the backlog fills; after that a live host would look dead.
/// </summary>
public sealed class ProbeListener : IDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _stop = new();

    public ProbeListener(Socket socket)
    {
        _socket = socket;
        _ = AcceptAsync(_stop.Token);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _socket.Dispose();
        _stop.Dispose();
    }

    private async Task AcceptAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var client = await _socket.AcceptAsync(stop);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException)
            {
                // A prober that gave up before we accepted; the next one must still be answered.
            }
        }
    }
}
