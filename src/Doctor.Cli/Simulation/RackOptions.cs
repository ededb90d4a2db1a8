using System.CommandLine;
using Doctor.Simulator.Cloud;

namespace Doctor.Cli.Simulation;

/// <summary>The rack options of the simulated cloud, shared by <c>doctor demo</c> and <c>doctor test fault</c>.</summary>
public sealed class RackOptions
{
    public Option<int> HostsPerRack { get; } = new("--hosts-per-rack")
    {
        Description = "put the hosts in racks of N behind top-of-rack switches (0: no racks, no devices)",
        DefaultValueFactory = _ => 0,
    };

    public Option<int> SwitchesPerRack { get; } = new("--switches-per-rack")
    {
        Description = "top-of-rack switches per rack, each feeding every host of the rack: 1, or 2 for a redundant pair",
        DefaultValueFactory = _ => 1,
    };

    public Option<bool> PduPerRack { get; } = new("--pdu-per-rack") { Description = "also one PDU per rack, feeding its switches and hosts" };

    public void AddTo(Command command)
    {
        command.Options.Add(HostsPerRack);
        command.Options.Add(SwitchesPerRack);
        command.Options.Add(PduPerRack);
    }

    /// <summary><paramref name="spec"/> with the racks the command line asked for (validated when the cloud is generated).</summary>
    public CloudSpec Apply(CloudSpec spec, ParseResult result) => spec with
    {
        HostsPerRack = result.GetValue(HostsPerRack),
        SwitchesPerRack = result.GetValue(SwitchesPerRack),
        PduPerRack = result.GetValue(PduPerRack),
    };
}
