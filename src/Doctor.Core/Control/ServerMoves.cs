using System.Diagnostics;
using Doctor.Storage;

namespace Doctor.Control;

/// <summary>
/// After a map change that may have moved servers (an admin's inventory edit, the cloud sync), writes one
/// <see cref="Events.InternalEventTypes.ServerMoved"/> event for each server that left a failure behind
/// (<see cref="Relocation"/>), so the engine clears what it carries and tells its owner.
/// </summary>
public sealed class ServerMoves(IDoctorStore store, DoctorEngine engine, TimeProvider time)
{
    /// <summary>
    /// Reports the servers among <paramref name="candidates"/> (every server with faults, when null) that left a failure
    /// behind; with <paramref name="wait"/>, returns after the engine applied them. Returns how many were reported.
    /// </summary>
    public async Task<int> ReportAsync(IEnumerable<string>? candidates, bool wait, CancellationToken cancellationToken)
    {
        var state = engine.State;
        var moved = Relocation.LeftBehind(state, candidates);
        if (moved.Count == 0)
            return 0;
        var now = time.GetUtcNow();
        var events = moved.Select(id => Relocation.MovedEvent(id, state.Map.Servers.Get(id)!.Host!, now)).ToList();
        var appended = await store.AppendAsync(events, Stopwatch.GetTimestamp(), cancellationToken);
        if (wait && appended.Recorded.Count > 0)
            await engine.WhenProcessedAsync(appended.Recorded[^1].Seq);
        return moved.Count;
    }
}
