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
/// </summary>
public sealed class AppManager(string projectId, IEnumerable<SimVm> vms)
{
    private readonly Dictionary<string, (string Active, string Standby)> _pairs = vms
        .Where(v => v.ProjectId == projectId && v.GroupId is not null)
        .GroupBy(v => v.GroupId!)
        .ToDictionary(g => g.Key, g => (g.Single(v => v.Role == "ACT").Id, g.Single(v => v.Role == "STBY").Id));

    private readonly HashSet<string> _outOfService = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public string ProjectId { get; } = projectId;

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

    /// <summary>Applies one notification; returns the answer to send, or null when none is due.</summary>
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
