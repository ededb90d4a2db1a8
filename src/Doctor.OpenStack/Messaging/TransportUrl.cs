namespace Doctor.OpenStack.Messaging;

/// <summary>
/// An oslo.messaging transport URL, <c>rabbit://user:pass@host1:5672,user:pass@host2:5672/vhost</c>, read the way oslo reads
/// it (<c>oslo_messaging.TransportURL.parse</c>): the hosts are the comma-separated entries between <c>//</c> and the first
/// <c>/</c>, each <c>[user[:password]@]host[:port]</c> (user and password percent-escaped, an IPv6 address in brackets,
/// empty entries skipped), then the percent-escaped virtual host; a query (<c>?…</c>) is ignored.
/// </summary>
public sealed record TransportUrl(IReadOnlyList<TransportHost> Hosts, string VirtualHost, bool Tls)
{
    public const int DefaultPort = 5672;
    public const int DefaultTlsPort = 5671;

    /// <summary>RabbitMQ's (and oslo's <c>rabbit_userid</c> / <c>rabbit_password</c>) default credentials.</summary>
    public const string DefaultUser = "guest";

    /// <summary>The credentials of the connection. The RabbitMQ client takes one user for all its endpoints, so a URL giving
    /// hosts different users or passwords connects to all of them with the first host's (docs/operations.md); a host that
    /// names none uses the first host's too.</summary>
    public (string User, string Password) Credentials => (Hosts[0].User ?? DefaultUser, Hosts[0].Password ?? DefaultUser);

    /// <summary>True when a later host names a user or password other than the first host's (they are not used).</summary>
    public bool CredentialsDiffer => Hosts.Skip(1).Any(h => h.User is not null && (h.User, h.Password ?? DefaultUser) != Credentials);

    /// <summary>The hosts as <c>host:port</c>, for logs (never the credentials).</summary>
    public string Describe() => string.Join(",", Hosts.Select(h => (h.Name.Contains(':') ? $"[{h.Name}]" : h.Name) + ":" + h.Port)) +
        (VirtualHost == "/" ? "" : "/" + VirtualHost);

    /// <summary>Reads <paramref name="text"/>; a URL that cannot be used gives a <see cref="FormatException"/> saying what is
    /// wrong without repeating the URL (it holds a password).</summary>
    public static TransportUrl Parse(string text) =>
        TryParse(text, out var url, out var error) ? url : throw new FormatException(error);

    public static bool TryParse(string? text, out TransportUrl url, out string error)
    {
        url = null!;
        error = "";
        text = text?.Trim() ?? "";
        var separator = text.IndexOf("://", StringComparison.Ordinal);
        var scheme = separator < 0 ? "" : text[..separator].ToLowerInvariant();
        if (scheme is not ("rabbit" or "amqp" or "amqps"))
        {
            error = "must be a rabbit:// (or amqp://, amqps://) URL";
            return false;
        }

        var tls = scheme == "amqps";
        var rest = text[(separator + 3)..];
        var query = rest.IndexOfAny(['?', '#']);
        if (query >= 0)
            rest = rest[..query];
        var slash = rest.IndexOf('/');
        var netloc = slash < 0 ? rest : rest[..slash];
        var vhost = slash < 0 ? "" : Uri.UnescapeDataString(rest[(slash + 1)..]);

        var hosts = new List<TransportHost>();
        var entries = netloc.Split(',');
        for (var i = 0; i < entries.Length; i++)
        {
            if (entries[i].Length == 0)
                continue; // oslo skips them too ("h1,,h2", a trailing comma)
            if (!TryParseHost(entries[i], tls, out var host, out var problem))
            {
                error = $"host {i + 1} of the URL {problem}";
                return false;
            }

            hosts.Add(host);
        }

        if (hosts.Count == 0)
        {
            error = "names no host (rabbit://user:pass@host:5672/)";
            return false;
        }

        url = new TransportUrl(hosts, vhost.Length == 0 ? "/" : vhost, tls);
        return true;
    }

    private static bool TryParseHost(string entry, bool tls, out TransportHost host, out string problem)
    {
        host = null!;
        problem = "";
        string? user = null, password = null;
        var at = entry.LastIndexOf('@'); // oslo: rsplit('@', 1), so an unescaped '@' in a password still works
        var address = entry;
        if (at >= 0)
        {
            var credentials = entry[..at];
            address = entry[(at + 1)..];
            var colon = credentials.IndexOf(':');
            user = Uri.UnescapeDataString(colon < 0 ? credentials : credentials[..colon]);
            password = colon < 0 ? null : Uri.UnescapeDataString(credentials[(colon + 1)..]);
        }

        string name;
        string? port = null;
        if (address.StartsWith('['))
        {
            var end = address.IndexOf(']');
            if (end < 0)
            {
                problem = "has an IPv6 address without its closing ']'";
                return false;
            }

            name = address[1..end];
            var after = address[(end + 1)..];
            if (after.Length > 0 && !after.StartsWith(':'))
            {
                problem = "has text after its IPv6 address that is not a :port";
                return false;
            }

            port = after.Length > 0 ? after[1..] : null;
        }
        else
        {
            var colon = address.IndexOf(':');
            name = colon < 0 ? address : address[..colon];
            port = colon < 0 ? null : address[(colon + 1)..];
        }

        if (name.Length == 0)
        {
            problem = "has no host name";
            return false;
        }

        // Lenient as oslo (which checks nothing): only what cannot be part of any host name. Names with '_' exist (containers).
        if (name.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is '/' or '\\' or '@' or '[' or ']' or '?' or '#'))
        {
            problem = $"has an invalid host name '{name}'";
            return false;
        }

        var number = tls ? DefaultTlsPort : DefaultPort;
        if (!string.IsNullOrEmpty(port) && (!int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out number) || number is < 1 or > 65_535))
        {
            problem = $"has an invalid port '{port}' (1-65535)";
            return false;
        }

        host = new TransportHost(name, number, user is { Length: > 0 } ? user : null, user is { Length: > 0 } ? password : null);
        return true;
    }
}

/// <summary>One broker of a transport URL; <see cref="User"/> and <see cref="Password"/> are null when the entry names none.</summary>
public sealed record TransportHost(string Name, int Port, string? User, string? Password)
{
    /// <summary>Never prints the password (records print every property).</summary>
    public override string ToString() => $"{Name}:{Port}";
}
