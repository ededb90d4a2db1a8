using Doctor.Faults;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.State;

namespace Doctor.Control;

/// <summary>Which active faults hold a resource in the state they put it in.</summary>
internal static class Held
{
    /// <summary>
    /// The active fault that already changed what a new fault with one of <paramref name="effects"/> would change.
    /// A fault raised on top of it must remember the value from before both: otherwise, when the older fault clears
    /// first (its restore is held by the newer one), the newer one later "restores" the older fault's effect and the
    /// resource stays down or in error with no fault left to explain it.
    /// </summary>
    public static Fault? By(StateEditor state, ResourceType type, string id, params ReadOnlySpan<Effect> effects)
    {
        foreach (var other in state.Faults.ActiveOn(type, id))
        {
            if (effects.Contains(other.Effect))
                return other;
        }

        return null;
    }

    /// <summary>Whether another active fault with one of <paramref name="effects"/> still holds the resource.</summary>
    public static bool ByAnother(StateEditor state, Fault except, params ReadOnlySpan<Effect> effects)
    {
        foreach (var other in state.Faults.ActiveOn(except.ResourceType, except.ResourceId))
        {
            if (other.FaultId != except.FaultId && effects.Contains(other.Effect))
                return true;
        }

        // A server or port on a host that is still down stays down with it: the host it is on now (the fault's host
        // unless it was moved since, see Relocation).
        var current = except.ResourceType switch
        {
            ResourceType.Server => state.Map.Server(except.ResourceId)?.Host,
            ResourceType.Port => state.Map.Port(except.ResourceId)?.Host,
            _ => null,
        };
        if (except.ResourceType is ResourceType.Server or ResourceType.Port && (current ?? except.Host) is { } host)
        {
            foreach (var other in state.Faults.ActiveOn(ResourceType.Host, host))
            {
                if (other.Effect == Effect.HostDown || (except.ResourceType == ResourceType.Port && other.Effect == Effect.PortsDown))
                    return true;
            }
        }

        return false;
    }
}
