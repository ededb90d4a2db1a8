using Doctor.Faults;
using Doctor.Inventory;

namespace Doctor.Inspection;

/// <summary>The policy Doctor runs when no policy file is configured.</summary>
internal static class BuiltInPolicy
{
    public static readonly FailurePolicy Value = new(
    [
        new PolicyRule { Match = "compute.host.down", Severity = Severity.Critical, Effect = Effect.HostDown, ProbableCause = "host failure" },
        new PolicyRule { Match = "compute.host.up", Clears = ["compute.host.down", PolicyDefaults.EscalatedFaultType] },
        new PolicyRule { Match = "compute.host.nic.down", Severity = Severity.Major, Effect = Effect.PortsDown, ProbableCause = "network interface failure" },
        new PolicyRule { Match = "compute.host.nic.up", Clears = ["compute.host.nic.down"] },
        new PolicyRule { Match = "compute.instance.down", Target = ResourceType.Server, Severity = Severity.Critical, Effect = Effect.ServerError, ProbableCause = "instance failure" },
        new PolicyRule { Match = "compute.instance.up", Target = ResourceType.Server, Clears = ["compute.instance.down"] },
        new PolicyRule { Match = "network.switch.down", Target = ResourceType.Device, Severity = Severity.Critical, Effect = Effect.DeviceDown, ProbableCause = "network switch failure" },
        new PolicyRule { Match = "network.switch.up", Target = ResourceType.Device, Clears = ["network.switch.down"] },
        new PolicyRule { Match = "power.pdu.down", Target = ResourceType.Device, Severity = Severity.Critical, Effect = Effect.DeviceDown, ProbableCause = "power supply failure" },
        new PolicyRule { Match = "power.pdu.up", Target = ResourceType.Device, Clears = ["power.pdu.down"] },
        new PolicyRule
        {
            Match = "compute.host.temperature.high", Severity = Severity.Warning, ProbableCause = "temperature high",
            Aggregate = new Aggregation(),
        },
    ], new GroupRule());
}
