using System.Net;

namespace Doctor.Notification;

/// <summary>
/// Which destinations a <c>callback_url</c> may reach. By default loopback and private networks are allowed
/// and link-local / cloud-metadata addresses are refused; the check runs again on every connect, after DNS,
/// so a name cannot be re-pointed at a refused address.
/// </summary>
public sealed class CallbackPolicy
{
    /// <summary>Refused unless the operator replaces the list: link-local (incl. 169.254.169.254), "this" network, cloud metadata.</summary>
    public static readonly IReadOnlyList<string> DefaultDenied =
        ["169.254.0.0/16", "fe80::/10", "0.0.0.0/8", "100.100.100.200/32", "fd00:ec2::254/128"];

    private readonly IPNetwork[] _denied;
    private readonly IPNetwork[]? _allowed;

    public CallbackPolicy(IEnumerable<string>? denied = null, IEnumerable<string>? allowed = null)
    {
        _denied = [.. (denied ?? DefaultDenied).Select(IPNetwork.Parse)];
        var allowedList = allowed?.ToList();
        _allowed = allowedList is { Count: > 0 } ? [.. allowedList.Select(IPNetwork.Parse)] : null;
    }

    public static CallbackPolicy Default { get; } = new();

    /// <summary>Null when <paramref name="url"/> is acceptable, otherwise why not.</summary>
    public string? Check(string? url)
    {
        if (string.IsNullOrEmpty(url) || url.Length > 2048)
            return "callback_url must be an absolute http(s) URL of at most 2048 characters";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            return "callback_url must be an absolute http or https URL";
        if (!string.IsNullOrEmpty(uri.UserInfo))
            return "callback_url must not carry credentials; use the subscription secret";
        if (uri.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 && IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var ip) && !IsAllowed(ip))
            return $"callback_url points at {ip}, which the callback policy refuses (link-local and metadata addresses by default)";
        return null;
    }

    public bool IsAllowed(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        foreach (var network in _denied)
        {
            if (network.Contains(address))
                return false;
        }

        if (_allowed is null)
            return true;
        foreach (var network in _allowed)
        {
            if (network.Contains(address))
                return true;
        }

        return false;
    }
}
