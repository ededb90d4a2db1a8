using System.Text.Json.Nodes;
using Doctor.Simulator.Cloud;

namespace Doctor.Simulator.Vnf;

/// <summary>A switch-over a VNF manager made: the standby of <see cref="GroupId"/> took over.</summary>
public sealed record Switchover(string ProjectId, string GroupId, string FailedActive, string NewActive);

/// <summary>
/// A tenant's VNF manager in the simulator: it knows its ACT-STBY pairs and, when a notification says the active
/// member is in error or down, makes the standby active (if the standby itself is healthy).
/// </summary>
public sealed class VnfManager(string projectId, IEnumerable<SimVm> vms)
{
    private readonly Dictionary<string, (string Active, string Standby)> _pairs = vms
        .Where(v => v.ProjectId == projectId && v.GroupId is not null)
        .GroupBy(v => v.GroupId!)
        .ToDictionary(g => g.Key, g => (g.Single(v => v.Role == "ACT").Id, g.Single(v => v.Role == "STBY").Id));

    private readonly HashSet<string> _failed = new(StringComparer.Ordinal);

    public string ProjectId { get; } = projectId;

    public string ActiveOf(string groupId) => _pairs[groupId].Active;

    /// <summary>Applies one notification body; returns the switch-overs it caused.</summary>
    public IReadOnlyList<Switchover> Handle(JsonNode notification)
    {
        var type = notification["notification_type"]?.GetValue<string>();
        var switched = new List<Switchover>();
        foreach (var resource in notification["resources"]?.AsArray() ?? [])
        {
            if (resource?["resource_type"]?.GetValue<string>() != "server")
                continue;
            var id = resource["resource_id"]!.GetValue<string>();
            var state = resource["state"]?.GetValue<string>();
            if (type == "fault" && state is "error" or "down")
                _failed.Add(id);
            else if (type == "fault_cleared" && state == "normal")
                _failed.Remove(id);
        }

        foreach (var (group, (active, standby)) in _pairs.ToList())
        {
            if (_failed.Contains(active) && !_failed.Contains(standby))
            {
                _pairs[group] = (standby, active);
                switched.Add(new Switchover(ProjectId, group, active, standby));
            }
        }

        return switched;
    }
}
