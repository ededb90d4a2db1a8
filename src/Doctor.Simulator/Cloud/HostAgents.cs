using System.Net;
using System.Net.Sockets;
using Doctor.Simulator.Monitoring;
using Doctor.Simulator.Network;

namespace Doctor.Simulator.Cloud;

/// <summary>
/// Stand-ins for the simulated hosts on the network: one loopback TCP listener per host that a monitor can
/// probe. Failing a host closes its listener (connections are refused); recovering opens it again on the same port.
/// Needs no privileges, so it is the default way to inject a failure (<c>--inject agent</c>).
/// </summary>
public sealed class HostAgents : IHostNetwork
{
    private readonly Dictionary<string, Agent> _agents = new(StringComparer.Ordinal);

    public HostAgents(IEnumerable<string> hosts)
    {
        foreach (var host in hosts)
        {
            var agent = new Agent(0);
            agent.Start();
            _agents[host] = agent;
        }
    }

    public string Kind => "agent";

    public int PortOf(string host) => _agents[host].Port;

    public IEnumerable<string> Hosts => _agents.Keys;

    public ProbeTarget TargetOf(string host) => new(host, IPAddress.Loopback.ToString(), PortOf(host));

    public void Fail(string host) => _agents[host].Stop();

    public void Recover(string host) => _agents[host].Start();

    public Task FailAsync(string host, CancellationToken cancellationToken)
    {
        Fail(host);
        return Task.CompletedTask;
    }

    public Task RecoverAsync(string host, CancellationToken cancellationToken)
    {
        Recover(host);
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        foreach (var agent in _agents.Values)
            agent.Stop();
        return ValueTask.CompletedTask;
    }

    private sealed class Agent(int port)
    {
        private TcpListener? _listener;
        private CancellationTokenSource? _stop;

        public int Port { get; private set; } = port;

        public void Start()
        {
            var listener = new TcpListener(IPAddress.Loopback, Port);
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Start();
            Port = ((IPEndPoint)listener.LocalEndpoint).Port;
            _listener = listener;
            _stop = new CancellationTokenSource();
            _ = AcceptAsync(listener, _stop.Token);
        }

        public void Stop()
        {
            _stop?.Cancel();
            _listener?.Stop();
            _listener = null;
        }

        private static async Task AcceptAsync(TcpListener listener, CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var client = await listener.AcceptTcpClientAsync(stop);
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }
            }
        }
    }
}
