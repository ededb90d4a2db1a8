using System.Text.Json.Nodes;

namespace Doctor.Simulator.Cloud;

/// <summary>A VM of the simulated cloud; <see cref="Role"/> is ACT or STBY for pair members.</summary>
public sealed record SimVm(string Id, string ProjectId, string Host, string? GroupId, string? Role)
{
    public string PortId => Id + "-port";
}

/// <summary>A generated NFVI: hosts, VMs (some in ACT-STBY pairs), one port per VM, and racks of devices when the spec asks.</summary>
public sealed class SimulatedCloud
{
    /// <summary>The anti-affinity group of a full cloud's non-redundant instances (one per host, first tenant).</summary>
    public const string NonHaGroup = "nonha-001";

    private readonly Dictionary<string, string> _rackOf;

    private SimulatedCloud(CloudSpec spec, IReadOnlyList<string> hosts, IReadOnlyList<string> projects, IReadOnlyList<SimVm> vms)
    {
        Spec = spec;
        Hosts = hosts;
        Projects = projects;
        Vms = vms;
        Racks = spec.HasRacks ? RackTopology.Build(hosts, ZoneOf, spec.HostsPerRack, spec.SwitchesPerRack, spec.PduPerRack) : [];
        _rackOf = Racks.SelectMany(r => r.Hosts.Select(h => (h, r.Name))).ToDictionary(p => p.h, p => p.Name, StringComparer.Ordinal);
    }

    public CloudSpec Spec { get; }
    public IReadOnlyList<string> Hosts { get; }
    public IReadOnlyList<string> Projects { get; }
    public IReadOnlyList<SimVm> Vms { get; }

    /// <summary>Racks (empty unless <see cref="CloudSpec.HostsPerRack"/> is set).</summary>
    public IReadOnlyList<SimRack> Racks { get; }

    public IEnumerable<SimDevice> Devices => Racks.SelectMany(r => r.Devices);

    /// <summary>Zone of the host at <paramref name="index"/>: hosts are dealt round-robin over the zones.</summary>
    public string ZoneOf(int index) => $"az{index % Spec.Zones + 1}";

    public IEnumerable<SimVm> On(string host) => Vms.Where(v => v.Host == host);

    /// <summary>Generates the cloud: pair k puts its ACT on host 2k and its STBY on host 2k+1 (mod hosts), then the
    /// remaining slots of every host get VMs of pseudo-random projects. A full cloud first puts one member of
    /// <see cref="NonHaGroup"/> (<c>vnf-nonha-NNN</c>, first tenant, no role) on every host.</summary>
    public static SimulatedCloud Generate(CloudSpec spec)
    {
        spec.Validate();
        var random = new Random(spec.Seed);
        var hosts = Enumerable.Range(1, spec.Hosts).Select(i => $"compute-{i:000}").ToList();
        var projects = Enumerable.Range(1, spec.Projects).Select(i => $"tenant-{i:00}").ToList();
        var used = new int[spec.Hosts];
        var vms = new List<SimVm>();
        if (spec.Full)
        {
            for (var h = 0; h < spec.Hosts; h++)
            {
                used[h]++;
                vms.Add(new SimVm($"vnf-nonha-{h + 1:000}", projects[0], hosts[h], NonHaGroup, null));
            }
        }

        for (var pair = 0; pair < spec.HaPairs; pair++)
        {
            var project = projects[pair % projects.Count];
            var act = Place(used, 2 * pair % spec.Hosts, spec.VmsPerHost, avoid: -1);
            var stby = Place(used, (2 * pair + 1) % spec.Hosts, spec.VmsPerHost, avoid: act);
            vms.Add(new SimVm($"vnf-{pair + 1:000}-act", project, hosts[act], $"ha-{pair + 1:000}", "ACT"));
            vms.Add(new SimVm($"vnf-{pair + 1:000}-stby", project, hosts[stby], $"ha-{pair + 1:000}", "STBY"));
        }

        var serial = 0;
        for (var h = 0; h < spec.Hosts; h++)
        {
            while (used[h] < spec.VmsPerHost)
            {
                used[h]++;
                vms.Add(new SimVm($"vm-{++serial:00000}", projects[random.Next(projects.Count)], hosts[h], null, null));
            }
        }

        return new SimulatedCloud(spec, hosts, projects, vms);
    }

    /// <summary>The first host from <paramref name="preferred"/> with a free slot, never <paramref name="avoid"/>.</summary>
    private static int Place(int[] used, int preferred, int capacity, int avoid)
    {
        for (var i = 0; i < used.Length; i++)
        {
            var host = (preferred + i) % used.Length;
            if (host != avoid && used[host] < capacity)
            {
                used[host]++;
                return host;
            }
        }

        throw new InvalidOperationException("no host has room for the pair member");
    }

    /// <summary>The inventory document of <c>POST /v1/inventory</c>.</summary>
    public JsonObject ToInventory()
    {
        var hosts = new JsonArray([.. Hosts.Select((h, i) => (JsonNode)Host(h, i))]);
        var servers = new JsonArray();
        var ports = new JsonArray();
        foreach (var vm in Vms)
        {
            var server = new JsonObject { ["id"] = vm.Id, ["name"] = vm.Id, ["project_id"] = vm.ProjectId, ["host"] = vm.Host };
            if (vm.GroupId is not null)
                server["group_id"] = vm.GroupId;
            if (vm.Role is not null)
                server["metadata"] = new JsonObject { ["ha_role"] = vm.Role };

            servers.Add(server);
            ports.Add(new JsonObject { ["id"] = vm.PortId, ["server_id"] = vm.Id, ["network_id"] = "provider-net", ["data_plane_status"] = "ACTIVE" });
        }

        var inventory = new JsonObject { ["hosts"] = hosts, ["servers"] = servers, ["ports"] = ports };
        if (Racks.Count > 0) // absent without racks: the document of a rack-less spec is what it always was
            inventory["devices"] = Inventory(Devices);
        return inventory;
    }

    /// <summary>The <c>devices</c> list of an inventory document.</summary>
    public static JsonArray Inventory(IEnumerable<SimDevice> devices) => new([.. devices.Select(d => (JsonNode)new JsonObject
    {
        ["id"] = d.Id,
        ["kind"] = d.Kind,
        ["zone"] = d.Zone,
        ["feeds"] = new JsonArray([.. d.Feeds.Select(f => (JsonNode)JsonValue.Create(f))]),
        ["metadata"] = new JsonObject { ["rack"] = d.Rack },
    })]);

    private JsonObject Host(string name, int index)
    {
        var host = new JsonObject { ["name"] = name, ["zone"] = ZoneOf(index) };
        if (_rackOf.TryGetValue(name, out var rack))
            host["metadata"] = new JsonObject { ["rack"] = rack };
        return host;
    }
}
