using System.Collections.Immutable;
using Doctor.Control;
using Doctor.Events;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.Notification;
using Doctor.OpenStack.Sync;
using Doctor.Profiling;
using Doctor.State;

namespace Doctor.OpenStack.Tests.Infrastructure;

using Server = Doctor.Inventory.Server;

/// <summary>
/// Drives Doctor's real <see cref="FaultProcessor"/> over a map as OpenStack mode keeps it (hosts with their Nova service
/// id), one event at a time as the engine does, and keeps each event's notice: what <see cref="Actions.ActionPlan"/> reads.
/// </summary>
public sealed class Engine
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private long _seq;

    public Engine(DoctorState? state = null) => State = state ?? Cloud();

    public DoctorState State { get; set; }

    public TimelineBook Timelines { get; } = new();

    public DateTimeOffset Now { get; set; } = Start.AddMinutes(1);

    /// <summary>Applies one event; returns its notice (null when it told nobody anything).</summary>
    public Notice? Apply(string type, params (string Key, string Value)[] details) => Apply(EventOrigin.Monitor, type, details);

    /// <summary>An admin's <c>POST /v1/hosts/{name}/state</c>, as the API writes it to the log.</summary>
    public Notice? AdminForce(string host, bool forcedDown) =>
        Apply(EventOrigin.Admin, InternalEventTypes.HostState, ("hostname", host), ("forced_down", forcedDown ? "true" : "false"), ("reason", "test"));

    private Notice? Apply(EventOrigin origin, string type, params (string Key, string Value)[] details)
    {
        var seq = ++_seq;
        var e = new RawEvent
        {
            Id = $"e-{seq}",
            Type = type,
            Time = Now,
            Origin = origin,
            Details = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, details.Select(d => KeyValuePair.Create(d.Key, d.Value))),
        };
        var editor = new StateEditor(State, Now) { ProcessedSeq = seq };
        var result = new FaultProcessor(new PolicySource(FailurePolicy.Default), Timelines).Process(editor, new EventRecord(seq, e, Now, 1000 * seq, 1000 * seq + 1));
        State = editor.Build();
        Now = Now.AddSeconds(1);
        return result.Notice;
    }

    public Notice HostDown(string host) => Apply("compute.host.down", ("hostname", host))!;

    public Notice HostUp(string host) => Apply("compute.host.up", ("hostname", host))!;

    public void Edit(Action<ResourceMapEditor> edit)
    {
        var editor = new StateEditor(State, Now);
        edit(editor.Map);
        State = editor.Build();
    }

    public static ImmutableSortedDictionary<string, string> Marked(string? serviceId = null)
    {
        var marked = ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal).Add(MapSync.SourceKey, MapSync.Source);
        return serviceId is null ? marked : marked.Add(MapSync.ServiceIdKey, serviceId);
    }

    /// <summary>
    /// compute-1 (service svc-1) runs vm-a1, vm-a2 (tenant-a), vm-b1 (tenant-b) and vm-a3, already in error; compute-2
    /// (svc-2) runs vm-a4; compute-9 came from an admin's inventory and has no Nova service id. Each server has a port:
    /// port-a1/a2/a4 ACTIVE, port-b1 without a data plane status, port-a3 already DOWN.
    /// </summary>
    public static DoctorState Cloud() => DoctorState.Empty with
    {
        Map = ResourceMap.From(
            [
                new Host { Name = "compute-1", Zone = "nova", Metadata = Marked("svc-1"), UpdatedAt = Start },
                new Host { Name = "compute-2", Zone = "nova", Metadata = Marked("svc-2"), UpdatedAt = Start },
                new Host { Name = "compute-9", Zone = "nova", UpdatedAt = Start },
            ],
            [
                Vm("vm-a1", "tenant-a", "compute-1"), Vm("vm-a2", "tenant-a", "compute-1"), Vm("vm-b1", "tenant-b", "compute-1"),
                Vm("vm-a3", "tenant-a", "compute-1") with { State = ServerState.Error }, Vm("vm-a4", "tenant-a", "compute-2"),
                Vm("vm-a9", "tenant-a", "compute-9"),
            ],
            [
                Nic("port-a1", "vm-a1", "tenant-a", "compute-1", true), Nic("port-a2", "vm-a2", "tenant-a", "compute-1", true),
                Nic("port-b1", "vm-b1", "tenant-b", "compute-1", null), Nic("port-a3", "vm-a3", "tenant-a", "compute-1", false),
                Nic("port-a4", "vm-a4", "tenant-a", "compute-2", true), Nic("port-a9", "vm-a9", "tenant-a", "compute-9", true),
            ]),
    };

    private static Server Vm(string id, string project, string host) =>
        new() { Id = id, Name = id, ProjectId = project, Host = host, Metadata = Marked(), UpdatedAt = Start };

    private static Port Nic(string id, string server, string project, string host, bool? dataPlane) =>
        new() { Id = id, ServerId = server, ProjectId = project, Host = host, NetworkId = "net-1", DataPlaneUp = dataPlane, UpdatedAt = Start };
}
