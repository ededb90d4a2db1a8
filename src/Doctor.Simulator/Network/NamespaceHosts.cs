using System.Net;
using Doctor.Simulator.Monitoring;

namespace Doctor.Simulator.Network;

/// <summary>
/// <c>--inject link</c>: each simulated host is a network namespace with a veth pair to the root namespace, a /30
/// of 10.213.0.0/16 and a TCP listener inside; failing a host is <c>ip link set eth0 down</c> on its NIC, as the
/// original test did on the compute node. Needs root and iproute2; <see cref="CreateAsync"/> throws
/// <see cref="LinkUnavailableException"/> (having created nothing) where namespaces cannot be made.
/// Everything it creates is deleted on dispose, and leftovers of runs that died are deleted on the next start.
/// </summary>
public sealed class NamespaceHosts : IHostNetwork
{
    /// <summary>Where each host's listener answers, inside its own namespace.</summary>
    public const int ProbePort = 7213;

    // A fixed folder, not TMPDIR: every run on the machine must meet at the same lock.
    private static readonly string LockPath = Path.Combine(Directory.Exists("/run/lock") ? "/run/lock" : "/tmp", "doctor-link-inject.lock");

    // Process-wide, so two instances in one process (tests running side by side) never pick the same names.
    private static int s_serial = -1;

    private readonly IpCommand _ip;
    private readonly Dictionary<string, HostLink> _links = new(StringComparer.Ordinal);
    private readonly List<ProbeListener> _listeners = [];
    private int _disposed;

    private NamespaceHosts(IpCommand ip) => _ip = ip;

    public string Kind => "link";

    public IReadOnlyDictionary<string, HostLink> Links => _links;

    public ProbeTarget TargetOf(string host) => new(host, _links[host].NamespaceAddress.ToString(), ProbePort);

    public async Task FailAsync(string host, CancellationToken cancellationToken) => await _ip.RunAsync(_links[host].SetLink(up: false), cancellationToken);

    public async Task RecoverAsync(string host, CancellationToken cancellationToken)
    {
        await _ip.RunAsync(_links[host].SetLink(up: true), cancellationToken);
        await _ip.RunAsync(_links[host].ForgetNeighbour(), cancellationToken);
    }

    /// <summary>Builds one namespace host per name in <paramref name="hosts"/>.</summary>
    public static async Task<NamespaceHosts> CreateAsync(IReadOnlyList<string> hosts, TimeProvider time, CancellationToken cancellationToken)
    {
        var ip = Preflight();
        var network = new NamespaceHosts(ip);
        try
        {
            using (await MachineLock.AcquireAsync(LockPath, TimeSpan.FromSeconds(60), time, cancellationToken))
            {
                await RemoveStaleAsync(ip, cancellationToken);
                var (used, foreign) = LinkAddresses.ReadRoutes((await ip.RunAsync(cancellationToken, "-4", "-o", "route", "show")).Split('\n'));
                if (foreign.Count > 0)
                    throw new LinkUnavailableException($"10.213.0.0/16 is already routed on this machine ({foreign[0]}); the link mode uses it for its hosts");
                var blocks = LinkAddresses.Free(used, hosts.Count);
                var pid = Environment.ProcessId;
                for (var i = 0; i < hosts.Count; i++)
                {
                    var serial = Interlocked.Increment(ref s_serial);
                    var link = new HostLink(hosts[i], LinkNames.Namespace(pid, serial), LinkNames.HostVeth(pid, serial), blocks[i]);
                    await network.BuildAsync(link, first: i == 0, cancellationToken);
                }
            }

            return network;
        }
        catch
        {
            await network.DisposeAsync();
            throw;
        }
    }

    /// <summary>Closes the listeners (a socket keeps its namespace alive) and deletes the namespaces; veths die with them.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        foreach (var listener in _listeners)
            listener.Dispose();
        foreach (var link in _links.Values)
        {
            try
            {
                await _ip.RunAsync(CancellationToken.None, "netns", "delete", link.Namespace);
            }
            catch (IpCommandException)
            {
                // Left for the next run's stale sweep: its name says its process is gone.
            }
        }
    }

    private static IpCommand Preflight()
    {
        if (!OperatingSystem.IsLinux())
            throw new LinkUnavailableException("network namespaces exist only on Linux");
        if (!Environment.IsPrivilegedProcess)
            throw new LinkUnavailableException("not running as root: creating network namespaces and veth pairs needs root");
        var ip = IpCommand.Find() ?? throw new LinkUnavailableException("the ip command (iproute2) was not found");
        if (LinkSysctl.IgnoresLinkdownRoutes())
            throw new LinkUnavailableException("net.ipv4.conf.all.ignore_routes_with_linkdown is 1: probes of a failed host would leave this machine by the default route");
        return ip;
    }

    private static async Task RemoveStaleAsync(IpCommand ip, CancellationToken cancellationToken)
    {
        var names = (await ip.RunAsync(cancellationToken, "netns", "list")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ')[0]);
        foreach (var stale in LinkNames.Stale(names, pid => Directory.Exists($"/proc/{pid}")))
        {
            try
            {
                await ip.RunAsync(cancellationToken, "netns", "delete", stale);
            }
            catch (IpCommandException)
            {
                // Someone else's leftover we may not remove (e.g. without CAP_SYS_ADMIN); it holds a /30 we will skip.
            }
        }
    }

    private async Task BuildAsync(HostLink link, bool first, CancellationToken cancellationToken)
    {
        var steps = link.Setup().ToList();
        try
        {
            await _ip.RunAsync(steps[0], cancellationToken);
        }
        catch (IpCommandException ex) when (first)
        {
            throw new LinkUnavailableException($"cannot create a network namespace: {ex.Message}");
        }

        _links.Add(link.Host, link);
        foreach (var step in steps.Skip(1))
            await _ip.RunAsync(step, cancellationToken);
        LinkSysctl.KeepLinkdownRoutes(link.HostVeth);
        var socket = await NamespaceSocket.ListenAsync(link.Namespace, new IPEndPoint(link.NamespaceAddress, ProbePort), backlog: 512);
        _listeners.Add(new ProbeListener(socket));
    }
}
