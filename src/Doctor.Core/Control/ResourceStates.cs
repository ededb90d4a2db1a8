using Doctor.Inventory;

namespace Doctor.Control;

/// <summary>The <c>state</c> each kind of resource shows in notifications and subscriptions.</summary>
public static class ResourceStates
{
    public static string Of(Host host) => host.Up ? "up" : "down";

    public static string Of(Server server) => server.State.Name();

    public static string Of(Device device) => device.Up ? "up" : "down";

    /// <summary>A port shows its data plane status (ACTIVE/DOWN), or UNKNOWN when nobody reported one.</summary>
    public static string Of(Port port) => DataPlane(port.DataPlaneUp) ?? "UNKNOWN";

    public static string? DataPlane(bool? up) => up switch
    {
        true => "ACTIVE",
        false => "DOWN",
        null => null,
    };

    public static bool? ParseDataPlane(string? text) => text switch
    {
        "ACTIVE" => true,
        "DOWN" => false,
        _ => null,
    };
}
