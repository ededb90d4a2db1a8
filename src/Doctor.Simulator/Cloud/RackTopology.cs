namespace Doctor.Simulator.Cloud;

/// <summary>A device of the simulated cloud: a top-of-rack switch or a rack PDU, and what depends on it.</summary>
public sealed record SimDevice(string Id, string Kind, string Zone, string Rack, IReadOnlyList<string> Feeds);

/// <summary>A rack: its hosts and the devices they hang off.</summary>
public sealed record SimRack(string Name, string Zone, IReadOnlyList<string> Hosts, IReadOnlyList<SimDevice> Devices);

/// <summary>
/// Racks of hosts behind top-of-rack switches (kind <c>switch</c>), optionally a PDU per rack (kind <c>pdu</c>) feeding
/// the rack's switches and hosts. No randomness: the layout follows the host order alone, so adding racks to a spec
/// never moves a VM of the same seed.
/// </summary>
public static class RackTopology
{
    /// <summary>Most switches in one rack: two is the redundant pair a telecom rack has; more is not a layout we model.</summary>
    public const int MaxSwitchesPerRack = 2;

    /// <summary>
    /// Deals the hosts of each zone, in order, into racks of <paramref name="hostsPerRack"/> (the last rack of a zone may
    /// be shorter): a rack never spans zones, as a physical one cannot. Racks are numbered across zones in order.
    /// </summary>
    public static IReadOnlyList<SimRack> Build(IReadOnlyList<string> hosts, Func<int, string> zoneOf, int hostsPerRack, int switchesPerRack, bool pdus)
    {
        if (hostsPerRack < 1)
            throw new ArgumentException("hosts-per-rack must be positive");
        if (switchesPerRack is < 1 or > MaxSwitchesPerRack)
            throw new ArgumentException($"switches-per-rack must be 1 or {MaxSwitchesPerRack}");
        var racks = new List<SimRack>();
        var byZone = hosts.Select((host, index) => (host, zone: zoneOf(index))).GroupBy(h => h.zone).OrderBy(g => g.Key, StringComparer.Ordinal);
        foreach (var zone in byZone)
        {
            foreach (var chunk in zone.Select(h => h.host).Chunk(hostsPerRack))
            {
                var number = racks.Count + 1;
                var rack = $"rack-{number:000}";
                var devices = new List<SimDevice>();
                for (var s = 1; s <= switchesPerRack; s++)
                    devices.Add(new SimDevice($"tor-{number:000}-{s}", "switch", zone.Key, rack, chunk));
                if (pdus)
                    devices.Add(new SimDevice($"pdu-{number:000}", "pdu", zone.Key, rack, [.. devices.Select(d => d.Id), .. chunk]));
                racks.Add(new SimRack(rack, zone.Key, chunk, devices));
            }
        }

        return racks;
    }
}
