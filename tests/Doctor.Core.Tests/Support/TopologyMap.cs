using System.Collections.Immutable;
using Doctor.Access;
using Doctor.Faults;
using Doctor.Inventory;
using Doctor.State;
using Doctor.Subscriptions;

namespace Doctor.Core.Tests.Support;

/// <summary>
/// Two racks. Rack A: pdu-a feeds tor-a, the only switch of host-a1 (vm-1 of project-x, vm-2 of project-y) and host-a2
/// (vm-3 of project-x). Rack B: host-b1 (vm-4 of project-x, vm-5 of project-y) hangs on two redundant switches, tor-b1
/// (fed by pdu-b) and tor-b2. vm-1 and vm-4 are an ACT-STBY pair (group g1); each has a port.
/// </summary>
public static class TopologyMap
{
    public const string ProjectX = "project-x";
    public const string ProjectY = "project-y";

    public static Device Device(string id, string kind, params string[] feeds) =>
        new() { Id = id, Kind = kind, Feeds = [.. feeds], UpdatedAt = TestMap.Start };

    public static ResourceMap Map() => ResourceMap.From(
        [TestMap.Host("host-a1"), TestMap.Host("host-a2"), TestMap.Host("host-b1")],
        [
            TestMap.Server("vm-1", ProjectX, "host-a1") with { GroupId = "g1" },
            TestMap.Server("vm-2", ProjectY, "host-a1"),
            TestMap.Server("vm-3", ProjectX, "host-a2"),
            TestMap.Server("vm-4", ProjectX, "host-b1") with { GroupId = "g1" },
            TestMap.Server("vm-5", ProjectY, "host-b1"),
        ],
        [
            TestMap.Port("port-1", "vm-1", ProjectX, "host-a1"),
            TestMap.Port("port-4", "vm-4", ProjectX, "host-b1"),
        ],
        [
            Device("pdu-a", "pdu", "tor-a"),
            Device("tor-a", "switch", "host-a1", "host-a2"),
            Device("pdu-b", "pdu", "tor-b1"),
            Device("tor-b1", "switch", "host-b1"),
            Device("tor-b2", "switch", "host-b1"),
        ]);

    public static DoctorState State(IEnumerable<Subscription>? subscriptions = null) =>
        new(Map(), FaultBook.Empty, SubscriptionBook.From(subscriptions ?? []), TokenBook.Empty, 0);

    public static Doctor.Events.RawEvent DeviceEvent(string type, string device, string id) =>
        TestMap.Event(type, id, ("device_id", device), ("source", "snmp-trap-9"));
}
