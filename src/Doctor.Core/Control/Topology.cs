using Doctor.Inspection;
using Doctor.Inventory;

namespace Doctor.Control;

/// <summary>
/// Physical → physical → virtual correlation over the feed edges (SPEC §4). Feeders of one kind are redundant to each
/// other: a host or device is cut off only when every one of its feeders of some kind is down; while one is still up
/// it has only lost redundancy.
/// </summary>
internal static class Topology
{
    /// <summary>Whether every feeder of <paramref name="target"/> of <paramref name="kind"/> is down.</summary>
    public static bool AllFeedersDown(ResourceMapEditor map, string target, string kind)
    {
        foreach (var feederId in map.FeedersOf(target))
        {
            if (map.Device(feederId) is { } feeder && feeder.Kind == kind && feeder.Up)
                return false;
        }

        return true;
    }

    /// <summary>Whether some kind of feeder of <paramref name="target"/> is down entirely.</summary>
    public static bool IsCutOff(ResourceMapEditor map, string target)
    {
        foreach (var feederId in map.FeedersOf(target))
        {
            if (map.Device(feederId) is { Up: false } feeder && AllFeedersDown(map, target, feeder.Kind))
                return true;
        }

        return false;
    }

    /// <summary>Whether any feeder of <paramref name="target"/> is down.</summary>
    public static bool AnyFeederDown(ResourceMapEditor map, string target)
    {
        foreach (var feederId in map.FeedersOf(target))
        {
            if (map.Device(feederId) is { Up: false })
                return true;
        }

        return false;
    }

    /// <summary>
    /// Takes <paramref name="device"/> down with everything it cuts off: devices that depend on it alone go down too
    /// (transitively: a PDU takes its switch, the switch its hosts), hosts cut off take the <c>host_down</c> effect,
    /// and hosts that only lost one of several redundant feeders get a <c>redundancy lost</c> warning, for their
    /// owners, without any state change.
    /// </summary>
    public static void Fail(Outbreak o, Device device)
    {
        var map = o.Context.Map;
        var at = o.Context.At;
        var prior = ResourceStates.Of(device);
        var heldBy = Held.By(o.Context.State, ResourceType.Device, device.Id, Effect.DeviceDown);
        if (device.Up)
            map.PutDevice(device = device with { Up = false, UpdatedAt = at });

        // Devices first, breadth first, so a host is judged once every device above it has its final state.
        var downed = new List<Device> { device };
        var hosts = new List<string>();
        var seenHosts = new HashSet<string>(StringComparer.Ordinal);
        var seenDevices = new HashSet<string>(StringComparer.Ordinal) { device.Id };
        for (var i = 0; i < downed.Count; i++)
        {
            foreach (var target in downed[i].Feeds)
            {
                if (map.Device(target) is { } fed)
                {
                    if (!seenDevices.Add(fed.Id) || !fed.Up || !AllFeedersDown(map, fed.Id, downed[i].Kind))
                        continue;
                    var cut = fed with { Up = false, UpdatedAt = at };
                    map.PutDevice(cut);
                    downed.Add(cut);
                    var fault = o.Derive(ResourceType.Device, cut.Id, null, null, Effect.DeviceDown, "up");
                    o.Add(DeviceResource(cut, fault));
                }
                else if (map.Host(target) is not null && seenHosts.Add(target))
                {
                    hosts.Add(target);
                }
            }
        }

        var timeline = o.Context.Timeline;
        timeline?.Mark(Profiling.Checkpoint.FoundAffected);
        var redundancyLost = new FaultKind(PolicyDefaults.RedundancyLostFaultType, Faults.Severity.Warning, "redundancy lost", Effect.NotifyOnly);
        var firstDown = true;
        foreach (var host in hosts)
        {
            if (IsCutOff(map, host))
            {
                HostImpact.Apply(o, host, Effect.HostDown, asRoot: false, profile: false);
                if (firstDown)
                    timeline?.Mark(Profiling.Checkpoint.MarkedHostDown); // the first host fenced: its owners are next
                firstDown = false;
            }
            else
            {
                HostImpact.Apply(o, host, Effect.NotifyOnly, asRoot: false, redundancyLost, profile: false);
            }
        }

        timeline?.Mark(Profiling.Checkpoint.SetVmError);

        var root = o.Root(ResourceType.Device, device.Id, null, null, heldBy?.PriorValue ?? prior);
        o.AddFirst(DeviceResource(device, root));
    }

    public static Notification.NoticeResource DeviceResource(Device device, Faults.Fault fault) =>
        new(ResourceType.Device, device.Id, null, null, ResourceStates.Of(device), HostStatus.Unknown, null, [fault]);
}
