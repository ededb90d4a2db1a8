using System.Text.Json.Nodes;
using Doctor.Simulator.Cloud;
using Doctor.Simulator.Vnf;

namespace Doctor.Simulator.Maintenance;

/// <summary>What an app manager answers to one maintenance message (<c>PUT /v1/maintenance/{sid}/{project_id}</c>).</summary>
public sealed record MaintenanceAnswer(string SessionId, string ProjectId, string State, IReadOnlyDictionary<string, string>? InstanceActions);

/// <summary>
/// A tenant's sample app manager for maintenance sessions (Fenix's VNFM side): it ACKs every question; for a host to be
/// emptied it first switches over any ACT-STBY pair whose active instance is offered, then has pair members cold
/// migrated (MIGRATE) and its other instances live migrated (LIVE_MIGRATE). It keeps the books that prove a pair
/// never had both instances out of service: an instance is out from the ACK of its MIGRATE to INSTANCE_ACTION_DONE.
/// Through <see cref="HandleAsync"/> it also scales, as Fenix's sample VNFM does: on SCALE_IN it deletes
/// <paramref name="scaleInCount"/> of its non-redundant instances (never an ACT-STBY member; members of a non-HA
/// anti-affinity group first, as removing one of them is what frees a host) and remembers them; on
/// MAINTENANCE_COMPLETE it recreates them (same id, project and group) on a usable host that holds no other member of
/// the instance's group (anti-affinity), the emptiest first. Each time it ACKs after the cloud has done it.
/// </summary>
public sealed class AppManager(string projectId, IEnumerable<SimVm> vms, int scaleInCount = 1)
{
    private readonly Dictionary<string, SimVm> _own = vms.Where(v => v.ProjectId == projectId).ToDictionary(v => v.Id, StringComparer.Ordinal);

    private readonly Dictionary<string, (string Active, string Standby)> _pairs = vms
        .Where(v => v.ProjectId == projectId && v.GroupId is not null && v.Role is not null)
        .GroupBy(v => v.GroupId!)
        .ToDictionary(g => g.Key, g => (g.Single(v => v.Role == "ACT").Id, g.Single(v => v.Role == "STBY").Id));

    private readonly HashSet<string> _outOfService = new(StringComparer.Ordinal);
    private readonly List<SimVm> _removed = [];
    private readonly object _gate = new();

    public string ProjectId { get; } = projectId;

    /// <summary>How many instances one SCALE_IN removes.</summary>
    public int ScaleInCount { get; } = scaleInCount >= 0 ? scaleInCount : throw new ArgumentOutOfRangeException(nameof(scaleInCount));

    /// <summary>SCALE_IN messages acted on.</summary>
    public int ScaleInRequests { get; private set; }

    /// <summary>Instances deleted on SCALE_IN, in order.</summary>
    public List<string> ScaledIn { get; } = [];

    /// <summary>Instances recreated on MAINTENANCE_COMPLETE, in order.</summary>
    public List<string> Restored { get; } = [];

    /// <summary>Why an instance could not be recreated (must stay empty).</summary>
    public List<string> RestoreFailures { get; } = [];

    /// <summary>Instances scaled in and not (yet) back.</summary>
    public IReadOnlyList<string> Missing
    {
        get
        {
            lock (_gate)
                return [.. _removed.Select(v => v.Id)];
        }
    }

    /// <summary>Switch-overs made ahead of a move of the active instance.</summary>
    public List<Switchover> Switchovers { get; } = [];

    /// <summary>Times a pair had both members out of service at once (must stay 0).</summary>
    public int BothOutOfService { get; private set; }

    /// <summary>Times an active instance had to be moved while still active (no healthy standby to switch to; must stay 0).</summary>
    public int ActiveMoved { get; private set; }

    /// <summary>Questions answered.</summary>
    public int Answers { get; private set; }

    public string ActiveOf(string groupId)
    {
        lock (_gate)
            return _pairs[groupId].Active;
    }

    /// <summary>Applies one notification, scaling in on SCALE_IN and back out on MAINTENANCE_COMPLETE through
    /// <paramref name="cloud"/> before answering; returns the answer to send, or null when none is due.</summary>
    public async Task<MaintenanceAnswer?> HandleAsync(JsonNode notification, IComputeApi cloud, CancellationToken cancellationToken)
    {
        var m = notification["maintenance"];
        if (m?["event_type"]?.GetValue<string>() == "maintenance.scheduled" && m["project_id"]?.GetValue<string>() == ProjectId)
        {
            var state = m["state"]?.GetValue<string>();
            if (state == "SCALE_IN")
                await ScaleInAsync(m["instance_ids"]?.AsArray().Select(n => n!.GetValue<string>()).ToList() ?? [], cloud, cancellationToken);
            else if (state == "MAINTENANCE_COMPLETE")
                await ScaleOutAsync(cloud, cancellationToken);
        }

        return Handle(notification);
    }

    /// <summary>Deletes up to <see cref="ScaleInCount"/> of the offered instances that have no standby.</summary>
    private async Task ScaleInAsync(List<string> offered, IComputeApi cloud, CancellationToken cancellationToken)
    {
        List<SimVm> victims;
        lock (_gate)
        {
            ScaleInRequests++;
            var gone = _removed.Select(v => v.Id).ToHashSet(StringComparer.Ordinal);
            victims = offered
                .Where(id => _own.TryGetValue(id, out var vm) && vm.Role is null && !gone.Contains(id))
                .Select(id => _own[id])
                .OrderBy(v => v.GroupId is null ? 1 : 0)
                .ThenByDescending(v => v.Id, StringComparer.Ordinal) // the newest instance goes first, as a scaling group does
                .Take(ScaleInCount)
                .ToList();
        }

        foreach (var vm in victims)
        {
            await cloud.DeleteServerAsync(vm, cancellationToken);
            lock (_gate)
            {
                _removed.Add(vm);
                ScaledIn.Add(vm.Id);
            }
        }
    }

    /// <summary>Recreates every scaled-in instance on a usable host where its group allows it.</summary>
    private async Task ScaleOutAsync(IComputeApi cloud, CancellationToken cancellationToken)
    {
        List<SimVm> pending;
        lock (_gate)
            pending = [.. _removed];
        if (pending.Count == 0)
            return;
        var hosts = await cloud.PlaceableHostsAsync(cancellationToken);
        var servers = (await cloud.ServersAsync(cancellationToken)).ToList();
        foreach (var vm in pending)
        {
            var host = hosts
                .Where(h => vm.GroupId is null || !servers.Any(s => s.Host == h && s.GroupId == vm.GroupId))
                .OrderBy(h => servers.Count(s => s.Host == h))
                .ThenBy(h => h, StringComparer.Ordinal)
                .FirstOrDefault();
            if (host is null)
            {
                lock (_gate)
                    RestoreFailures.Add($"no usable host can take {vm.Id}" + (vm.GroupId is null ? "" : $" (anti-affinity group {vm.GroupId})"));
                continue;
            }

            var back = vm with { Host = host };
            await cloud.CreateServerAsync(back, cancellationToken);
            servers.Add(new CloudServer(back.Id, host, back.GroupId));
            lock (_gate)
            {
                _removed.Remove(vm);
                Restored.Add(vm.Id);
            }
        }
    }

    /// <summary>Applies one notification without touching the cloud (SCALE_IN is only ACKed); returns the answer to
    /// send, or null when none is due.</summary>
    public MaintenanceAnswer? Handle(JsonNode notification)
    {
        var m = notification["maintenance"];
        if (m?["event_type"]?.GetValue<string>() != "maintenance.scheduled" || m["project_id"]?.GetValue<string>() != ProjectId)
            return null;
        var sessionId = m["session_id"]!.GetValue<string>();
        var state = m["state"]!.GetValue<string>();
        var ids = m["instance_ids"]?.AsArray().Select(n => n!.GetValue<string>()).ToList() ?? [];
        lock (_gate)
        {
            if (state == "INSTANCE_ACTION_DONE")
            {
                foreach (var id in ids)
                    _outOfService.Remove(id);
                return null;
            }

            Answers++;
            if (state is not ("PREPARE_MAINTENANCE" or "PLANNED_MAINTENANCE"))
                return new MaintenanceAnswer(sessionId, ProjectId, "ACK_" + state, null);

            var actions = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var id in ids)
            {
                var group = _pairs.FirstOrDefault(p => p.Value.Active == id || p.Value.Standby == id).Key;
                if (group is null)
                {
                    actions[id] = "LIVE_MIGRATE"; // no standby: keep it running while it moves
                    continue;
                }

                var (active, standby) = _pairs[group];
                if (id == active)
                {
                    if (_outOfService.Contains(standby))
                        ActiveMoved++;
                    else
                    {
                        _pairs[group] = (standby, active);
                        Switchovers.Add(new Switchover(ProjectId, group, active, standby));
                    }
                }

                actions[id] = "MIGRATE";
                _outOfService.Add(id);
                var (a, s) = _pairs[group];
                if (_outOfService.Contains(a) && _outOfService.Contains(s))
                    BothOutOfService++;
            }

            return new MaintenanceAnswer(sessionId, ProjectId, "ACK_" + state, actions);
        }
    }
}
