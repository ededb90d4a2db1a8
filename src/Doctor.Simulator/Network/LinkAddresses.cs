using System.Buffers.Binary;
using System.Net;

namespace Doctor.Simulator.Network;

/// <summary>
/// Addresses of namespace hosts: host number <c>b</c> of all runs on this machine gets the /30 block <c>b</c> of
/// 10.213.0.0/16 (.1 on the root side, .2 in the namespace). Probes only ever go to these blocks.
/// </summary>
public static class LinkAddresses
{
    public const int PrefixLength = 30;

    /// <summary>/30 blocks in 10.213.0.0/16.</summary>
    public const int Blocks = 1 << (32 - 16 - 2);

    private const uint Base = 0x0AD5_0000; // 10.213.0.0

    public static IPAddress HostSide(int block) => Address(block, 1);

    public static IPAddress NamespaceSide(int block) => Address(block, 2);

    /// <summary>The block <paramref name="address"/> falls in, or null outside 10.213.0.0/16.</summary>
    public static int? BlockOf(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        if (bytes.Length != 4)
            return null;
        var value = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        return value >> 16 == Base >> 16 ? (int)((value - Base) >> 2) : null;
    }

    /// <summary>
    /// Reads the root namespace's IPv4 routes (<c>ip -4 -o route show</c>): the blocks our veths (of any run) hold,
    /// and the routes into 10.213.0.0/16 that are not ours, which make the link mode unsafe here.
    /// </summary>
    public static (HashSet<int> Used, List<string> Foreign) ReadRoutes(IEnumerable<string> routeLines)
    {
        var used = new HashSet<int>();
        var foreign = new List<string>();
        foreach (var line in routeLines)
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Length == 0)
                continue;
            var destination = words[0] is "unicast" or "local" or "blackhole" or "unreachable" or "prohibit" && words.Length > 1 ? words[1] : words[0];
            if (!IPNetwork.TryParse(destination.Contains('/', StringComparison.Ordinal) ? destination : destination + "/32", out var network) ||
                network.PrefixLength < 16 || BlockOf(network.BaseAddress) is not { } block)
            {
                continue;
            }

            var device = Array.IndexOf(words, "dev") is var at and >= 0 && at + 1 < words.Length ? words[at + 1] : null;
            if (device is not null && LinkNames.IsHostVeth(device) && network.PrefixLength >= PrefixLength)
                used.Add(block);
            else
                foreign.Add(line.Trim());
        }

        return (used, foreign);
    }

    /// <summary>The <paramref name="count"/> lowest blocks not in <paramref name="used"/>.</summary>
    public static IReadOnlyList<int> Free(IReadOnlySet<int> used, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var free = Enumerable.Range(0, Blocks).Where(b => !used.Contains(b)).Take(count).ToList();
        if (free.Count < count)
            throw new InvalidOperationException($"only {free.Count} free /30 blocks left in 10.213.0.0/16 for {count} hosts");
        return free;
    }

    private static IPAddress Address(int block, int offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(block);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(block, Blocks);
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, Base + ((uint)block << 2) + (uint)offset);
        return new IPAddress(bytes);
    }
}
