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
        MultiIndex.Empty, MultiIndex.Empty, MultiIndex.Empty, MultiIndex.Empty, MultiIndex.Empty);

    public ResourceMap(
        Table<Host> hosts, Table<Server> servers, Table<Port> ports,
        MultiIndex serversByHost, MultiIndex serversByProject,
        MultiIndex portsByHost, MultiIndex portsByServer, MultiIndex portsByProject)
    {
        Hosts = hosts;
        Servers = servers;
        Ports = ports;
        ServersByHost = serversByHost;
        ServersByProject = serversByProject;
        PortsByHost = portsByHost;
        PortsByServer = portsByServer;
        PortsByProject = portsByProject;
    }

    public Table<Host> Hosts { get; }
    public Table<Server> Servers { get; }
    public Table<Port> Ports { get; }
    public MultiIndex ServersByHost { get; }
    public MultiIndex ServersByProject { get; }
    public MultiIndex PortsByHost { get; }
    public MultiIndex PortsByServer { get; }
    public MultiIndex PortsByProject { get; }

    /// <summary>The host status a server or port on <paramref name="hostName"/> shows.</summary>
    public HostStatus HostStatusOf(string? hostName) =>
        HostStatuses.Derive(hostName is null ? null : Hosts.Get(hostName));

    /// <summary>Builds the map and all its indexes in one pass (start-up load).</summary>
    public static ResourceMap From(IEnumerable<Host> hosts, IEnumerable<Server> servers, IEnumerable<Port> ports)
    {
        var serverList = servers.ToList();
        var portList = ports.ToList();
        return new ResourceMap(
            Table<Host>.From(hosts.Select(h => KeyValuePair.Create(h.Name, h))),
            Table<Server>.From(serverList.Select(s => KeyValuePair.Create(s.Id, s))),
            Table<Port>.From(portList.Select(p => KeyValuePair.Create(p.Id, p))),
            MultiIndex.From(serverList.Where(s => s.Host is not null).Select(s => (s.Host!, s.Id))),
            MultiIndex.From(serverList.Where(s => s.ProjectId is not null).Select(s => (s.ProjectId!, s.Id))),
            MultiIndex.From(portList.Where(p => p.Host is not null).Select(p => (p.Host!, p.Id))),
            MultiIndex.From(portList.Where(p => p.ServerId is not null).Select(p => (p.ServerId!, p.Id))),
            MultiIndex.From(portList.Where(p => p.ProjectId is not null).Select(p => (p.ProjectId!, p.Id))));
    }
}
