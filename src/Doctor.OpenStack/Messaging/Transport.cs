using RabbitMQ.Client;

namespace Doctor.OpenStack.Messaging;

/// <summary>RabbitMQ connections from an oslo.messaging transport URL (<see cref="TransportUrl"/>), to every host it lists.</summary>
public static class Transport
{
    /// <summary>How long the client waits between two attempts to reconnect a lost connection (its automatic recovery; the
    /// publisher's own loop uses the same pace).</summary>
    public static readonly TimeSpan ReconnectInterval = TimeSpan.FromSeconds(2);

    /// <summary>A factory with the URL's credentials and virtual host, pointed at its first host (what
    /// <c>CreateConnectionAsync()</c> without endpoints uses); <see cref="ConnectAsync"/> uses them all.</summary>
    public static ConnectionFactory Factory(string transportUrl, string clientName, bool automaticRecovery = true) =>
        Factory(TransportUrl.Parse(transportUrl), clientName, automaticRecovery);

    public static ConnectionFactory Factory(TransportUrl url, string clientName, bool automaticRecovery = true)
    {
        var (user, password) = url.Credentials;
        var first = url.Hosts[0];
        return new ConnectionFactory
        {
            HostName = first.Name,
            Port = first.Port,
            UserName = user,
            Password = password,
            VirtualHost = url.VirtualHost,
            Ssl = Ssl(url, first),
            AutomaticRecoveryEnabled = automaticRecovery,
            TopologyRecoveryEnabled = automaticRecovery,
            NetworkRecoveryInterval = ReconnectInterval,
            RequestedHeartbeat = TimeSpan.FromSeconds(30),
            ClientProvidedName = clientName,
        };
    }

    /// <summary>Every host of the URL; the client tries them in random order, at the first connection and at each
    /// recovery, so a cluster node that is down is skipped.</summary>
    public static IReadOnlyList<AmqpTcpEndpoint> Endpoints(TransportUrl url) =>
        [.. url.Hosts.Select(h => new AmqpTcpEndpoint(h.Name, h.Port, Ssl(url, h)))];

    /// <summary>Opens a connection to one of the URL's hosts (with automatic recovery over all of them when asked).</summary>
    public static Task<IConnection> ConnectAsync(TransportUrl url, string clientName, bool automaticRecovery, CancellationToken cancellationToken) =>
        Factory(url, clientName, automaticRecovery).CreateConnectionAsync(Endpoints(url), clientName, cancellationToken);

    private static SslOption Ssl(TransportUrl url, TransportHost host) => new(host.Name, enabled: url.Tls);
}
