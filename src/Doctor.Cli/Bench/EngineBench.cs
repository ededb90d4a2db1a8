using System.Collections.Immutable;
using System.Diagnostics;
using Doctor.Control;
using Doctor.Events;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.Notification;
using Doctor.Profiling;
using Doctor.State;
using Doctor.Subscriptions;

namespace Doctor.Cli.Bench;

using Host = Doctor.Inventory.Host;
using Server = Doctor.Inventory.Server;

/// <summary>
/// The engine's own cost, without HTTP or disk: inspect + apply one host failure (or one switch failure and every host
/// behind it) and build every owner's notification, then recover. Shows what the single writer spends per event as
/// the fan-out grows.
/// </summary>
public static class EngineBench
{
    /// <param name="hostsPerSwitch">When positive, the hosts hang off switches of this many hosts each.</param>
    /// <param name="failSwitch">Fail a switch (<c>network.switch.down</c>) instead of one host.</param>
    public static int Run(int vmsPerHost, int projects, int hosts, int runs, int hostsPerSwitch = 0, bool failSwitch = false)
    {
        // Owners run on consecutive VMs across hosts (as in bench fault), so a switch's hosts have min(projects, VMs) owners.
        string ProjectOf(int h, int v) => $"project-{(h * vmsPerHost + v) % projects}";
        var switches = hostsPerSwitch > 0 ? (hosts + hostsPerSwitch - 1) / hostsPerSwitch : 0;
        var devices = Enumerable.Range(0, switches).Select(s => new Device
        {
            Id = $"tor-{s}", Kind = "switch",
            Feeds = [.. Enumerable.Range(s * hostsPerSwitch, Math.Min(hostsPerSwitch, hosts - s * hostsPerSwitch)).Select(h => $"host-{h}")],
        });
        var map = ResourceMap.From(
            Enumerable.Range(0, hosts).Select(h => new Host { Name = $"host-{h}" }),
            Enumerable.Range(0, hosts).SelectMany(h => Enumerable.Range(0, vmsPerHost).Select(v =>
                new Server { Id = $"vm-{h}-{v}", ProjectId = ProjectOf(h, v), Host = $"host-{h}" })),
            Enumerable.Range(0, hosts).SelectMany(h => Enumerable.Range(0, vmsPerHost).Select(v =>
                new Port { Id = $"port-{h}-{v}", ServerId = $"vm-{h}-{v}", ProjectId = ProjectOf(h, v), Host = $"host-{h}" })));
        if (switches > 0)
        {
            var editor = new StateEditor(DoctorState.Empty with { Map = map }, DateTimeOffset.UnixEpoch);
            foreach (var device in devices)
                editor.Map.PutDevice(device);
            map = editor.Map.Build();
        }

        var subscriptions = SubscriptionBook.From(Enumerable.Range(0, projects).Select(p => new Subscription
        {
            SubscriptionId = $"sub-{p}", CallbackUrl = "http://127.0.0.1:1/", ProjectId = $"project-{p}", CreatedAt = DateTimeOffset.UnixEpoch, Secret = "0123456789abcdef",
        }));
        var state = DoctorState.Empty with { Map = map, Subscriptions = subscriptions };
        var processor = new FaultProcessor(new PolicySource(FailurePolicy.Default), new TimelineBook());
        var sink = new CountingSink();
        var notifier = new Notifier(sink, TimeProvider.System);
        var apply = new List<double>();
        var build = new List<double>();
        var clear = new List<double>();
        var (down, up, detail, targets) = failSwitch
            ? ("network.switch.down", "network.switch.up", "device_id", switches)
            : ("compute.host.down", "compute.host.up", "hostname", hosts);
        long seq = 0;
        int[] gcAtStart = [];
        var pauseAtStart = TimeSpan.Zero;
        var allocatedAtStart = 0L;
        for (var run = 0; run < runs + 50; run++)
        {
            if (run == 50)
            {
                gcAtStart = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
                pauseAtStart = GC.GetTotalPauseDuration();
                allocatedAtStart = GC.GetTotalAllocatedBytes();
            }

            var target = failSwitch ? $"tor-{run % targets}" : $"host-{run % targets}";
            foreach (var type in new[] { down, up })
            {
                var record = new EventRecord(++seq, new RawEvent { Id = $"e{seq}", Time = DateTimeOffset.UtcNow, Type = type, Details = ImmutableSortedDictionary<string, string>.Empty.Add(detail, target) }, DateTimeOffset.UtcNow, 0, 0);
                var t0 = Stopwatch.GetTimestamp();
                var editor = new StateEditor(state, DateTimeOffset.UtcNow) { ProcessedSeq = seq };
                var result = processor.Process(editor, record);
                state = editor.Build();
                if (state.Faults.Cleared.Count > DoctorConstants.ClearedFaultsKept)
                {
                    // Retention, as the engine applies it after each batch: the history stays bounded.
                    var evict = new StateEditor(state, DateTimeOffset.UtcNow);
                    evict.Faults.Evict(DoctorConstants.ClearedFaultsKept, most: 10_000);
                    state = evict.Build();
                }

                var t1 = Stopwatch.GetTimestamp();
                notifier.Publish([result.Notice!], state);
                var t2 = Stopwatch.GetTimestamp();
                if (run < 50)
                    continue;
                if (type == down)
                {
                    apply.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                    build.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
                }
                else
                {
                    clear.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                }
            }
        }

        var fanOut = failSwitch ? Math.Min(hostsPerSwitch, hosts) : 1;
        Console.WriteLine(failSwitch
            ? $"engine only, switch failure: {fanOut} hosts × ({vmsPerHost} VMs + {vmsPerHost} ports), {Math.Min(projects, fanOut * vmsPerHost)} owners, {runs} failures"
            : $"engine only, {vmsPerHost} VMs + {vmsPerHost} ports of {projects} owners per host, {runs} failures");
        Console.WriteLine($"  inspect + apply:          {Percentiles.Of(apply)}");
        Console.WriteLine($"  build notifications:      {Percentiles.Of(build)}  ({sink.Count / (runs + 50) / 2} per event)");
        Console.WriteLine($"  recover (apply):          {Percentiles.Of(clear)}");
        Console.WriteLine(
            $"  GCs while measured:       gen0 {GC.CollectionCount(0) - gcAtStart[0]}, gen1 {GC.CollectionCount(1) - gcAtStart[1]}, gen2 {GC.CollectionCount(2) - gcAtStart[2]}, " +
            $"paused {(GC.GetTotalPauseDuration() - pauseAtStart).TotalMilliseconds:F0} ms, " +
            $"allocated {(GC.GetTotalAllocatedBytes() - allocatedAtStart) / runs / 1024.0 / 1024.0:F1} MiB per failure + recovery");
        return 0;
    }

    private sealed class CountingSink : IDeliverySink
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Enqueue(Subscription subscription, Delivery delivery) => Interlocked.Increment(ref _count);
    }
}
