using Doctor.Faults;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.Notification;

namespace Doctor.Control;

/// <summary>
/// Virtual → virtual correlation (requirement 3.3.3): when more members of a server group are in error or down than
/// the group tolerates, its owner gets a fault on the group itself, on top of the per-VM faults; it clears when enough
/// members are back. Judged after every event that changed a member, from the map alone, so a replay judges the same.
/// </summary>
internal static class GroupWatch
{
    public const string DegradedState = "degraded";

    public static void Evaluate(EventContext c, GroupRule? rule, IEnumerable<NoticeResource> touched, List<NoticeResource> raised, List<NoticeResource> cleared)
    {
        if (rule is null)
            return;
        var map = c.Map;
        SortedSet<string>? groups = null;
        foreach (var resource in touched)
        {
            if (resource.Type == ResourceType.Server && map.Server(resource.Id)?.GroupId is { } group)
                (groups ??= new SortedSet<string>(StringComparer.Ordinal)).Add(group);
        }

        if (groups is null)
            return;
        foreach (var group in groups)
        {
            var members = map.ServersInGroup(group);
            var down = new List<Server>();
            foreach (var id in members)
            {
                if (map.Server(id) is { State: ServerState.Error or ServerState.Down } member)
                    down.Add(member);
            }

            var active = c.State.Faults.ActiveOn(ResourceType.ServerGroup, group).FirstOrDefault();
            if (down.Count > rule.MoreThan && active is null)
                raised.Add(GroupResource(Raise(c, rule, group, down), DegradedState));
            else if (down.Count <= rule.MoreThan && active is not null)
                cleared.Add(GroupResource(Recovery.ClearAlone(c, active), "normal"));
        }
    }

    private static Fault Raise(EventContext c, GroupRule rule, string group, List<Server> down)
    {
        // The group's fault points at the root faults that took its members down, which may be several events'.
        var causes = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var member in down)
        {
            foreach (var cause in c.State.Faults.ActiveOn(ResourceType.Server, member.Id))
                causes.Add(cause.IsRootCause ? cause.FaultId : cause.CorrelatedFaultIds[0]);
        }

        var fault = new Fault
        {
            FaultId = c.NextId(), FaultType = rule.FaultType, Severity = rule.Severity, ResourceType = ResourceType.ServerGroup,
            ResourceId = group, ProjectId = down[0].ProjectId, EventId = c.Event.Id, EventTime = c.Event.Time, RaisedAt = c.At,
            ProbableCause = rule.ProbableCause, IsRootCause = false, CorrelatedFaultIds = [.. causes], Effect = Effect.NotifyOnly,
        };
        c.State.Faults.Put(fault);
        return fault;
    }

    public static NoticeResource GroupResource(Fault fault, string state) =>
        new(ResourceType.ServerGroup, fault.ResourceId, fault.ProjectId, null, state, HostStatus.Unknown, null, [fault]);
}
