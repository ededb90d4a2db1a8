using System.Collections.Immutable;
using Doctor.Inventory;
using Doctor.OpenStack.Neutron;
using Doctor.OpenStack.Nova;
using Doctor.Serialization;

namespace Doctor.OpenStack.Sync;

/// <summary>What one sync pass changed in the map.</summary>
public sealed record SyncCounts(int Added, int Updated, int Removed, int Skipped)
{
    public static readonly SyncCounts None = new(0, 0, 0, 0);

    public int Repaired => Added + Updated + Removed;

    public static SyncCounts operator +(SyncCounts a, SyncCounts b) =>
        new(a.Added + b.Added, a.Updated + b.Updated, a.Removed + b.Removed, a.Skipped + b.Skipped);
}

/// <summary>
/// Brings the resource map in line with the cloud. The cloud owns what exists and where (hosts, servers, ports, their
/// projects and placement, a host's enabled status); Doctor owns the fault states it derived (a host's up/forced-down,
/// a server's error, a port's data plane), so a sync never undoes a correction Doctor made. Only items that came from
/// the cloud (metadata <c>source: openstack</c>) are removed when the cloud no longer has them; hosts, servers and
/// ports an admin put in by hand stay.
/// </summary>
public static class MapSync
{
    public const string SourceKey = "source";
    public const string Source = "openstack";
    public const string ServiceIdKey = "nova_service_id";

    /// <summary>Host metadata set while Doctor holds the host forced down in Nova (so a lost un-force can be repaired).</summary>
    public const string ForcedByDoctorKey = "nova_forced_down_by_doctor";

    private static readonly ImmutableSortedDictionary<string, string> Marked =
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create(SourceKey, Source)]);

    /// <summary>Applies a full snapshot: adds and updates what it shows, removes cloud items it no longer shows.</summary>
    /// <param name="cloudOwnsForcedDown">Hosts whose forced-down flag follows the cloud (no fault of Doctor's holds them and
    /// Doctor made no decision about them); null: the map keeps every existing host's flag.</param>
    public static SyncCounts ApplySnapshot(ResourceMapEditor map, CloudSnapshot snapshot, DateTimeOffset now, Func<string, bool>? cloudOwnsForcedDown = null)
    {
        var counts = SyncCounts.None;
        var hosts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var compute in snapshot.Computes)
        {
            if (!IsKey(compute.Host))
            {
                counts += new SyncCounts(0, 0, 0, 1);
                continue;
            }

            hosts.Add(compute.Host);
            counts += Apply(map, new CloudChange.ComputeSeen(compute.Host, compute.Id, compute.Zone, compute.Enabled, compute.ForcedDown), now,
                cloudOwnsForcedDown: cloudOwnsForcedDown);
        }

        var servers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var server in snapshot.Servers)
        {
            if (!IsKey(server.Id))
            {
                counts += new SyncCounts(0, 0, 0, 1);
                continue;
            }

            servers.Add(server.Id);
            counts += PutServer(map, new CloudChange.ServerSeen(server.Id, server.Name, server.ProjectId, server.Host), snapshot.GroupOf.GetValueOrDefault(server.Id), groupKnown: true, now);
        }

        var ports = new HashSet<string>(StringComparer.Ordinal);
        foreach (var port in snapshot.Ports)
        {
            if (!IsKey(port.Id))
            {
                counts += new SyncCounts(0, 0, 0, 1);
                continue;
            }

            ports.Add(port.Id);
            counts += Apply(map, new CloudChange.PortSeen(port.Id, port.DeviceId, port.ProjectId, port.Host, port.NetworkId, port.Status), now, port.DataPlaneStatus);
        }

        foreach (var id in map.PortIds().ToList())
        {
            if (!ports.Contains(id) && map.Port(id) is { } port && PortFromCloud(port, map) && map.RemovePort(id))
                counts += new SyncCounts(0, 0, 1, 0);
        }

        foreach (var id in map.ServerIds().ToList())
        {
            if (!servers.Contains(id) && IsFromCloud(map.Server(id)!.Metadata) && map.RemoveServer(id))
                counts += new SyncCounts(0, 0, 1, 0);
        }

        foreach (var name in map.HostNames().ToList())
        {
            if (!hosts.Contains(name) && IsFromCloud(map.Host(name)!.Metadata) && map.ServersOn(name).Count == 0 && map.RemoveHost(name))
                counts += new SyncCounts(0, 0, 1, 0);
        }

        return counts;
    }

    /// <summary>Applies one change a notification told.</summary>
    public static SyncCounts Apply(ResourceMapEditor map, CloudChange change, DateTimeOffset now, string? dataPlaneStatus = null,
        Func<string, bool>? cloudOwnsForcedDown = null)
    {
        switch (change)
        {
            case CloudChange.ServerSeen seen:
                return IsKey(seen.Id) ? PutServer(map, seen, null, groupKnown: false, now) : new SyncCounts(0, 0, 0, 1);
            case CloudChange.ServerGone gone:
                return map.Server(gone.Id) is not null && map.RemoveServer(gone.Id) ? new SyncCounts(0, 0, 1, 0) : SyncCounts.None;
            case CloudChange.ComputeSeen compute:
                return IsKey(compute.Host) ? PutHost(map, compute, now, cloudOwnsForcedDown) : new SyncCounts(0, 0, 0, 1);
            case CloudChange.PortSeen port:
                return IsKey(port.Id) ? PutPort(map, port, dataPlaneStatus, now) : new SyncCounts(0, 0, 0, 1);
            case CloudChange.PortGone gone:
                return map.Port(gone.Id) is not null && map.RemovePort(gone.Id) ? new SyncCounts(0, 0, 1, 0) : SyncCounts.None;
            default:
                return SyncCounts.None;
        }
    }

    private static SyncCounts PutHost(ResourceMapEditor map, CloudChange.ComputeSeen seen, DateTimeOffset now, Func<string, bool>? cloudOwnsForcedDown)
    {
        var existing = map.Host(seen.Host);
        if (existing is null)
        {
            var forced = seen.ForcedDown ?? false;
            var metadata = seen.ServiceId is null ? Marked : Marked.SetItem(ServiceIdKey, seen.ServiceId);
            map.PutHost(new Host
            {
                Name = seen.Host, Zone = Identifier(seen.Zone), Enabled = seen.Enabled ?? true, Up = !forced, ForcedDown = forced,
                Metadata = metadata, UpdatedAt = now,
            });
            return new SyncCounts(1, 0, 0, 0);
        }

        var updated = existing;
        if (seen.ServiceId is not null && existing.Metadata.GetValueOrDefault(ServiceIdKey) != seen.ServiceId)
            updated = updated with { Metadata = updated.Metadata.SetItem(ServiceIdKey, seen.ServiceId).SetItem(SourceKey, Source) };
        if (Identifier(seen.Zone) is { } zone && zone != existing.Zone)
            updated = updated with { Zone = zone };
        // A maintenance session owns a host's enabled status while it runs; otherwise the cloud's status is the truth.
        if (seen.Enabled is { } enabled && enabled != existing.Enabled && existing.Maintenance is null)
            updated = updated with { Enabled = enabled };
        // A forced-down flag Doctor did not set (an operator's, or one the map copied from the cloud when it first saw the
        // host) is the cloud's: when it is lifted in Nova the host is up again in the map too, instead of staying down
        // (host_status DOWN for its servers) for good.
        if (seen.ForcedDown is { } cloudForced && cloudForced != existing.ForcedDown && cloudOwnsForcedDown?.Invoke(existing.Name) == true)
            updated = updated with { ForcedDown = cloudForced, Up = !cloudForced };
        if (ReferenceEquals(updated, existing))
            return SyncCounts.None;
        map.PutHost(updated with { UpdatedAt = now });
        return new SyncCounts(0, 1, 0, 0);
    }

    private static SyncCounts PutServer(ResourceMapEditor map, CloudChange.ServerSeen seen, string? groupId, bool groupKnown, DateTimeOffset now)
    {
        var existing = map.Server(seen.Id);
        var host = Identifier(seen.Host);
        var group = groupKnown ? Identifier(groupId) : existing?.GroupId;
        if (existing is null)
        {
            if (host is not null && map.Host(host) is null)
                map.PutHost(new Host { Name = host, Metadata = Marked, UpdatedAt = now }); // a message about a host the map has not seen yet
            map.PutServer(new Server
            {
                Id = seen.Id, Name = Text(seen.Name), ProjectId = Identifier(seen.ProjectId), Host = host, GroupId = group,
                Metadata = Marked, UpdatedAt = now,
            });
            return new SyncCounts(1, 0, 0, 0);
        }

        var updated = existing with
        {
            Name = Text(seen.Name) ?? existing.Name,
            ProjectId = Identifier(seen.ProjectId) ?? existing.ProjectId,
            Host = host ?? existing.Host,
            GroupId = group,
            Metadata = IsFromCloud(existing.Metadata) ? existing.Metadata : existing.Metadata.SetItem(SourceKey, Source),
        };
        if (updated == existing)
            return SyncCounts.None;
        if (updated.Host is { } newHost && map.Host(newHost) is null)
            map.PutHost(new Host { Name = newHost, Metadata = Marked, UpdatedAt = now });
        map.PutServer(updated with { UpdatedAt = now });
        return new SyncCounts(0, 1, 0, 0);
    }

    private static SyncCounts PutPort(ResourceMapEditor map, CloudChange.PortSeen seen, string? dataPlaneStatus, DateTimeOffset now)
    {
        var existing = map.Port(seen.Id);
        var active = seen.Status is null ? existing?.Active ?? true : seen.Status != "DOWN";
        if (existing is null)
        {
            map.PutPort(new Port
            {
                Id = seen.Id, ServerId = Identifier(seen.ServerId), ProjectId = Identifier(seen.ProjectId), Host = Identifier(seen.Host),
                NetworkId = Identifier(seen.NetworkId), Active = active, DataPlaneUp = dataPlaneStatus switch { "ACTIVE" => true, "DOWN" => false, _ => null },
                UpdatedAt = now,
            });
            return new SyncCounts(1, 0, 0, 0);
        }

        var updated = existing with
        {
            ServerId = Identifier(seen.ServerId) ?? existing.ServerId,
            ProjectId = Identifier(seen.ProjectId) ?? existing.ProjectId,
            Host = Identifier(seen.Host) ?? existing.Host,
            NetworkId = Identifier(seen.NetworkId) ?? existing.NetworkId,
            Active = active,
        };
        if (updated == existing)
            return SyncCounts.None;
        map.PutPort(updated with { UpdatedAt = now });
        return new SyncCounts(0, 1, 0, 0);
    }

    /// <summary>Sets the server group of every cloud server from Nova's groups (a notification does not carry it): used
    /// shortly after servers appear, so an ACT-STBY pair booted into a group is known as one within seconds.</summary>
    public static SyncCounts ApplyGroups(ResourceMapEditor map, IReadOnlyDictionary<string, string> groupOf, DateTimeOffset now)
    {
        var counts = SyncCounts.None;
        foreach (var id in map.ServerIds())
        {
            var server = map.Server(id)!;
            var group = Identifier(groupOf.GetValueOrDefault(id));
            if (!IsFromCloud(server.Metadata) || server.GroupId == group)
                continue;
            map.PutServer(server with { GroupId = group, UpdatedAt = now });
            counts += new SyncCounts(0, 1, 0, 0);
        }

        return counts;
    }

    /// <summary>A port came from the cloud when its server did (ports carry no metadata of their own).</summary>
    private static bool PortFromCloud(Port port, ResourceMapEditor map) =>
        port.ServerId is null || map.Server(port.ServerId) is not { } server || IsFromCloud(server.Metadata);

    private static bool IsFromCloud(ImmutableSortedDictionary<string, string>? metadata) =>
        metadata is not null && metadata.GetValueOrDefault(SourceKey) == Source;

    /// <summary>A map key (host name, server or port id) must be a valid identifier and URL path segment.</summary>
    private static bool IsKey(string? value) =>
        value is not null && Fields.IsIdentifier(value) && !value.Contains('/', StringComparison.Ordinal) && value is not ("." or "..");

    private static string? Identifier(string? value) => value is not null && Fields.IsIdentifier(value) ? value : null;

    private static string? Text(string? value) => value is null ? null : value.Length <= DoctorConstants.MaxIdentifierLength ? value : value[..DoctorConstants.MaxIdentifierLength];
}
