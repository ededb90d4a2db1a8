using System.Collections.Immutable;
using Doctor.Access;
using Doctor.Events;
using Doctor.Faults;
using Doctor.Inventory;
using Doctor.State;
using Doctor.Subscriptions;

namespace Doctor.Core.Tests.Support;

/// <summary>
/// A small cloud: compute-1 runs vm-a1 and vm-a2 (project-a), vm-b1 (project-b) and vm-a3, which is already
/// in error; compute-2 runs vm-a4. Each server has one port; port-b1 never reported a data plane status.
/// </summary>
public static class TestMap
{
    public const string ProjectA = "project-a";
    public const string ProjectB = "project-b";
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static Host Host(string name, string? zone = "zone-1") => new() { Name = name, Zone = zone, UpdatedAt = Start };

    public static Server Server(string id, string project, string host, ServerState state = ServerState.Normal) =>
        new() { Id = id, Name = id + "-name", ProjectId = project, Host = host, State = state, UpdatedAt = Start };

    public static Port Port(string id, string server, string project, string host, bool? dataPlaneUp = true) =>
        new() { Id = id, ServerId = server, ProjectId = project, Host = host, NetworkId = "net-1", DataPlaneUp = dataPlaneUp, UpdatedAt = Start };

    public static ResourceMap Map() => ResourceMap.From(
        [Host("compute-1"), Host("compute-2")],
        [
            Server("vm-a1", ProjectA, "compute-1"),
            Server("vm-a2", ProjectA, "compute-1"),
            Server("vm-a3", ProjectA, "compute-1", ServerState.Error),
            Server("vm-b1", ProjectB, "compute-1"),
            Server("vm-a4", ProjectA, "compute-2"),
        ],
        [
            Port("port-a1", "vm-a1", ProjectA, "compute-1"),
            Port("port-a2", "vm-a2", ProjectA, "compute-1"),
            Port("port-b1", "vm-b1", ProjectB, "compute-1", dataPlaneUp: null),
            Port("port-a4", "vm-a4", ProjectA, "compute-2"),
        ]);

    public static DoctorState State(IEnumerable<Subscription>? subscriptions = null) =>
        new(Map(), FaultBook.Empty, SubscriptionBook.From(subscriptions ?? []), TokenBook.Empty, 0);

    public static RawEvent Event(string type, string id, params (string Key, string Value)[] details) => new()
    {
        Id = id,
        Type = type,
        Time = Start.AddMinutes(1),
        Details = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, details.Select(d => KeyValuePair.Create(d.Key, d.Value))),
    };

    public static RawEvent HostEvent(string type, string host, string id) =>
        Event(type, id, ("hostname", host), ("source", "ipmi-monitor-7"), ("cause", "BMC reports power loss on PSU2"));

    public static RawEvent AdminHostState(string host, string id, string? forcedDown, string? status = null)
    {
        var details = new List<(string, string)> { ("hostname", host), ("reason", "replacing a DIMM") };
        if (forcedDown is not null)
            details.Add(("forced_down", forcedDown));
        if (status is not null)
            details.Add(("status", status));
        return Event(InternalEventTypes.HostState, id, [.. details]) with { Origin = EventOrigin.Admin };
    }

    public static Subscription Subscription(string id, string? project, SubscriptionFilter? filter = null, string? secret = null) => new()
    {
        SubscriptionId = id,
        CallbackUrl = $"http://127.0.0.1:9/{id}",
        ProjectId = project,
        Filter = filter ?? SubscriptionFilter.All,
        Secret = secret,
        CreatedAt = Start,
    };
}
