using Doctor.State;

namespace Doctor.Inventory;

/// <summary>
/// One immutable version of the physical→virtual map with the indexes the fault path needs, so that
/// "every VM and port on host h" is a lookup, not a scan.
/// </summary>
public sealed class ResourceMap
{
    public static readonly ResourceMap Empty = new(
        Table<Host>.Empty, Table<Server>.Empty, Table<Port>.Empty,
        MultiIndex.Empty, MultiIndex.Empty, MultiIndex.Empty, MultiIndex.Empty, MultiIndex.Empty,
        Table<Device>.Empty, MultiIndex.Empty, MultiIndex.Empty);

    public ResourceMap(
        Table<Host> hosts, Table<Server> servers, Table<Port> ports,
        MultiIndex serversByHost, MultiIndex serversByProject,
        MultiIndex portsByHost, MultiIndex portsByServer, MultiIndex portsByProject,
        Table<Device> devices, MultiIndex feedersOf, MultiIndex serversByGroup)
    {
        Hosts = hosts;
        Servers = servers;
        Ports = ports;
        ServersByHost = serversByHost;
        ServersByProject = serversByProject;
        PortsByHost = portsByHost;
        PortsByServer = portsByServer;
        PortsByProject = portsByProject;
        Devices = devices;
        FeedersOf = feedersOf;
        ServersByGroup = serversByGroup;
    }

    public Table<Host> Hosts { get; }
    public Table<Server> Servers { get; }
    public Table<Port> Ports { get; }
    public MultiIndex ServersByHost { get; }
    public MultiIndex ServersByProject { get; }
    public MultiIndex PortsByHost { get; }
    public MultiIndex PortsByServer { get; }
    public MultiIndex PortsByProject { get; }
    public Table<Device> Devices { get; }

    /// <summary>Host name or device id → the devices that feed it (the reverse of <see cref="Device.Feeds"/>).</summary>
    public MultiIndex FeedersOf { get; }

    /// <summary>Server group (<c>group_id</c>) → its member servers.</summary>
    public MultiIndex ServersByGroup { get; }

    /// <summary>The host status a server or port on <paramref name="hostName"/> shows.</summary>
    public HostStatus HostStatusOf(string? hostName) =>
        HostStatuses.Derive(hostName is null ? null : Hosts.Get(hostName));

    /// <summary>Builds the map and all its indexes in one pass (start-up load).</summary>
    public static ResourceMap From(IEnumerable<Host> hosts, IEnumerable<Server> servers, IEnumerable<Port> ports, IEnumerable<Device>? devices = null)
    {
        var serverList = servers.ToList();
        var portList = ports.ToList();
        var deviceList = devices?.ToList() ?? [];
        // Eight independent structures: built in parallel, a large map loads in a fraction of the time.
        var hostTable = Task.Run(() => Table<Host>.From(hosts.Select(h => KeyValuePair.Create(h.Name, h))));
        var serverTable = Task.Run(() => Table<Server>.From(serverList.Select(s => KeyValuePair.Create(s.Id, s))));
        var portTable = Task.Run(() => Table<Port>.From(portList.Select(p => KeyValuePair.Create(p.Id, p))));
        var serversByHost = Task.Run(() => MultiIndex.From(serverList.Where(s => s.Host is not null).Select(s => (s.Host!, s.Id))));
        var serversByProject = Task.Run(() => MultiIndex.From(serverList.Where(s => s.ProjectId is not null).Select(s => (s.ProjectId!, s.Id))));
        var portsByHost = Task.Run(() => MultiIndex.From(portList.Where(p => p.Host is not null).Select(p => (p.Host!, p.Id))));
        var portsByServer = Task.Run(() => MultiIndex.From(portList.Where(p => p.ServerId is not null).Select(p => (p.ServerId!, p.Id))));
        var portsByProject = MultiIndex.From(portList.Where(p => p.ProjectId is not null).Select(p => (p.ProjectId!, p.Id)));
        var serversByGroup = MultiIndex.From(serverList.Where(s => s.GroupId is not null).Select(s => (s.GroupId!, s.Id)));
        var deviceTable = Table<Device>.From(deviceList.Select(d => KeyValuePair.Create(d.Id, d)));
        var feedersOf = MultiIndex.From(deviceList.SelectMany(d => d.Feeds.Distinct(StringComparer.Ordinal).Select(target => (target, d.Id))));
        return new ResourceMap(
            hostTable.GetAwaiter().GetResult(), serverTable.GetAwaiter().GetResult(), portTable.GetAwaiter().GetResult(),
            serversByHost.GetAwaiter().GetResult(), serversByProject.GetAwaiter().GetResult(),
            portsByHost.GetAwaiter().GetResult(), portsByServer.GetAwaiter().GetResult(), portsByProject,
            deviceTable, feedersOf, serversByGroup);
    }
}
