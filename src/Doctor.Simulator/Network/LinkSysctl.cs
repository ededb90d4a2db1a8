namespace Doctor.Simulator.Network;

/// <summary>
/// The one kernel setting the link mode's safety rests on: a route whose device lost its carrier must stay in use
/// (<c>ignore_routes_with_linkdown = 0</c>), so the probes of a failed host die in its veth instead of taking the
/// default route off this machine.
/// </summary>
public static class LinkSysctl
{
    private const string Folder = "/proc/sys/net/ipv4/conf";

    /// <summary>Whether the machine-wide setting ignores linkdown routes (it is ORed with each device's).</summary>
    public static bool IgnoresLinkdownRoutes() => Read("all") == "1";

    /// <summary>Clears the setting on <paramref name="device"/>, which inherited the machine's default when created.</summary>
    public static void KeepLinkdownRoutes(string device)
    {
        if (Read(device) == "1")
            File.WriteAllText($"{Folder}/{device}/ignore_routes_with_linkdown", "0");
    }

    private static string? Read(string device)
    {
        var path = $"{Folder}/{device}/ignore_routes_with_linkdown";
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }
}
