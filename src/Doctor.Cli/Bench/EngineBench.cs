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
/// The engine's own cost, without HTTP or disk: inspect + apply one host failure and build every owner's
/// notification, then recover. Shows what the single writer spends per event as the host grows.
/// </summary>
public static class EngineBench
{
    public static int Run(int vmsPerHost, int projects, int hosts, int runs)
    {
        var map = ResourceMap.From(
            Enumerable.Range(0, hosts).Select(h => new Host { Name = $"host-{h}" }),
            Enumerable.Range(0, hosts).SelectMany(h => Enumerable.Range(0, vmsPerHost).Select(v =>
                new Server { Id = $"vm-{h}-{v}", ProjectId = $"project-{v % projects}", Host = $"host-{h}" })),
            Enumerable.Range(0, hosts).SelectMany(h => Enumerable.Range(0, vmsPerHost).Select(v =>
                new Port { Id = $"port-{h}-{v}", ServerId = $"vm-{h}-{v}", ProjectId = $"project-{v % projects}", Host = $"host-{h}" })));
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
        long seq = 0;
        for (var run = 0; run < runs + 50; run++)
        {
            var host = $"host-{run % hosts}";
            foreach (var type in new[] { "compute.host.down", "compute.host.up" })
            {
                var record = new EventRecord(++seq, new RawEvent { Id = $"e{seq}", Time = DateTimeOffset.UtcNow, Type = type, Details = System.Collections.Immutable.ImmutableSortedDictionary<string, string>.Empty.Add("hostname", host) }, DateTimeOffset.UtcNow, 0, 0);
                var t0 = Stopwatch.GetTimestamp();
                var editor = new StateEditor(state, DateTimeOffset.UtcNow) { ProcessedSeq = seq };
                var result = processor.Process(editor, record);
                state = editor.Build();
                var t1 = Stopwatch.GetTimestamp();
                notifier.Publish([result.Notice!], state);
                var t2 = Stopwatch.GetTimestamp();
                if (run >= 50 && type == "compute.host.down")
                {
                    apply.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds);
                    build.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds);
                }
            }
        }

        Console.WriteLine($"engine only, {vmsPerHost} VMs + {vmsPerHost} ports of {projects} owners per host, {runs} failures");
        Console.WriteLine($"  inspect + apply:          {Percentiles.Of(apply)}");
        Console.WriteLine($"  build notifications:      {Percentiles.Of(build)}  ({sink.Count / (runs + 50) / 2} per event)");
        return 0;
    }

    private sealed class CountingSink : IDeliverySink
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Enqueue(Subscription subscription, Delivery delivery) => Interlocked.Increment(ref _count);
    }
}
