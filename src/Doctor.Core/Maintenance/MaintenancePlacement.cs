using Doctor.Inventory;
using Doctor.State;

namespace Doctor.Maintenance;

/// <summary>
/// Where the embedded controller may move a server: an enabled, up host that is in no maintenance and holds no other
/// member of the server's anti-affinity group (<c>group_id</c>).
/// </summary>
public static class MaintenancePlacement
{
    /// <summary>The best host for <paramref name="server"/> off <paramref name="from"/>, or null. Already-maintained hosts
    /// come first, then hosts outside the session (nothing will move again), then the emptiest.</summary>
    public static string? Target(StateEditor editor, MaintenanceSession session, Server server, string from, bool maintainedOnly,
        IReadOnlyDictionary<string, List<string>>? planned = null)
    {
        var map = editor.Map;
        IEnumerable<string> candidates = maintainedOnly
            ? session.Hosts.Where(h => Progress(session, h) == HostProgress.Maintained)
            : map.HostNames();
        string? best = null;
        (int, int, int) bestKey = default;
        foreach (var name in candidates)
        {
            if (name == from || map.Host(name) is not { } host || !Placeable(host))
                continue;
            if (server.GroupId is { } group && Conflicts(editor, group, server.Id, name, planned))
                continue;
            var key = (Progress(session, name) == HostProgress.Maintained ? 0 : 1, session.Hosts.Contains(name) ? 1 : 0, map.ServersOn(name).Count);
            if (best is null || key.CompareTo(bestKey) < 0)
                (best, bestKey) = (name, key);
        }

        return best;
    }

    /// <summary>Why <paramref name="host"/> cannot be emptied, or null when every server on it has somewhere to go.</summary>
    public static string? CannotEmpty(StateEditor editor, MaintenanceSession session, string host, bool maintainedOnly)
    {
        var planned = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var id in editor.Map.ServersOn(host).Order(StringComparer.Ordinal))
        {
            var server = editor.Map.Server(id)!;
            var target = Target(editor, session, server, host, maintainedOnly, planned);
            if (target is null)
            {
                var where = maintainedOnly ? "no maintained host" : "no other enabled host";
                var group = server.GroupId is null ? "" : $" (anti-affinity group {server.GroupId})";
                return $"host {host} cannot be emptied: {where} can take server {server.Id}{group}";
            }

            if (server.GroupId is not null)
            {
                if (!planned.TryGetValue(target, out var list))
                    planned[target] = list = [];
                list.Add(server.GroupId);
            }
        }

        return null;
    }

    public static bool Placeable(Host host) => host.Enabled && host.Up && !host.ForcedDown && host.Maintenance is null;

    public static HostProgress Progress(MaintenanceSession session, string host) =>
        session.HostRecords.TryGetValue(host, out var record) ? record.Progress : HostProgress.Pending;

    /// <summary>Whether <paramref name="host"/> already holds as many members of the group as one host may: one for an
    /// anti-affinity group (the default), <c>max_instances_per_host</c> when its record says <c>anti_affinity_group: false</c>.</summary>
    private static bool Conflicts(StateEditor editor, string group, string serverId, string host, IReadOnlyDictionary<string, List<string>>? planned)
    {
        var limit = editor.Constraints.Group(group)?.PerHost ?? 1;
        var members = planned is not null && planned.TryGetValue(host, out var groups) ? groups.Count(g => g == group) : 0;
        foreach (var member in editor.Map.ServersInGroup(group))
        {
            if (member != serverId && editor.Map.Server(member)?.Host == host)
                members++;
        }

        return members >= limit;
    }
}
