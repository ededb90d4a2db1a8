using Doctor.Testing;
using System.Diagnostics;
using Doctor.Control;
using Doctor.Events;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.Notification;
using Doctor.Profiling;
using Doctor.State;
using Doctor.Storage;
using Doctor.Storage.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Doctor.Core.Tests.Support;

/// <summary>Collects what the engine hands to the notifier, and passes it on when given a next sink.</summary>
public sealed class CapturingNoticeSink(INoticeSink? next = null) : INoticeSink
{
    private readonly List<Notice> _notices = [];

    public IReadOnlyList<Notice> Notices
    {
        get
        {
            lock (_notices)
                return [.. _notices];
        }
    }

    public void Publish(IReadOnlyList<Notice> notices, DoctorState state)
    {
        lock (_notices)
            _notices.AddRange(notices);
        next?.Publish(notices, state);
    }
}

/// <summary>
/// The service's core as <c>doctor serve</c> wires it (SQLite store, engine, default policy) on one data directory;
/// disposing it is a clean shutdown in the service's order (engine, then store).
/// </summary>
public sealed class EngineHarness : IAsyncDisposable
{
    private EngineHarness(SqliteStore store, DoctorEngine engine, CapturingNoticeSink notices)
    {
        Store = store;
        Engine = engine;
        Notices = notices;
    }

    public SqliteStore Store { get; }
    public DoctorEngine Engine { get; }
    public CapturingNoticeSink Notices { get; }
    public DoctorState State => Engine.State;

    /// <param name="notifier">Where notices go besides <see cref="Notices"/> (a real <see cref="Notifier"/> for end-to-end tests).</param>
    /// <param name="maintenance">The engine's maintenance controller (none: the embedded controller).</param>
    public static async Task<EngineHarness> StartAsync(string dataDirectory, TimeProvider clock, INoticeSink? notifier = null,
        Doctor.Maintenance.IMaintenanceController? maintenance = null)
    {
        var store = new SqliteStore(dataDirectory, clock, NullLogger<SqliteStore>.Instance);
        var notices = new CapturingNoticeSink(notifier);
        var engine = new DoctorEngine(store, new FaultProcessor(new PolicySource(FailurePolicy.Default), new TimelineBook()), notices, clock, NullLogger<DoctorEngine>.Instance)
        {
            Maintenance = maintenance,
        };
        await Eventually.Within(engine.StartAsync(CancellationToken.None), "the engine to start");
        return new EngineHarness(store, engine, notices);
    }

    /// <summary>Records the events as <c>POST /v1/events</c> does, then waits until the engine has applied them.</summary>
    public async Task<AppendResult> PostAsync(params RawEvent[] events)
    {
        var result = await Eventually.Within(Store.AppendAsync(events, Stopwatch.GetTimestamp(), CancellationToken.None), "the append");
        foreach (var record in result.Recorded)
            await Eventually.Within(Engine.WhenProcessedAsync(record.Seq), $"event {record.Seq} to be processed");
        return result;
    }

    public Task<T> ExecuteAsync<T>(Func<StateEditor, T> command) => Eventually.Within(Engine.ExecuteAsync(command), "the command");

    /// <summary>Loads the small cloud of <see cref="TestMap"/> through admin commands.</summary>
    public Task SeedAsync() => ExecuteAsync(editor =>
    {
        var map = TestMap.Map();
        foreach (var host in map.Hosts.After(null))
            editor.Map.PutHost(host);
        foreach (var server in map.Servers.After(null))
            editor.Map.PutServer(server);
        foreach (var port in map.Ports.After(null))
            editor.Map.PutPort(port);
        return true;
    });

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        await Store.DisposeAsync();
    }
}

/// <summary>Equality-friendly summaries of a state, to compare two runs.</summary>
public static class StateSummary
{
    public static string[] Of(DoctorState state) =>
    [
        .. state.Map.Hosts.After(null).Select(h => $"host {h.Name} up={h.Up} forced={h.ForcedDown} enabled={h.Enabled}"),
        .. state.Map.Servers.After(null).Select(s => $"server {s.Id} {s.State.Name()} on {s.Host}"),
        .. state.Map.Ports.After(null).Select(p => $"port {p.Id} dp={p.DataPlaneUp}"),
        .. state.Faults.All.After(null).Select(f =>
            $"fault {f.FaultId} {f.FaultType} {f.ResourceKey} root={f.IsRootCause} active={f.IsActive} raised={f.RaisedAt:O} cleared={f.ClearedAt:O} corr={string.Join(",", f.CorrelatedFaultIds)} prior={f.PriorValue}"),
    ];
}
