using System.Collections.Immutable;
using Doctor.Inventory;
using Doctor.Serialization;
using Doctor.Server.Http;

namespace Doctor.Server.Inventory;

using Host = Doctor.Inventory.Host;
using Server = Doctor.Inventory.Server;

/// <summary>A host as PUT or imported. Unknown fields are ignored; absent runtime fields keep their current value.</summary>
public sealed record HostInput(
    string? Name, string? Zone, string? Status, string? State, bool? ForcedDown,
    string? FirmwareVersion, string? HypervisorVersion, Dictionary<string, string>? Metadata);

/// <summary>A server as PUT or imported.</summary>
public sealed record ServerInput(
    string? Id, string? Name, string? ProjectId, string? Host, string? State, string? GroupId, Dictionary<string, string>? Metadata);

/// <summary>A port as PUT or imported.</summary>
public sealed record PortInput(
    string? Id, string? ServerId, string? ProjectId, string? Host, string? NetworkId, string? Status, string? DataPlaneStatus);

/// <summary>A device as PUT or imported; absent <c>state</c> keeps the current one (<c>up</c> for a new device).</summary>
public sealed record DeviceInput(
    string? Id, string? Kind, string? Zone, List<string?>? Feeds, string? State, Dictionary<string, string>? Metadata);

/// <summary>The inventory document of <c>POST /v1/inventory</c>.</summary>
public sealed record InventoryInput(List<HostInput?>? Hosts, List<ServerInput?>? Servers, List<PortInput?>? Ports, List<DeviceInput?>? Devices);

/// <summary>
/// Turns inputs into records, or a 400 naming the field. Nothing here touches the state. Every detail starts with
/// the full path (<c>servers[12].state</c>), so a user of a large inventory document learns which item is bad.
/// </summary>
public static class InventoryValidation
{
    /// <summary>Most entries in one device's <c>feeds</c>: a top-of-rack switch or a PDU feeds tens of hosts, a spine a
    /// few hundred; more is a mistake in the document, and the bound keeps one PUT from growing the feed index unboundedly.</summary>
    public const int MaxFeedsPerDevice = 1000;

    public static Host ToHost(HostInput? input, string? pathName, string at, Host? current, DateTimeOffset now)
    {
        if (input is null)
            throw Bad(at, $"{at} must be an object");
        var name = PathKey(Identifier(input.Name ?? pathName, $"{at}.name", required: true)!, $"{at}.name");
        if (pathName is not null && input.Name is not null && input.Name != pathName)
            throw Bad($"{at}.name", $"{at}.name must match the name in the path");
        var host = current ?? new Host { Name = name };
        return host with
        {
            Name = name,
            Zone = Identifier(input.Zone, $"{at}.zone"),
            Enabled = input.Status switch
            {
                null => host.Enabled,
                "enabled" => true,
                "disabled" => false,
                _ => throw Bad($"{at}.status", $"{at}.status must be enabled or disabled"),
            },
            Up = input.State switch
            {
                null => host.Up,
                "up" => true,
                "down" => false,
                _ => throw Bad($"{at}.state", $"{at}.state must be up or down"),
            },
            ForcedDown = input.ForcedDown ?? host.ForcedDown,
            FirmwareVersion = Text(input.FirmwareVersion, $"{at}.firmware_version"),
            HypervisorVersion = Text(input.HypervisorVersion, $"{at}.hypervisor_version"),
            Metadata = Metadata(input.Metadata, $"{at}.metadata"),
            UpdatedAt = now,
        };
    }

    public static Server ToServer(ServerInput? input, string? pathId, string at, Server? current, DateTimeOffset now)
    {
        if (input is null)
            throw Bad(at, $"{at} must be an object");
        var id = PathKey(Identifier(input.Id ?? pathId, $"{at}.id", required: true)!, $"{at}.id");
        if (pathId is not null && input.Id is not null && input.Id != pathId)
            throw Bad($"{at}.id", $"{at}.id must match the id in the path");
        var state = current?.State ?? ServerState.Normal;
        if (input.State is not null && !ServerStates.TryParse(input.State, out state))
            throw Bad($"{at}.state", $"{at}.state must be one of normal, error, down, maintenance");
        return new Server
        {
            Id = id,
            Name = Text(input.Name, $"{at}.name"),
            ProjectId = Identifier(input.ProjectId, $"{at}.project_id"),
            Host = Identifier(input.Host, $"{at}.host"),
            State = state,
            GroupId = Identifier(input.GroupId, $"{at}.group_id"),
            Metadata = Metadata(input.Metadata, $"{at}.metadata"),
            UpdatedAt = now,
        };
    }

    public static Port ToPort(PortInput? input, string? pathId, string at, Port? current, DateTimeOffset now)
    {
        if (input is null)
            throw Bad(at, $"{at} must be an object");
        var id = PathKey(Identifier(input.Id ?? pathId, $"{at}.id", required: true)!, $"{at}.id");
        if (pathId is not null && input.Id is not null && input.Id != pathId)
            throw Bad($"{at}.id", $"{at}.id must match the id in the path");
        return new Port
        {
            Id = id,
            ServerId = Identifier(input.ServerId, $"{at}.server_id"),
            ProjectId = Identifier(input.ProjectId, $"{at}.project_id"),
            Host = Identifier(input.Host, $"{at}.host"),
            NetworkId = Identifier(input.NetworkId, $"{at}.network_id"),
            Active = input.Status switch
            {
                null => current?.Active ?? true,
                "ACTIVE" => true,
                "DOWN" => false,
                _ => throw Bad($"{at}.status", $"{at}.status must be ACTIVE or DOWN"),
            },
            DataPlaneUp = input.DataPlaneStatus switch
            {
                null => current?.DataPlaneUp,
                "ACTIVE" => true,
                "DOWN" => false,
                _ => throw Bad($"{at}.data_plane_status", $"{at}.data_plane_status must be null, ACTIVE or DOWN"),
            },
            UpdatedAt = now,
        };
    }

    /// <summary>
    /// A feed target may name a host or device that does not exist (yet): inventory arrives in any order, and a
    /// dangling edge is harmless until the target appears. Only the shape of the list is checked here.
    /// </summary>
    public static Device ToDevice(DeviceInput? input, string? pathId, string at, Device? current, DateTimeOffset now)
    {
        if (input is null)
            throw Bad(at, $"{at} must be an object");
        var id = PathKey(Identifier(input.Id ?? pathId, $"{at}.id", required: true)!, $"{at}.id");
        if (pathId is not null && input.Id is not null && input.Id != pathId)
            throw Bad($"{at}.id", $"{at}.id must match the id in the path");
        return new Device
        {
            Id = id,
            Kind = Identifier(input.Kind, $"{at}.kind", required: true)!,
            Zone = Identifier(input.Zone, $"{at}.zone"),
            Feeds = Feeds(input.Feeds, id, $"{at}.feeds"),
            Up = input.State switch
            {
                null => current?.Up ?? true,
                "up" => true,
                "down" => false,
                _ => throw Bad($"{at}.state", $"{at}.state must be up or down"),
            },
            Metadata = Metadata(input.Metadata, $"{at}.metadata"),
            UpdatedAt = now,
        };
    }

    private static ImmutableArray<string> Feeds(List<string?>? feeds, string deviceId, string field)
    {
        if (feeds is null)
            return [];
        if (feeds.Count > MaxFeedsPerDevice)
            throw Bad(field, $"{field} holds at most {MaxFeedsPerDevice} entries");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = ImmutableArray.CreateBuilder<string>(feeds.Count);
        for (var i = 0; i < feeds.Count; i++)
        {
            var at = $"{field}[{i}]";
            // Path-safe like the keys it names: a target with '/' could never be a host or device, so it is a typo.
            var target = PathKey(Identifier(feeds[i], at, required: true)!, at);
            if (target == deviceId)
                throw Bad(at, $"{at}: a device may not feed itself");
            if (!seen.Add(target))
                throw Bad(at, $"{at} {target} appears twice in the list");
            result.Add(target);
        }

        return result.MoveToImmutable();
    }

    public static string? Identifier(string? value, string field, bool required = false)
    {
        if (value is null)
            return required ? throw Bad(field, $"{field} is required") : null;
        if (!Fields.IsIdentifier(value))
            throw Bad(field, $"{field} must be 1–{DoctorConstants.MaxIdentifierLength} characters without control characters");
        return value;
    }

    /// <summary>
    /// A name or id that is also a path segment (<c>/v1/hosts/{name}</c>): ASP.NET Core never decodes %2F in a route
    /// value and drops "." and ".." segments, so a key holding "/" or made of dots could be imported but never read,
    /// replaced or deleted again.
    /// </summary>
    private static string PathKey(string value, string field)
    {
        if (value.Contains('/', StringComparison.Ordinal) || value is "." or "..")
            throw Bad(field, $"{field} is part of a URL path: it may not contain '/' nor be '.' or '..'");
        return value;
    }

    private static string? Text(string? value, string field)
    {
        if (value is not null && (value.Length > DoctorConstants.MaxIdentifierLength || !Fields.IsIdentifier(value) && value.Length > 0))
            throw Bad(field, $"{field} must be at most {DoctorConstants.MaxIdentifierLength} characters without control characters");
        return value;
    }

    private static ImmutableSortedDictionary<string, string> Metadata(Dictionary<string, string>? metadata, string field)
    {
        if (metadata is null)
            return ImmutableSortedDictionary<string, string>.Empty;
        if (metadata.Count > 256)
            throw Bad(field, $"{field} holds at most 256 entries");
        foreach (var (key, value) in metadata)
        {
            if (!Fields.IsIdentifier(key))
                throw Bad(field, $"{field} keys must be 1–{DoctorConstants.MaxIdentifierLength} characters");
            if (value is null || value.Length > DoctorConstants.MaxDetailValueBytes)
                throw Bad($"{field}.{key}", $"{field}.{key} must be a string of at most {DoctorConstants.MaxDetailValueBytes} bytes");
        }

        return ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, metadata);
    }

    private static RequestException Bad(string field, string detail) => new(Problems.BadRequest(field, detail));
}
