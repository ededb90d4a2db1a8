using Doctor.Profiling;

namespace Doctor.OpenStack.Actions;

/// <summary>What Doctor asks the cloud to change, for one resource.</summary>
public enum ActionKind
{
    /// <summary><c>forced_down</c> of a compute service (Nova).</summary>
    ForceDown,

    /// <summary><c>os-resetState</c> of a server (Nova).</summary>
    ResetState,

    /// <summary><c>data_plane_status</c> of a port (Neutron).</summary>
    DataPlaneStatus,

    /// <summary><c>status</c> enabled/disabled of a compute service (Nova; maintenance).</summary>
    ServiceStatus,
}

/// <summary>
/// One call to make: bring <see cref="Target"/> to <see cref="Value"/>. Calls for the same target run one after another
/// in the order Doctor decided them; a newer call for a target ends the retries of an older one.
/// </summary>
public sealed record ControllerAction(ActionKind Kind, string Target, string Value, string? ServiceId, Timeline? Timeline)
{
    /// <summary>The <c>disabled_reason</c> a <see cref="ActionKind.ServiceStatus"/> call writes (it names the maintenance
    /// session; see <see cref="Maintenance.NovaMaintenance.Reason"/>).</summary>
    public string? Reason { get; init; }

    /// <summary>Calls for one key run in order.</summary>
    public string Key => $"{Kind}:{Target}";

    /// <summary>As the timeline and the log show it, e.g. <c>nova.force_down=true</c>.</summary>
    public string Name => Kind switch
    {
        ActionKind.ForceDown => "nova.force_down=" + Value,
        ActionKind.ResetState => "nova.reset_state=" + Value,
        ActionKind.DataPlaneStatus => "neutron.data_plane_status=" + Value,
        _ => "nova.service_status=" + Value,
    };
}
