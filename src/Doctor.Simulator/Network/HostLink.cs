using System.Net;

namespace Doctor.Simulator.Network;

/// <summary>
/// One simulated host in link mode: a network namespace whose NIC (<see cref="LinkNames.NamespaceVeth"/>) is one
/// end of a veth pair, the other end (<paramref name="HostVeth"/>) in the root namespace, on /30 block <paramref name="Block"/>.
/// </summary>
public sealed record HostLink(string Host, string Namespace, string HostVeth, int Block)
{
    public IPAddress HostAddress => LinkAddresses.HostSide(Block);

    public IPAddress NamespaceAddress => LinkAddresses.NamespaceSide(Block);

    /// <summary>The <c>ip</c> commands that build it, in order (the namespace first: everything else dies with it).</summary>
    public IEnumerable<string[]> Setup()
    {
        yield return ["netns", "add", Namespace];
        // The peer is born inside the namespace, so no half-made pair is ever left in the root namespace.
        yield return ["link", "add", HostVeth, "type", "veth", "peer", "name", LinkNames.NamespaceVeth, "netns", Namespace];
        yield return ["addr", "add", $"{HostAddress}/{LinkAddresses.PrefixLength}", "dev", HostVeth];
        yield return ["-n", Namespace, "addr", "add", $"{NamespaceAddress}/{LinkAddresses.PrefixLength}", "dev", LinkNames.NamespaceVeth];
        yield return ["link", "set", HostVeth, "up"];
        yield return ["-n", Namespace, "link", "set", LinkNames.NamespaceVeth, "up"];
    }

    /// <summary>
    /// Takes the host's own NIC down or up, as the original test did on the compute node. Not the root-side end: taking
    /// that down removes the /30 route, and the probes would then follow the default route out of this machine.
    /// With the namespace side down the route stays (marked linkdown), the SYN dies in the veth and the probe times out.
    /// </summary>
    public string[] SetLink(bool up) => ["-n", Namespace, "link", "set", LinkNames.NamespaceVeth, up ? "up" : "down"];

    /// <summary>
    /// Forgets the root side's unanswered ARP entry for the host. A probe while the link was down left it
    /// INCOMPLETE, and the kernel asks again only after a second (retrans_time): the recovered host would look dead
    /// that long. Only this veth's entries, and the host is its only neighbour.
    /// </summary>
    public string[] ForgetNeighbour() => ["neigh", "flush", "dev", HostVeth];
}
