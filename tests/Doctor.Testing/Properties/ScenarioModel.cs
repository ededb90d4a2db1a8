using Doctor.Subscriptions;

namespace Doctor.Testing.Properties;

/// <summary>A resource an event should tell about, with the fault it carries.</summary>
public sealed record ExpectedResource(string Type, string Id, string? Project, string FaultType, string Severity)
{
    public bool IsPhysical => Type is "host" or "device";
}

/// <summary>What one step should make the notifier send: its notification type and every affected resource.</summary>
public sealed record ExpectedNotice(string Type, IReadOnlyList<ExpectedResource> Resources);

/// <summary>
/// An independent model of the default failure policy (SPEC §4) over a scenario whose map does not move: which
/// resources each step affects, written from the contract rather than from the processor's code. A repeated report of
/// an active fault adds nothing; a monitor's host down joins an admin's force-down, not the other way round; a
/// monitor's recovery never lifts an admin's force-down; the admin's lift clears every host-down fault of the host; a
/// NIC or instance report about a host that is down is already explained by it: recorded (its recovery is told) but
/// nobody is told of the report itself.
/// </summary>
public sealed class ScenarioModel(CloudScenario scenario)
{
    private readonly HashSet<string> _monitorDown = new(StringComparer.Ordinal);
    private readonly HashSet<string> _adminDown = new(StringComparer.Ordinal);
    private readonly HashSet<string> _nicDown = new(StringComparer.Ordinal);
    private readonly HashSet<string> _instanceDown = new(StringComparer.Ordinal);

    private bool IsHost(string name) => scenario.Hosts.Any(h => h.Name == name);

    private bool IsDown(string? host) => host is not null && (_monitorDown.Contains(host) || _adminDown.Contains(host));

    /// <summary>Applies <paramref name="step"/> to the model; null when it should notify nobody.</summary>
    public ExpectedNotice? Apply(StepSpec step)
    {
        var t = step.Target;
        switch (step.Kind)
        {
            case StepKind.HostDown:
                if (!IsHost(t) || _monitorDown.Contains(t) || _adminDown.Contains(t))
                    return null;
                _monitorDown.Add(t);
                return new ExpectedNotice("fault", HostDownAffected(t));
            case StepKind.HostUp:
                return IsHost(t) && _monitorDown.Remove(t) ? new ExpectedNotice("fault_cleared", HostDownAffected(t)) : null;
            case StepKind.ForceDown:
                if (!IsHost(t) || !_adminDown.Add(t))
                    return null;
                return new ExpectedNotice("fault", HostDownAffected(t));
            case StepKind.LiftForceDown:
            {
                if (!IsHost(t))
                    return null;
                var cleared = new List<ExpectedResource>();
                if (_monitorDown.Remove(t))
                    cleared.AddRange(HostDownAffected(t));
                if (_adminDown.Remove(t))
                    cleared.AddRange(HostDownAffected(t));
                return cleared.Count == 0 ? null : new ExpectedNotice("fault_cleared", cleared);
            }

            case StepKind.NicDown:
                if (!IsHost(t) || !_nicDown.Add(t) || IsDown(t))
                    return null;
                return new ExpectedNotice("fault", NicAffected(t));
            case StepKind.NicUp:
                return IsHost(t) && _nicDown.Remove(t) ? new ExpectedNotice("fault_cleared", NicAffected(t)) : null;
            case StepKind.InstanceDown:
                if (scenario.Servers.FirstOrDefault(s => s.Id == t) is not { } server || !_instanceDown.Add(t) || IsDown(server.Host))
                    return null;
                return new ExpectedNotice("fault", [new ExpectedResource("server", t, server.Project, "compute.instance.down", "critical")]);
            case StepKind.InstanceUp:
                if (scenario.Servers.FirstOrDefault(s => s.Id == t) is not { } up || !_instanceDown.Remove(t))
                    return null;
                return new ExpectedNotice("fault_cleared", [new ExpectedResource("server", t, up.Project, "compute.instance.down", "critical")]);
            default:
                return null; // Disable, UnknownType: recorded, no fault
        }
    }

    /// <summary>Host down: the host, every server on it, the ports bound to it and the ports of those servers.</summary>
    private List<ExpectedResource> HostDownAffected(string host)
    {
        const string type = "compute.host.down";
        var servers = scenario.Servers.Where(s => s.Host == host).ToList();
        return
        [
            new ExpectedResource("host", host, null, type, "critical"),
            .. servers.Select(s => new ExpectedResource("server", s.Id, s.Project, type, "critical")),
            .. PortsAffected(host, servers).Select(p => new ExpectedResource("port", p.Id, p.Project, type, "critical")),
        ];
    }

    /// <summary>NIC down: the host and its ports (as for host down), no servers.</summary>
    private List<ExpectedResource> NicAffected(string host)
    {
        const string type = "compute.host.nic.down";
        var servers = scenario.Servers.Where(s => s.Host == host).ToList();
        return
        [
            new ExpectedResource("host", host, null, type, "major"),
            .. PortsAffected(host, servers).Select(p => new ExpectedResource("port", p.Id, p.Project, type, "major")),
        ];
    }

    private IEnumerable<PortSpec> PortsAffected(string host, List<ServerSpec> servers) =>
        scenario.Ports.Where(p => p.Host == host || (p.ServerId is not null && servers.Any(s => s.Id == p.ServerId)));

    /// <summary>
    /// The resources of <paramref name="notice"/> that <paramref name="subscription"/> should receive, by SPEC §5: a
    /// project's subscription only its project's virtual resources, a global one everything, each through its filter.
    /// </summary>
    public static List<ExpectedResource> For(SubscriptionSpec subscription, ExpectedNotice notice)
    {
        var f = subscription.Filter;
        if (f?.NotificationTypes is { } kinds && !kinds.Contains(notice.Type))
            return [];
        return
        [
            .. notice.Resources.Where(r =>
                (subscription.Project is null || (!r.IsPhysical && r.Project == subscription.Project)) &&
                (f?.ResourceTypes is not { } types || types.Contains(r.Type)) &&
                (f?.ResourceIds is not { } ids || ids.Contains(r.Id)) &&
                (f?.FaultTypes is not { } patterns || patterns.Any(p => Glob.IsMatch(p, r.FaultType))) &&
                (f?.MinSeverity is not { } min || Rank(r.Severity) >= Rank(min))),
        ];
    }

    private static int Rank(string severity) => Array.IndexOf(["indeterminate", "warning", "minor", "major", "critical"], severity);
}
