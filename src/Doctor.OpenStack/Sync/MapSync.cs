using System.Collections.Immutable;
using Doctor.Inventory;
using Doctor.OpenStack.Maintenance;
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
/// <remarks>
/// A snapshot is read over some time while notifications keep being applied. So that an older read never undoes a newer
/// message, <see cref="ApplySnapshot"/> gets the time its read started and leaves alone every item changed after it
/// (<c>UpdatedAt</c> later than the read: a server a notification created is not removed, a server a notification moved
/// is not moved back), and does not bring back what a notification removed after it (<see cref="SyncTombstones"/>).
/// Whatever it leaves alone, the next reconciliation looks at again.
/// </remarks>
public static class MapSync
{
    public const string SourceKey = "source";
    public const string Source = "openstack";
    public const string ServiceIdKey = "nova_service_id";

    /// <summary>Host metadata set while Doctor holds the host forced down in Nova (so a lost un-force can be repaired).</summary>
    public const string ForcedByDoctorKey = "nova_forced_down_by_doctor";

    private static readonly ImmutableSortedDictionary<string, string> Marked =
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create(SourceKey, Source)]);

    private static readonly SyncCounts One = new(0, 0, 0, 1);

    /// <summary>Applies a full snapshot whose read started at <paramref name="readAt"/>: adds and updates what it shows,
    /// removes cloud items it no longer shows, except what changed (or was removed, per <paramref name="removed"/>) after
    /// <paramref name="readAt"/>.</summary>
    /// <param name="doctorHoldsDown">True for a host Doctor itself holds forced down (an active <c>host_down</c> fault, or
    /// its force-down/un-force call still under way): its forced-down flag is Doctor's. For any other host the cloud's
    /// <c>forced_down</c> is the truth (an operator's own force-down in Nova, and its lifting). Null: never taken from the
    /// cloud after the host was added.</param>
    public static SyncCounts ApplySnapshot(ResourceMapEditor map, CloudSnapshot snapshot, DateTimeOffset readAt, SyncTombstones? removed = null,
        Func<string, bool>? doctorHoldsDown = null)
    {
        var counts = SyncCounts.None;
        var hosts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var compute in snapshot.Computes)
        {
            if (!IsKey(compute.Host))
            {
                counts += One;
                continue;
            }

            hosts.Add(compute.Host);
            counts += PutHost(map, new CloudChange.ComputeSeen(compute.Host, compute.Id, compute.Zone, compute.Enabled, compute.ForcedDown)
            {
                DisabledReason = compute.DisabledReason,
            }, readAt, readAt, doctorHoldsDown);
        }

        var servers = new HashSet<string>(StringComparer.Ordinal);
        foreach (var server in snapshot.Servers)
        {
            if (!IsKey(server.Id))
            {
                counts += One;
                continue;
            }

            servers.Add(server.Id);
            if (removed?.RemovedAfter(ResourceType.Server, server.Id, readAt) == true)
            {
                counts += One; // deleted (a notification said so) after this read started
                continue;
            }

            counts += PutServer(map, new CloudChange.ServerSeen(server.Id, server.Name, server.ProjectId, server.Host), snapshot.GroupOf.GetValueOrDefault(server.Id), groupKnown: true, readAt, readAt);
        }

        var ports = new HashSet<string>(StringComparer.Ordinal);
        foreach (var port in snapshot.Ports)
        {
            if (!IsKey(port.Id))
            {
                counts += One;
                continue;
            }

            ports.Add(port.Id);
            if (removed?.RemovedAfter(ResourceType.Port, port.Id, readAt) == true)
            {
                counts += One;
                continue;
            }

            counts += PutPort(map, new CloudChange.PortSeen(port.Id, port.DeviceId, port.ProjectId, port.Host, port.NetworkId, port.Status), port.DataPlaneStatus, readAt, readAt);
        }

        foreach (var id in map.PortIds().ToList())
        {
            if (ports.Contains(id) || map.Port(id) is not { } port || !PortFromCloud(port, map))
                continue;
            if (port.UpdatedAt > readAt)
                counts += One; // a notification told about it after this read started
            else if (map.RemovePort(id))
                counts += new SyncCounts(0, 0, 1, 0);
        }

        foreach (var id in map.ServerIds().ToList())
        {
            if (servers.Contains(id) || map.Server(id) is not { } server || !IsFromCloud(server.Metadata))
                continue;
            if (server.UpdatedAt > readAt)
                counts += One;
            else if (map.RemoveServer(id))
                counts += new SyncCounts(0, 0, 1, 0);
        }

        foreach (var name in map.HostNames().ToList())
        {
            if (hosts.Contains(name) || map.Host(name) is not { } host || !IsFromCloud(host.Metadata) || map.ServersOn(name).Count > 0)
                continue;
            if (host.UpdatedAt > readAt)
                counts += One;
            else if (map.RemoveHost(name))
                counts += new SyncCounts(0, 0, 1, 0);
        }

        removed?.Forget(readAt);
        return counts;
    }

    /// <summary>Applies one change a notification told, at <paramref name="now"/>; a removal is remembered in
    /// <paramref name="removed"/> so that a snapshot read before it does not bring the item back.</summary>
    public static SyncCounts Apply(ResourceMapEditor map, CloudChange change, DateTimeOffset now, string? dataPlaneStatus = null, SyncTombstones? removed = null,
        Func<string, bool>? doctorHoldsDown = null)
    {
        switch (change)
        {
            case CloudChange.ServerSeen seen:
                return PutServer(map, seen, null, groupKnown: false, now, readAt: null);
            case CloudChange.ServerGone gone:
                removed?.Removed(ResourceType.Server, gone.Id, now);
                return map.Server(gone.Id) is not null && map.RemoveServer(gone.Id) ? new SyncCounts(0, 0, 1, 0) : SyncCounts.None;
            case CloudChange.ComputeSeen compute:
                return PutHost(map, compute, now, readAt: null, doctorHoldsDown);
            case CloudChange.PortSeen port:
                return PutPort(map, port, dataPlaneStatus, now, readAt: null);
            case CloudChange.PortGone gone:
                removed?.Removed(ResourceType.Port, gone.Id, now);
                return map.Port(gone.Id) is not null && map.RemovePort(gone.Id) ? new SyncCounts(0, 0, 1, 0) : SyncCounts.None;
            default:
                return SyncCounts.None;
        }
    }

    /// <param name="readAt">For a snapshot: when its read started (a host changed after it is left alone); null for a notification.</param>
    private static SyncCounts PutHost(ResourceMapEditor map, CloudChange.ComputeSeen seen, DateTimeOffset now, DateTimeOffset? readAt, Func<string, bool>? doctorHoldsDown)
    {
        if (!IsKey(seen.Host) || !IsGivenIdentifier(seen.ServiceId))
            return One;
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

        if (existing.UpdatedAt > readAt)
            return One;
        var updated = existing;
        if (seen.ServiceId is not null && existing.Metadata.GetValueOrDefault(ServiceIdKey) != seen.ServiceId)
            updated = updated with { Metadata = updated.Metadata.SetItem(ServiceIdKey, seen.ServiceId).SetItem(SourceKey, Source) };
        if (Identifier(seen.Zone) is { } zone && zone != existing.Zone)
            updated = updated with { Zone = zone };
        // A maintenance session owns a host's enabled status while it runs; otherwise the cloud's status is the truth, except
        // that a host Doctor's maintenance disabled is Doctor's to enable: a snapshot read while that enable is on its way
        // (or before a retry of it) must not take the host away from the next step of a session.
        if (seen.Enabled is { } enabled && enabled != existing.Enabled && existing.Maintenance is null
            && !(!enabled && NovaMaintenance.IsDoctors(seen.DisabledReason)))
            updated = updated with { Enabled = enabled };
        // Forced down in Nova by someone else than Doctor (or lifted there): mirrored, unless Doctor holds the host itself.
        if (seen.ForcedDown is { } cloudForced && cloudForced != existing.ForcedDown && doctorHoldsDown is not null && !doctorHoldsDown(existing.Name))
            updated = updated with { ForcedDown = cloudForced, Up = !cloudForced };
        if (ReferenceEquals(updated, existing))
            return SyncCounts.None;
        map.PutHost(updated with { UpdatedAt = now });
        return new SyncCounts(0, 1, 0, 0);
    }

    private static SyncCounts PutServer(ResourceMapEditor map, CloudChange.ServerSeen seen, string? groupId, bool groupKnown, DateTimeOffset now, DateTimeOffset? readAt)
    {
        // A reference that is given but could never be a key (a host name with a slash, 300 characters, a control
        // character) makes the message malformed: nothing of it is applied.
        if (!IsKey(seen.Id) || !IsGivenKey(seen.Host) || !IsGivenIdentifier(seen.ProjectId))
            return One;
        var existing = map.Server(seen.Id);
        var host = seen.Host;
        var group = groupKnown ? Identifier(groupId) : existing?.GroupId;
        if (existing is null)
        {
            if (host is not null && map.Host(host) is null)
                map.PutHost(new Host { Name = host, Metadata = Marked, UpdatedAt = now }); // a message about a host the map has not seen yet
            map.PutServer(new Server
            {
                Id = seen.Id, Name = Name(seen.Name), ProjectId = seen.ProjectId, Host = host, GroupId = group,
                Metadata = Marked, UpdatedAt = now,
            });
            return new SyncCounts(1, 0, 0, 0);
        }

        if (existing.UpdatedAt > readAt)
            return One;
        var updated = existing with
        {
            Name = Name(seen.Name) ?? existing.Name,
            ProjectId = seen.ProjectId ?? existing.ProjectId,
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

    private static SyncCounts PutPort(ResourceMapEditor map, CloudChange.PortSeen seen, string? dataPlaneStatus, DateTimeOffset now, DateTimeOffset? readAt)
    {
        if (!IsKey(seen.Id) || !IsGivenKey(seen.ServerId) || !IsGivenKey(seen.Host) || !IsGivenIdentifier(seen.ProjectId))
            return One;
        var existing = map.Port(seen.Id);
        var active = seen.Status is null ? existing?.Active ?? true : seen.Status != "DOWN";
        if (existing is null)
        {
            map.PutPort(new Port
            {
                Id = seen.Id, ServerId = seen.ServerId, ProjectId = seen.ProjectId, Host = seen.Host,
                NetworkId = Identifier(seen.NetworkId), Active = active, DataPlaneUp = dataPlaneStatus switch { "ACTIVE" => true, "DOWN" => false, _ => null },
                UpdatedAt = now,
            });
            return new SyncCounts(1, 0, 0, 0);
        }

        if (existing.UpdatedAt > readAt)
            return One;
        var updated = existing with
        {
            ServerId = seen.ServerId ?? existing.ServerId,
            ProjectId = seen.ProjectId ?? existing.ProjectId,
            Host = seen.Host ?? existing.Host,
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

    private static bool IsGivenKey(string? value) => value is null || IsKey(value);

    private static bool IsGivenIdentifier(string? value) => value is null || Fields.IsIdentifier(value);

    private static string? Identifier(string? value) => value is not null && Fields.IsIdentifier(value) ? value : null;

    /// <summary>A display name as the API would accept it: cut to the identifier length (never inside a surrogate pair);
    /// null (the known name stays) when it holds control characters or broken UTF-16.</summary>
    private static string? Name(string? value)
    {
        if (value is null)
            return null;
        if (value.Length > DoctorConstants.MaxIdentifierLength)
        {
            var cut = DoctorConstants.MaxIdentifierLength;
            if (char.IsHighSurrogate(value[cut - 1]))
                cut--;
            value = value[..cut];
        }

        return Fields.IsIdentifier(value) ? value : null;
    }
}

/// <summary>
/// Servers and ports that notifications removed, with when, so that a snapshot whose read started earlier does not bring
/// them back. Used only from engine commands (one writer), forgotten once a later read has started.
/// </summary>
public sealed class SyncTombstones
{
    private const int MaxKept = 100_000;
    private readonly object _gate = new();
    private readonly Dictionary<(ResourceType, string), DateTimeOffset> _removed = [];

    public int Count
    {
        get
        {
            lock (_gate)
                return _removed.Count;
        }
    }

    public void Removed(ResourceType type, string id, DateTimeOffset at)
    {
        lock (_gate)
        {
            if (_removed.Count >= MaxKept)
                _removed.Clear(); // bounded: at worst a stale snapshot brings an item back until the next reconciliation
            _removed[(type, id)] = at;
        }
    }

    /// <summary>True when a notification removed the item after <paramref name="readAt"/>.</summary>
    public bool RemovedAfter(ResourceType type, string id, DateTimeOffset readAt)
    {
        lock (_gate)
            return _removed.TryGetValue((type, id), out var at) && at > readAt;
    }

    /// <summary>Drops what was removed before <paramref name="readAt"/>: every read that starts from now on sees it gone.</summary>
    public void Forget(DateTimeOffset readAt)
    {
        lock (_gate)
        {
            foreach (var key in _removed.Where(r => r.Value <= readAt).Select(r => r.Key).ToList())
                _removed.Remove(key);
        }
    }
}
