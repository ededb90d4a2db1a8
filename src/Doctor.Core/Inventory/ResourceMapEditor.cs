using Doctor.State;

namespace Doctor.Inventory;

/// <summary>Mutable view over one <see cref="ResourceMap"/>: keeps every index in step and logs each row change.</summary>
public sealed class ResourceMapEditor
{
    private readonly List<RowChange> _changes;
    private readonly TableEditor<Host> _hosts;
    private readonly TableEditor<Server> _servers;
    private readonly TableEditor<Port> _ports;
    private readonly MultiIndexEditor _serversByHost;
    private readonly MultiIndexEditor _serversByProject;
    private readonly MultiIndexEditor _portsByHost;
    private readonly MultiIndexEditor _portsByServer;
    private readonly MultiIndexEditor _portsByProject;
    private readonly TableEditor<Device> _devices;
    private readonly MultiIndexEditor _feedersOf;
    private readonly MultiIndexEditor _serversByGroup;

    internal ResourceMapEditor(ResourceMap map, List<RowChange> changes)
    {
        _changes = changes;
        _hosts = map.Hosts.Edit();
        _servers = map.Servers.Edit();
        _ports = map.Ports.Edit();
        _serversByHost = map.ServersByHost.Edit();
        _serversByProject = map.ServersByProject.Edit();
        _portsByHost = map.PortsByHost.Edit();
        _portsByServer = map.PortsByServer.Edit();
        _portsByProject = map.PortsByProject.Edit();
        _devices = map.Devices.Edit();
        _feedersOf = map.FeedersOf.Edit();
        _serversByGroup = map.ServersByGroup.Edit();
    }

    public Host? Host(string name) => _hosts.Get(name);
    public Server? Server(string id) => _servers.Get(id);
    public Port? Port(string id) => _ports.Get(id);
    public IReadOnlyCollection<string> ServersOn(string host) => _serversByHost.Get(host);
    public IReadOnlyCollection<string> PortsOn(string host) => _portsByHost.Get(host);
    public IReadOnlyCollection<string> PortsOf(string serverId) => _portsByServer.Get(serverId);
    public IReadOnlyList<string> HostNames() => _hosts.Keys();
    public IReadOnlyList<string> ServerIds() => _servers.Keys();
    public IReadOnlyList<string> PortIds() => _ports.Keys();
    public Device? Device(string id) => _devices.Get(id);
    public IReadOnlyList<string> DeviceIds() => _devices.Keys();

    /// <summary>The devices that feed a host or device.</summary>
    public IReadOnlyCollection<string> FeedersOf(string hostOrDevice) => _feedersOf.Get(hostOrDevice);

    public IReadOnlyCollection<string> ServersInGroup(string groupId) => _serversByGroup.Get(groupId);

    public HostStatus HostStatusOf(string? hostName) => HostStatuses.Derive(hostName is null ? null : _hosts.Get(hostName));

    public void PutHost(Host host)
    {
        _hosts.Put(host.Name, host);
        _changes.Add(new RowChange(RowKind.Host, host.Name, host));
    }

    public bool RemoveHost(string name)
    {
        if (!_hosts.Remove(name))
            return false;
        _changes.Add(new RowChange(RowKind.Host, name, null));
        return true;
    }

    /// <summary>Creates or replaces a server; ports that followed it to its old host (or project) follow it to the new one.</summary>
    public void PutServer(Server server)
    {
        var old = _servers.Get(server.Id);
        _servers.Put(server.Id, server);
        _changes.Add(new RowChange(RowKind.Server, server.Id, server));
        if (old is not null && old.Host == server.Host && old.ProjectId == server.ProjectId && old.GroupId == server.GroupId)
            return; // a state change: the indexes already hold it (the hot path of a host failure)

        if (old is not null)
        {
            _serversByHost.Remove(old.Host, old.Id);
            _serversByProject.Remove(old.ProjectId, old.Id);
            _serversByGroup.Remove(old.GroupId, old.Id);
        }

        _serversByHost.Add(server.Host, server.Id);
        _serversByProject.Add(server.ProjectId, server.Id);
        _serversByGroup.Add(server.GroupId, server.Id);

        // The project follows like the host: a port left with the old owner would be notified to a tenant that no
        // longer owns the server, and hidden from the one that does.
        if (old is not null && (old.Host != server.Host || old.ProjectId != server.ProjectId))
        {
            foreach (var portId in _portsByServer.Get(server.Id).ToList())
            {
                var port = _ports.Get(portId)!;
                var followsHost = old.Host != server.Host && port.Host == old.Host;
                var followsProject = old.ProjectId != server.ProjectId && port.ProjectId == old.ProjectId;
                if (followsHost || followsProject)
                {
                    PutPort(port with
                    {
                        Host = followsHost ? server.Host : port.Host,
                        ProjectId = followsProject ? server.ProjectId : port.ProjectId,
                        UpdatedAt = server.UpdatedAt,
                    });
                }
            }
        }
    }

    public bool RemoveServer(string id)
    {
        var old = _servers.Get(id);
        if (old is null)
            return false;
        _servers.Remove(id);
        _serversByHost.Remove(old.Host, id);
        _serversByProject.Remove(old.ProjectId, id);
        _serversByGroup.Remove(old.GroupId, id);
        _changes.Add(new RowChange(RowKind.Server, id, null));
        return true;
    }

    /// <summary>Creates or replaces a port; a missing host or project is taken from its server.</summary>
    public void PutPort(Port port)
    {
        if (port.ServerId is not null && (port.Host is null || port.ProjectId is null) && _servers.Get(port.ServerId) is { } server)
            port = port with { Host = port.Host ?? server.Host, ProjectId = port.ProjectId ?? server.ProjectId };

        var old = _ports.Get(port.Id);
        _ports.Put(port.Id, port);
        _changes.Add(new RowChange(RowKind.Port, port.Id, port));
        if (old is not null && old.Host == port.Host && old.ServerId == port.ServerId && old.ProjectId == port.ProjectId)
            return;
        if (old is not null)
            Unindex(old);
        _portsByHost.Add(port.Host, port.Id);
        _portsByServer.Add(port.ServerId, port.Id);
        _portsByProject.Add(port.ProjectId, port.Id);
    }

    public bool RemovePort(string id)
    {
        var old = _ports.Get(id);
        if (old is null)
            return false;
        _ports.Remove(id);
        Unindex(old);
        _changes.Add(new RowChange(RowKind.Port, id, null));
        return true;
    }

    /// <summary>Creates or replaces a device and keeps the reverse feed index in step.</summary>
    public void PutDevice(Device device)
    {
        var old = _devices.Get(device.Id);
        _devices.Put(device.Id, device);
        _changes.Add(new RowChange(RowKind.Device, device.Id, device));
        if (old is not null && old.Feeds.SequenceEqual(device.Feeds, StringComparer.Ordinal))
            return; // a state change (the fault path)
        if (old is not null)
        {
            foreach (var target in old.Feeds)
                _feedersOf.Remove(target, old.Id);
        }

        foreach (var target in device.Feeds)
            _feedersOf.Add(target, device.Id);
    }

    public bool RemoveDevice(string id)
    {
        var old = _devices.Get(id);
        if (old is null)
            return false;
        _devices.Remove(id);
        foreach (var target in old.Feeds)
            _feedersOf.Remove(target, id);
        _changes.Add(new RowChange(RowKind.Device, id, null));
        return true;
    }

    private void Unindex(Port port)
    {
        _portsByHost.Remove(port.Host, port.Id);
        _portsByServer.Remove(port.ServerId, port.Id);
        _portsByProject.Remove(port.ProjectId, port.Id);
    }

    public ResourceMap Build() => new(
        _hosts.Build(), _servers.Build(), _ports.Build(),
        _serversByHost.Build(), _serversByProject.Build(),
        _portsByHost.Build(), _portsByServer.Build(), _portsByProject.Build(),
        _devices.Build(), _feedersOf.Build(), _serversByGroup.Build());
}
