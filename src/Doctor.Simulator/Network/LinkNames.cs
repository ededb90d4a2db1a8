using System.Globalization;
using System.Text.RegularExpressions;

namespace Doctor.Simulator.Network;

/// <summary>
/// Names of what the link mode creates. Each name carries the creating process id, so a later run can tell the
/// leftovers of a process that died (and delete them) from those of a run still going on beside it.
/// </summary>
public static partial class LinkNames
{
    /// <summary>Longest interface name Linux accepts (IFNAMSIZ − 1).</summary>
    public const int MaxInterfaceName = 15;

    /// <summary>The NIC of a simulated host, inside its namespace: the one the original test took down.</summary>
    public const string NamespaceVeth = "eth0";

    /// <summary>Network namespace of host number <paramref name="serial"/> of process <paramref name="pid"/>: <c>dr-PID-N</c>.</summary>
    public static string Namespace(int pid, int serial) => string.Create(CultureInfo.InvariantCulture, $"dr-{pid}-{serial}");

    /// <summary>The root-namespace end of the host's veth pair: <c>drPID-N</c>, short enough for an interface name.</summary>
    public static string HostVeth(int pid, int serial)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pid);
        ArgumentOutOfRangeException.ThrowIfNegative(serial);
        var name = string.Create(CultureInfo.InvariantCulture, $"dr{pid}-{serial}");
        if (name.Length > MaxInterfaceName)
            throw new ArgumentOutOfRangeException(nameof(serial), $"interface name {name} is longer than {MaxInterfaceName} characters");
        return name;
    }

    /// <summary>The process that created namespace <paramref name="name"/>, when the name is one of ours.</summary>
    public static int? OwnerOfNamespace(string name) => Owner(NamespacePattern().Match(name));

    /// <summary>Whether <paramref name="name"/> is the root-side veth of a namespace host.</summary>
    public static bool IsHostVeth(string name) => HostVethPattern().IsMatch(name);

    /// <summary>Our namespaces among <paramref name="namespaces"/> whose creating process is gone.</summary>
    public static IReadOnlyList<string> Stale(IEnumerable<string> namespaces, Func<int, bool> isAlive) =>
        [.. namespaces.Where(n => OwnerOfNamespace(n) is { } pid && !isAlive(pid))];

    private static int? Owner(Match match) =>
        match.Success && int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;

    [GeneratedRegex(@"^dr-([0-9]{1,10})-[0-9]{1,10}$")]
    private static partial Regex NamespacePattern();

    [GeneratedRegex(@"^dr[0-9]{1,10}-[0-9]{1,10}$")]
    private static partial Regex HostVethPattern();
}
