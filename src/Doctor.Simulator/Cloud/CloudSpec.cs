namespace Doctor.Simulator.Cloud;

/// <summary>Shape of a simulated NFVI. The same spec and seed always give the same cloud.</summary>
/// <param name="Hosts">Compute hosts.</param>
/// <param name="VmsPerHost">VMs placed on every host.</param>
/// <param name="Projects">Tenants owning the VMs.</param>
/// <param name="HaPairs">ACT-STBY pairs; the two members of a pair are always on different hosts.</param>
/// <param name="Zones">Availability zones the hosts are spread over.</param>
/// <param name="Seed">Seed of the placement of the non-redundant VMs.</param>
public sealed record CloudSpec(int Hosts = 8, int VmsPerHost = 25, int Projects = 5, int HaPairs = 5, int Zones = 2, int Seed = 1)
{
    /// <summary>Throws when the spec cannot be built (e.g. more pair members than VM slots, pairs on one host).</summary>
    public void Validate()
    {
        if (Hosts < 1 || VmsPerHost < 1 || Projects < 1 || Zones < 1 || HaPairs < 0)
            throw new ArgumentException("hosts, vms-per-host, projects and zones must be positive; ha-pairs not negative");
        if (HaPairs > 0 && Hosts < 2)
            throw new ArgumentException("ACT-STBY pairs need at least two hosts");
        if (HaPairs * 2 > Hosts * VmsPerHost)
            throw new ArgumentException($"{HaPairs} pairs need {HaPairs * 2} VM slots; the cloud has {Hosts * VmsPerHost}");
    }
}
