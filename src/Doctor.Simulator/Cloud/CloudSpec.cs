namespace Doctor.Simulator.Cloud;

/// <summary>Shape of a simulated NFVI. The same spec and seed always give the same cloud.</summary>
/// <param name="Hosts">Compute hosts.</param>
/// <param name="VmsPerHost">VMs placed on every host.</param>
/// <param name="Projects">Tenants owning the VMs.</param>
/// <param name="HaPairs">ACT-STBY pairs; the two members of a pair are always on different hosts.</param>
/// <param name="Zones">Availability zones the hosts are spread over.</param>
/// <param name="Seed">Seed of the placement of the non-redundant VMs.</param>
/// <param name="HostsPerRack">Hosts behind each rack's top-of-rack switches; 0 (the default): no racks and no devices.</param>
/// <param name="SwitchesPerRack">Top-of-rack switches per rack, each feeding all the rack's hosts: 1, or 2 for a redundant pair.</param>
/// <param name="PduPerRack">Also one PDU per rack, feeding the rack's switches and hosts.</param>
/// <param name="Full">A full cloud: the first tenant also has one non-redundant instance on every host, all in one
/// anti-affinity group (<see cref="SimulatedCloud.NonHaGroup"/>), so no host can be emptied until an instance is scaled in.</param>
public sealed record CloudSpec(
    int Hosts = 8, int VmsPerHost = 25, int Projects = 5, int HaPairs = 5, int Zones = 2, int Seed = 1,
    int HostsPerRack = 0, int SwitchesPerRack = 1, bool PduPerRack = false, bool Full = false)
{
    /// <summary>Whether the cloud has racks, switches (and PDUs).</summary>
    public bool HasRacks => HostsPerRack > 0;

    /// <summary>Throws when the spec cannot be built (e.g. more pair members than VM slots, pairs on one host).</summary>
    public void Validate()
    {
        if (Hosts < 1 || VmsPerHost < 1 || Projects < 1 || Zones < 1 || HaPairs < 0)
            throw new ArgumentException("hosts, vms-per-host, projects and zones must be positive; ha-pairs not negative");
        if (HaPairs > 0 && Hosts < 2)
            throw new ArgumentException("ACT-STBY pairs need at least two hosts");
        if (HaPairs * 2 > Hosts * VmsPerHost)
            throw new ArgumentException($"{HaPairs} pairs need {HaPairs * 2} VM slots; the cloud has {Hosts * VmsPerHost}");
        if (Full && HaPairs * 2 > Hosts * (VmsPerHost - 1))
            throw new ArgumentException($"a full cloud keeps one slot per host for its anti-affinity group: {HaPairs} pairs need {HaPairs * 2} of the other {Hosts * (VmsPerHost - 1)}");
        if (HostsPerRack < 0)
            throw new ArgumentException("hosts-per-rack must not be negative (0: no racks)");
        if (SwitchesPerRack is < 1 or > RackTopology.MaxSwitchesPerRack)
            throw new ArgumentException($"switches-per-rack must be 1 or {RackTopology.MaxSwitchesPerRack}");
        if (PduPerRack && !HasRacks)
            throw new ArgumentException("a PDU per rack needs racks: set hosts-per-rack");
    }
}
