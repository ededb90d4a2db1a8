using System.Text.Json.Serialization;
using Doctor.Control;
using Doctor.Inventory;
using Doctor.Serialization;
using Doctor.Server.Access;

namespace Doctor.Server.Inventory;

using Host = Doctor.Inventory.Host;
using Server = Doctor.Inventory.Server;

/// <summary>A host as the API shows it (admins only).</summary>
public sealed record HostView(
    string Name, string? Zone, string Status, string State, bool ForcedDown, MaintenanceView? Maintenance,
    string HostStatus, string? FirmwareVersion, string? HypervisorVersion, IReadOnlyDictionary<string, string> Metadata, string UpdatedAt)
{
    public static HostView Of(Host h) => new(
        h.Name, h.Zone, h.Enabled ? "enabled" : "disabled", ResourceStates.Of(h), h.ForcedDown,
        h.Maintenance is { } m ? new MaintenanceView(m.State == MaintenanceState.InMaintenance ? "in_maintenance" : "going_to_maintenance", m.SessionId, Rfc3339.Format(m.Since)) : null,
        h.Status.Name(), h.FirmwareVersion, h.HypervisorVersion, h.Metadata, Rfc3339.Format(h.UpdatedAt));
}

/// <summary>A device as the API shows it (admins only).</summary>
public sealed record DeviceView(
    string Id, string Kind, string? Zone, IReadOnlyList<string> Feeds, string State, IReadOnlyDictionary<string, string> Metadata, string UpdatedAt)
{
    public static DeviceView Of(Device d) => new(d.Id, d.Kind, d.Zone, d.Feeds, StateOf(d), d.Metadata, Rfc3339.Format(d.UpdatedAt));

    public static string StateOf(Device d) => d.Up ? "up" : "down";
}

/// <summary>The maintenance marker of a host.</summary>
public sealed record MaintenanceView(string State, string SessionId, string Since);

/// <summary>A server; <c>host</c> only for admins, everyone sees <c>host_id</c>.</summary>
public sealed record ServerView(
    string Id, string? Name, string? ProjectId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Host,
    string? HostId, string State, string HostStatus, string? GroupId, IReadOnlyDictionary<string, string> Metadata, string UpdatedAt)
{
    public static ServerView Of(Server s, ResourceMap map, Caller caller) => new(
        s.Id, s.Name, s.ProjectId, caller.IsAdmin ? s.Host : null, s.HostId, s.State.Name(), map.HostStatusOf(s.Host).Name(),
        s.GroupId, s.Metadata, Rfc3339.Format(s.UpdatedAt));
}

/// <summary>A port; <c>host</c> only for admins.</summary>
public sealed record PortView(
    string Id, string? ServerId, string? ProjectId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Host,
    string? HostId, string? NetworkId, string Status, string? DataPlaneStatus, string UpdatedAt)
{
    public static PortView Of(Port p, Caller caller) => new(
        p.Id, p.ServerId, p.ProjectId, caller.IsAdmin ? p.Host : null, p.HostId, p.NetworkId, p.Active ? "ACTIVE" : "DOWN",
        ResourceStates.DataPlane(p.DataPlaneUp), Rfc3339.Format(p.UpdatedAt));
}
