using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace Doctor.Testing.Properties;

/// <summary>A host of a generated cloud.</summary>
public sealed record HostSpec(string Name);

/// <summary>A server; <see cref="Project"/> and <see cref="Host"/> may be absent (admin-only VMs, unplaced VMs).</summary>
public sealed record ServerSpec(string Id, string? Project, string? Host, string State);

/// <summary>A port; it may belong to another project than its server, have no binding host, or no server at all.</summary>
public sealed record PortSpec(string Id, string? ServerId, string? Project, string? Host, string? DataPlane);

/// <summary>A subscription filter in wire names; a null list means "any".</summary>
public sealed record FilterSpec(
    IReadOnlyList<string>? ResourceTypes, IReadOnlyList<string>? ResourceIds, IReadOnlyList<string>? FaultTypes, string? MinSeverity,
    IReadOnlyList<string>? NotificationTypes);

/// <summary>A subscription: a project's, or (Project null) an admin's global one.</summary>
public sealed record SubscriptionSpec(string Id, string? Project, FilterSpec? Filter);

/// <summary>What a step of a scenario does.</summary>
public enum StepKind
{
    HostDown,
    HostUp,
    NicDown,
    NicUp,
    InstanceDown,
    InstanceUp,

    /// <summary>The admin's StateChangeRequest with <c>forced_down: true</c>.</summary>
    ForceDown,

    /// <summary>The admin's StateChangeRequest with <c>forced_down: false</c>.</summary>
    LiftForceDown,

    /// <summary>The admin's StateChangeRequest with <c>status: disabled</c> only.</summary>
    Disable,

    /// <summary>An event type no policy rule knows.</summary>
    UnknownType,
}

/// <summary>One raw event (or admin state change) of a scenario, aimed at a host or a server (maybe an unknown one).</summary>
public sealed record StepSpec(StepKind Kind, string Target)
{
    public bool IsAdmin => Kind is StepKind.ForceDown or StepKind.LiftForceDown or StepKind.Disable;

    /// <summary>Event type as a monitor posts it (admin steps use the host state endpoint instead).</summary>
    public string EventType => Kind switch
    {
        StepKind.HostDown => "compute.host.down",
        StepKind.HostUp => "compute.host.up",
        StepKind.NicDown => "compute.host.nic.down",
        StepKind.NicUp => "compute.host.nic.up",
        StepKind.InstanceDown => "compute.instance.down",
        StepKind.InstanceUp => "compute.instance.up",
        StepKind.UnknownType => "vendor.raw.thing",
        _ => throw new InvalidOperationException($"{Kind} is an admin step"),
    };

    /// <summary>The detail that names the target.</summary>
    public string TargetDetail => Kind is StepKind.InstanceDown or StepKind.InstanceUp ? "server_id" : "hostname";
}

/// <summary>
/// A random cloud (hosts, servers of several projects and without a project, their ports), subscriptions with random
/// filters, and a random sequence of faults and recoveries. Every name carries a marker that a tenant must never see
/// (<see cref="HostMarker"/> in host names, <see cref="RawMarker"/> in raw event details), so a leak is a substring.
/// </summary>
public sealed record CloudScenario(
    string Prefix, IReadOnlyList<HostSpec> Hosts, IReadOnlyList<ServerSpec> Servers, IReadOnlyList<PortSpec> Ports,
    IReadOnlyList<SubscriptionSpec> Subscriptions, IReadOnlyList<StepSpec> Steps)
{
    public const string HostMarker = "zulu-host";
    public const string RawMarker = "raw-";

    public static readonly string[] FaultTypePatterns = ["compute.host.*", "compute.host.down", "compute.instance.down", "*nic*", "*", "vendor.*"];
    public static readonly string[] SeverityNames = ["critical", "major", "minor", "warning", "indeterminate"];

    /// <summary>The projects a scenario draws from; the last never owns anything.</summary>
    public IReadOnlyList<string> Projects => [Prefix + "proj-1p", Prefix + "proj-2p", Prefix + "proj-3p", Prefix + "proj-idle"];

    public string GhostHost => Prefix + HostMarker + "-ghostq";

    public string? OwnerOf(string resourceId) =>
        Servers.FirstOrDefault(s => s.Id == resourceId)?.Project ?? Ports.FirstOrDefault(p => p.Id == resourceId)?.Project;

    public bool Exists(string resourceId) => Servers.Any(s => s.Id == resourceId) || Ports.Any(p => p.Id == resourceId);

    /// <summary>Generates scenarios whose names all start with <paramref name="prefix"/> (so several can share one service).</summary>
    public static Gen<CloudScenario> Generator(string prefix = "") =>
        from hostCount in Gen.Choose(1, 4)
        from serverCount in Gen.Choose(0, 10)
        from slots in Gen.ListOf(Slot(hostCount), serverCount)
        from portsPerServer in Gen.ListOf(Gen.Frequency((3, Gen.Constant(0)), (5, Gen.Constant(1)), (2, Gen.Constant(2))), serverCount)
        from portVariants in Gen.ListOf(PortVariant(hostCount), 2 * serverCount + 2)
        from orphanPorts in Gen.Choose(0, 2)
        from subscriptionCount in Gen.Choose(1, 6)
        from subscriptionSeeds in Gen.ListOf(SubscriptionSeed(), subscriptionCount)
        from stepCount in Gen.Choose(1, 14)
        from stepSeeds in Gen.ListOf(Gen.Zip(Gen.Elements(Enum.GetValues<StepKind>()), Gen.Choose(0, 1000)), stepCount)
        select Build(prefix, hostCount, slots, portsPerServer, portVariants, orphanPorts, subscriptionSeeds, stepSeeds);

    // ---- generation -----------------------------------------------------------------------------------------

    /// <summary>Where a server goes: (project index or -1 for none, host index or -1 unplaced or -2 ghost host, state).</summary>
    private static Gen<(int Project, int Host, string State)> Slot(int hostCount) =>
        from project in Gen.Frequency((8, Gen.Choose(0, 2)), (2, Gen.Constant(-1)))
        from host in Gen.Frequency((9, Gen.Choose(0, hostCount - 1)), (1, Gen.Elements(-1, -2)))
        from state in Gen.Frequency((8, Gen.Constant("normal")), (1, Gen.Constant("error")), (1, Gen.Elements("down", "maintenance")))
        select (project, host, state);

    /// <summary>How a port differs from its server: project (same/other/none), host (same/none/other), data plane.</summary>
    private static Gen<(int ProjectMode, int HostMode, int Other, string? DataPlane)> PortVariant(int hostCount) =>
        from projectMode in Gen.Frequency((8, Gen.Constant(0)), (1, Gen.Constant(1)), (1, Gen.Constant(2)))
        from hostMode in Gen.Frequency((7, Gen.Constant(0)), (2, Gen.Constant(1)), (1, Gen.Constant(2)))
        from other in Gen.Choose(0, Math.Max(hostCount - 1, 0))
        from dataPlane in Gen.Elements<string?>("ACTIVE", "ACTIVE", null, "DOWN")
        select (projectMode, hostMode, other, dataPlane);

    private sealed record SubscriptionSeedData(int Project, bool Filtered, int[] Types, int IdPick, int[] FaultTypes, int Severity, int[] Notifications);

    private static Gen<SubscriptionSeedData> SubscriptionSeed() =>
        from project in Gen.Frequency((6, Gen.Choose(0, 3)), (2, Gen.Constant(-1)))
        from filtered in Gen.Frequency((1, Gen.Constant(false)), (1, Gen.Constant(true)))
        from types in Gen.Frequency((2, Gen.Constant(Array.Empty<int>())), (1, Gen.SubListOf(new[] { 0, 1, 2, 3 }).Select(l => l.ToArray())))
        from idPick in Gen.Frequency((3, Gen.Constant(-1)), (1, Gen.Choose(0, 1000)))
        from faultTypes in Gen.Frequency((2, Gen.Constant(Array.Empty<int>())), (1, Gen.SubListOf(Enumerable.Range(0, FaultTypePatterns.Length)).Select(l => l.ToArray())))
        from severity in Gen.Frequency((2, Gen.Constant(-1)), (1, Gen.Choose(0, SeverityNames.Length - 1)))
        from notifications in Gen.Frequency((2, Gen.Constant(Array.Empty<int>())), (1, Gen.SubListOf(new[] { 0, 1, 2 }).Select(l => l.ToArray())))
        select new SubscriptionSeedData(project, filtered, types, idPick, faultTypes, severity, notifications);

    private static CloudScenario Build(
        string prefix, int hostCount, IList<(int Project, int Host, string State)> slots, IList<int> portsPerServer,
        IList<(int ProjectMode, int HostMode, int Other, string? DataPlane)> portVariants, int orphanPorts,
        IList<SubscriptionSeedData> subscriptionSeeds, IList<(StepKind Kind, int Pick)> stepSeeds)
    {
        var hosts = Enumerable.Range(1, hostCount).Select(i => new HostSpec($"{prefix}{HostMarker}-{i}q")).ToList();
        string[] projects = [prefix + "proj-1p", prefix + "proj-2p", prefix + "proj-3p", prefix + "proj-idle"];
        var ghost = prefix + HostMarker + "-ghostq";

        var servers = new List<ServerSpec>();
        for (var i = 0; i < slots.Count; i++)
        {
            var (project, host, state) = slots[i];
            servers.Add(new ServerSpec(
                $"{prefix}vm-{i + 1}v", project < 0 ? null : projects[project], host switch { -1 => null, -2 => ghost, _ => hosts[host].Name }, state));
        }

        var ports = new List<PortSpec>();
        var variant = 0;
        for (var i = 0; i < servers.Count; i++)
        {
            for (var k = 0; k < portsPerServer[i]; k++)
            {
                var (projectMode, hostMode, other, dataPlane) = portVariants[variant++ % portVariants.Count];
                var server = servers[i];
                var project = projectMode switch { 0 => server.Project, 1 => projects[(Array.IndexOf(projects, server.Project) + 1 + 3) % 3], _ => null };
                var host = hostMode switch { 0 => server.Host, 1 => null, _ => hosts[other % hosts.Count].Name };
                // As the map stores it: a port given without host or project takes its server's (ResourceMapEditor.PutPort).
                ports.Add(new PortSpec($"{prefix}port-{ports.Count + 1}t", server.Id, project ?? server.Project, host ?? server.Host, dataPlane));
            }
        }

        for (var i = 0; i < orphanPorts; i++)
        {
            var (projectMode, _, other, dataPlane) = portVariants[variant++ % portVariants.Count];
            ports.Add(new PortSpec($"{prefix}port-{ports.Count + 1}t", null, projectMode == 2 ? null : projects[other % 3], hosts[other % hosts.Count].Name, dataPlane));
        }

        var resourceIds = servers.Select(s => s.Id).Concat(ports.Select(p => p.Id)).ToList();
        var subscriptions = new List<SubscriptionSpec>();
        for (var i = 0; i < subscriptionSeeds.Count; i++)
        {
            var seed = subscriptionSeeds[i];
            var project = seed.Project < 0 ? null : projects[seed.Project];
            FilterSpec? filter = null;
            if (seed.Filtered)
            {
                string[] typeNames = ["server", "port", "host", "device"];
                IReadOnlyList<string>? ids = null;
                if (seed.IdPick >= 0)
                {
                    // A project may only name its own resources; an admin may name any (and unknown ones).
                    var candidates = project is null ? resourceIds.Concat(hosts.Select(h => h.Name)).ToList() : [.. resourceIds.Where(id => OwnerIn(servers, ports, id) == project)];
                    ids = candidates.Count == 0 ? null : [.. candidates.Where((_, k) => (seed.IdPick >> (k % 10) & 1) == 1 || k == seed.IdPick % candidates.Count)];
                }

                filter = new FilterSpec(
                    seed.Types.Length == 0 ? null : [.. seed.Types.Select(t => typeNames[t])],
                    ids,
                    seed.FaultTypes.Length == 0 ? null : [.. seed.FaultTypes.Select(t => FaultTypePatterns[t])],
                    seed.Severity < 0 ? null : SeverityNames[seed.Severity],
                    seed.Notifications.Length == 0 ? null : [.. seed.Notifications.Select(t => new[] { "fault", "fault_cleared", "maintenance" }[t])]);
            }

            subscriptions.Add(new SubscriptionSpec($"{prefix}sub-{i + 1}", project, filter));
        }

        var steps = new List<StepSpec>();
        foreach (var (kind, pick) in stepSeeds)
        {
            string target;
            if (kind is StepKind.InstanceDown or StepKind.InstanceUp)
                target = servers.Count == 0 || pick % 10 == 0 ? prefix + "vm-ghost" : servers[pick % servers.Count].Id;
            else
                target = pick % 12 == 0 ? ghost : hosts[pick % hosts.Count].Name;
            steps.Add(new StepSpec(kind, target));
        }

        return new CloudScenario(prefix, hosts, servers, ports, subscriptions, steps);
    }

    /// <summary>The same scenario with every name prefixed, so that several cases can share one service.</summary>
    public CloudScenario Prefixed(string prefix)
    {
        string P(string name) => prefix + name;
        string? Pn(string? name) => name is null ? null : prefix + name;
        IReadOnlyList<string>? Pl(IReadOnlyList<string>? list) => list?.Select(P).ToList();
        return new CloudScenario(
            prefix + Prefix,
            [.. Hosts.Select(h => new HostSpec(P(h.Name)))],
            [.. Servers.Select(s => s with { Id = P(s.Id), Project = Pn(s.Project), Host = Pn(s.Host) })],
            [.. Ports.Select(p => p with { Id = P(p.Id), ServerId = Pn(p.ServerId), Project = Pn(p.Project), Host = Pn(p.Host) })],
            [.. Subscriptions.Select(s => s with { Id = P(s.Id), Project = Pn(s.Project), Filter = s.Filter is null ? null : s.Filter with { ResourceIds = Pl(s.Filter.ResourceIds) } })],
            [.. Steps.Select(s => s with { Target = P(s.Target) })]);
    }

    private static string? OwnerIn(List<ServerSpec> servers, List<PortSpec> ports, string id) =>
        servers.FirstOrDefault(s => s.Id == id)?.Project ?? ports.FirstOrDefault(p => p.Id == id)?.Project;

    /// <summary>A compact description, so a failing case can be read and replayed by hand.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append("hosts: ").AppendJoin(", ", Hosts.Select(h => h.Name)).AppendLine();
        foreach (var s in Servers)
            text.AppendLine($"server {s.Id} project={s.Project ?? "-"} host={s.Host ?? "-"} state={s.State}");
        foreach (var p in Ports)
            text.AppendLine($"port {p.Id} server={p.ServerId ?? "-"} project={p.Project ?? "-"} host={p.Host ?? "-"} dp={p.DataPlane ?? "-"}");
        foreach (var s in Subscriptions)
        {
            var f = s.Filter;
            text.AppendLine($"subscription {s.Id} project={s.Project ?? "(global)"} filter=" + (f is null ? "-" :
                $"types[{Join(f.ResourceTypes)}] ids[{Join(f.ResourceIds)}] faults[{Join(f.FaultTypes)}] min={f.MinSeverity ?? "-"} kinds[{Join(f.NotificationTypes)}]"));
        }

        text.Append("steps: ").AppendJoin("; ", Steps.Select(s => $"{s.Kind} {s.Target}"));
        return text.ToString();
    }

    private static string Join(IReadOnlyList<string>? list) => list is null ? "*" : string.Join(",", list);
}
