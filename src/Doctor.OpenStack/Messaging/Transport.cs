using RabbitMQ.Client;

namespace Doctor.OpenStack.Messaging;

/// <summary>RabbitMQ connections from an oslo.messaging transport URL (<c>rabbit://user:pass@host:port/vhost</c>).</summary>
public static class Transport
{
    /// <summary>A factory for the first host of <paramref name="transportUrl"/> (oslo.messaging lists several with commas;
    /// the rest are ignored), with automatic recovery on.</summary>
    public static ConnectionFactory Factory(string transportUrl, string clientName)
    {
        // rabbit://u:p@h1:5672,u:p@h2:5672/vhost → the first host and the vhost.
        var text = transportUrl.Trim();
        var scheme = text[..text.IndexOf("://", StringComparison.Ordinal)];
        var rest = text[(scheme.Length + 3)..];
        var slash = rest.IndexOf('/');
        var hosts = slash < 0 ? rest : rest[..slash];
        var vhost = slash < 0 ? "" : Uri.UnescapeDataString(rest[(slash + 1)..].Split('?')[0]);
        var first = new Uri((scheme == "amqps" ? "amqps" : "amqp") + "://" + hosts.Split(',')[0]);
        var user = first.UserInfo.Split(':', 2);
        return new ConnectionFactory
        {
            HostName = first.Host,
            Port = first.IsDefaultPort || first.Port <= 0 ? (scheme == "amqps" ? 5671 : 5672) : first.Port,
            UserName = user[0].Length > 0 ? Uri.UnescapeDataString(user[0]) : "guest",
            Password = user.Length > 1 ? Uri.UnescapeDataString(user[1]) : "guest",
            VirtualHost = vhost.Length == 0 ? "/" : vhost,
            Ssl = { Enabled = scheme == "amqps", ServerName = first.Host },
            AutomaticRecoveryEnabled = true,
            TopologyRecoveryEnabled = true,
            NetworkRecoveryInterval = TimeSpan.FromSeconds(2),
            RequestedHeartbeat = TimeSpan.FromSeconds(30),
            ClientProvidedName = clientName,
        };
    }
}
