using Doctor.Control;
using Doctor.Faults;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.State;
using Doctor.OpenStack.Actions;
using Doctor.OpenStack.Neutron;
using Doctor.OpenStack.Nova;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Doctor.OpenStack.Sync;

/// <summary>
/// Keeps the resource map a cache of the cloud: starts consuming notifications, then reads a full snapshot (the start
/// waits for it up to <see cref="OpenStackOptions.StartupSnapshotSeconds"/>), then reconciles every
/// <see cref="OpenStackOptions.ReconcileSeconds"/>, counting what each pass repaired. Reconciliation also re-sends a
/// force-down Nova lost (Doctor holds a host forced down that Nova shows up). A reconnect to RabbitMQ after an outage wakes
/// the same loop for a pass at once (<see cref="RequestReconcile"/>), and so does consuming again after RabbitMQ cancelled
/// the consumer (its queue deleted): what was published meanwhile, or held by the deleted queue, may be lost.
/// </summary>
public sealed partial class CloudSync(
    DoctorEngine engine, NovaClient nova, NeutronClient neutron, ActionRunner actions, OpenStackOptions options, CloudStatus status,
    ServerMoves moves, ServerChanges serverChanges, TimeProvider time, ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger<CloudSync>();
    private static readonly TimeSpan GroupRefreshDelay = TimeSpan.FromSeconds(1);
    private NotificationConsumer? _consumer;
    private Task _consumerStarting = Task.CompletedTask;
    private int _groupRefreshQueued;

    /// <summary>Released to have the loop reconcile now instead of at its next tick; one slot, so requests made while a pass is
    /// pending or running fold into one more pass (never two passes at once: only the loop reconciles on its own).</summary>
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly TaskCompletionSource _firstSnapshot = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>What notifications removed, so that a snapshot read before does not bring it back.</summary>
    private readonly SyncTombstones _removed = new();

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await base.StartAsync(cancellationToken);
        // Serve only once the map reflects the cloud, unless the cloud is unreachable for too long: then the stored map
        // serves, and the loop keeps trying.
        var waited = await Task.WhenAny(_firstSnapshot.Task, Task.Delay(TimeSpan.FromSeconds(options.StartupSnapshotSeconds), time, cancellationToken));
        if (waited != _firstSnapshot.Task)
            LogStartedWithoutSnapshot(options.StartupSnapshotSeconds);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        actions.Succeeded = RecordSucceededAsync;
        if (!string.IsNullOrWhiteSpace(options.TransportUrl))
            await StartConsumerAsync(stoppingToken);
        try
        {
            var dataPlane = false;
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    if (options.DataPlaneStatus && !status.DataPlaneChecked)
                    {
                        dataPlane = await neutron.HasDataPlaneStatusAsync(stoppingToken);
                        status.SetDataPlane(dataPlane);
                        if (!dataPlane)
                            LogNoDataPlane();
                    }

                    await ReconcileAsync(stoppingToken);
                    _firstSnapshot.TrySetResult();
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    // Whatever went wrong (the cloud, the store, an answer nobody expected), the loop goes on: an exception
                    // escaping a BackgroundService stops the whole host.
                    status.ReconcileFailed(ex.Message, time.GetUtcNow());
                    LogReconcileFailed(ex.Message);
                }

                // Until the first snapshot lands, try again soon; afterwards at the configured pace (0: never again), or at
                // once when woken (a reconnect to RabbitMQ).
                var delay = !_firstSnapshot.Task.IsCompleted ? TimeSpan.FromSeconds(5)
                    : options.ReconcileSeconds > 0 ? TimeSpan.FromSeconds(options.ReconcileSeconds) : Timeout.InfiniteTimeSpan;
                await PauseAsync(delay, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    /// <summary>Has the loop run a reconciliation now rather than at its next tick (also when it never ticks,
    /// <c>ReconcileSeconds</c> 0). Called by the consumer after it reconnected or consumed again; cheap, never blocks.</summary>
    public void RequestReconcile()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // a pass is already requested
        }
    }

    /// <summary>Waits <paramref name="delay"/> or until <see cref="RequestReconcile"/>, whichever comes first.</summary>
    private async Task PauseAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var woken = _wake.WaitAsync(done.Token);
        var elapsed = Task.Delay(delay, time, done.Token);
        await Task.WhenAny(woken, elapsed);
        // Ends the other wait. Should the wake be taken just as the delay elapsed, nothing is lost: the pass runs now anyway.
        await done.CancelAsync();
        stoppingToken.ThrowIfCancellationRequested();
    }

    /// <summary>One full read of the cloud applied to the map; returns what it repaired.</summary>
    public async Task<SyncCounts> ReconcileAsync(CancellationToken cancellationToken)
    {
        var readAt = time.GetUtcNow();
        var snapshot = await CloudSnapshot.ReadAsync(nova, neutron, cancellationToken);
        // A host's forced-down flag is Doctor's while a fault holds it, a call about it is under way, or a call ended after
        // this read started (the read may show Nova before Doctor's call reached it).
        var counts = await engine.ExecuteAsync(editor => MapSync.ApplySnapshot(editor.Map, snapshot, readAt, _removed,
            host => DoctorHoldsDown(editor.Faults, host) || actions.LastFinished(ActionKind.ForceDown, host) > readAt));
        var first = status.Reconciled(counts, snapshot, time.GetUtcNow());
        if (first)
            LogFirstSnapshot(snapshot.Computes.Count, snapshot.Servers.Count, snapshot.Ports.Count, counts.Added, counts.Updated, counts.Removed);
        else if (counts.Repaired > 0)
            LogRepaired(counts.Added, counts.Updated, counts.Removed);

        if (options.ForceDown)
            RepairForcedDown(snapshot);
        // A move the notifications missed (or made while Doctor was stopped): what the server left behind clears now.
        await moves.ReportAsync(null, wait: false, cancellationToken);
        return counts;
    }

    /// <summary>
    /// Nova and Doctor disagree about a forced-down host only when a call was lost (Doctor stopped before it completed,
    /// Nova was unreachable past the retries): Doctor holds the host down while Nova shows it up → force it down again;
    /// Doctor recovered a host it had forced down (the map remembers which) while Nova still shows it forced → un-force.
    /// A host someone else forced down in Nova is left alone.
    /// </summary>
    private void RepairForcedDown(CloudSnapshot snapshot)
    {
        var hosts = engine.State.Map.Hosts;
        foreach (var compute in snapshot.Computes)
        {
            if (hosts.Get(compute.Host) is not { } host || actions.IsBusy(ActionKind.ForceDown, host.Name))
                continue;
            // Only a force-down Doctor decided (an active host_down fault) is Doctor's to repair: a host that is forced
            // down in the map for another reason follows Nova (MapSync), never the other way round.
            var held = HeldByFault(engine.State.Faults, host.Name);
            var forcedByDoctor = host.Metadata.ContainsKey(MapSync.ForcedByDoctorKey);
            if (held && !compute.ForcedDown || !held && compute.ForcedDown && forcedByDoctor)
            {
                status.CountForceDownRepaired();
                _ = actions.Enqueue(new ControllerAction(ActionKind.ForceDown, host.Name, held ? "true" : "false", compute.Id, null));
            }
        }
    }

    /// <summary>What the map keeps of a call that succeeded in the cloud.</summary>
    private Task RecordSucceededAsync(ControllerAction action) => action.Kind switch
    {
        ActionKind.ForceDown => RememberForcedAsync(action),
        ActionKind.DataPlaneStatus when action.Value == "ACTIVE" => TakeDataPlaneActiveAsync(action.Target),
        _ => Task.CompletedTask,
    };

    /// <summary>
    /// A recovery puts a port's data plane back to what it was before the fault, which is "unknown" for a port Neutron had
    /// no status for; Doctor then set it ACTIVE in Neutron (to lift its own DOWN), so from now on the map says so too
    /// instead of disagreeing with the cloud. Left alone while a fault holds the port down again.
    /// </summary>
    private Task TakeDataPlaneActiveAsync(string portId) => engine.ExecuteAsync(editor =>
    {
        if (editor.Map.Port(portId) is not { DataPlaneUp: null } port)
            return false;
        foreach (var fault in editor.Faults.ActiveOn(ResourceType.Port, portId))
        {
            if (fault.Effect is Effect.HostDown or Effect.PortsDown)
                return false;
        }

        editor.Map.PutPort(port with { DataPlaneUp = true, UpdatedAt = editor.Now });
        return true;
    });

    /// <summary>Keeps in the map (persisted) whether Doctor is the one who forced a host down in Nova.</summary>
    private Task RememberForcedAsync(ControllerAction action)
    {
        var forced = action.Value == "true";
        return engine.ExecuteAsync(editor =>
        {
            if (editor.Map.Host(action.Target) is not { } host || host.Metadata.ContainsKey(MapSync.ForcedByDoctorKey) == forced)
                return false;
            var metadata = forced ? host.Metadata.SetItem(MapSync.ForcedByDoctorKey, "true") : host.Metadata.Remove(MapSync.ForcedByDoctorKey);
            editor.Map.PutHost(host with { Metadata = metadata });
            return true;
        });
    }

    /// <summary>True while Doctor itself holds <paramref name="host"/> forced down (an active <c>host_down</c> fault) or is still
    /// telling Nova its decision (a force-down or un-force call queued, retrying or waiting for Nova to accept it).</summary>
    private bool DoctorHoldsDown(FaultBookEditor faults, string host)
    {
        foreach (var fault in faults.ActiveOn(ResourceType.Host, host))
        {
            if (fault.Effect == Effect.HostDown)
                return true;
        }

        return actions.IsBusy(ActionKind.ForceDown, host);
    }

    private static bool HeldByFault(FaultBook faults, string host) =>
        faults.ActiveByResource.Get(ResourceType.Host, host).Any(id => faults.Active.Get(id)?.Effect == Effect.HostDown);

    /// <summary>
    /// Starts consuming before the first snapshot is read, so nothing that changes after the read is missed. When RabbitMQ
    /// cannot be reached, the attempts go on in the background and the reconciliation runs meanwhile (it needs only the
    /// APIs); once connected, a pass at once repairs what the queue did not hold. Lost connections later recover by
    /// themselves (<see cref="NotificationConsumer"/>).
    /// </summary>
    private async Task StartConsumerAsync(CancellationToken stoppingToken)
    {
        var consumer = new NotificationConsumer(options, ApplyAsync, resumed: RequestReconcile, time, loggers.CreateLogger<NotificationConsumer>());
        _consumer = consumer;
        status.Consumer = consumer;
        if (!await TryStartConsumerAsync(consumer, 1, stoppingToken))
            _consumerStarting = KeepStartingConsumerAsync(consumer, stoppingToken);
    }

    private async Task KeepStartingConsumerAsync(NotificationConsumer consumer, CancellationToken stoppingToken)
    {
        try
        {
            for (var attempt = 2; ; attempt++)
            {
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, 2 * (attempt - 1))), time, stoppingToken);
                if (await TryStartConsumerAsync(consumer, attempt, stoppingToken))
                {
                    RequestReconcile();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    private async Task<bool> TryStartConsumerAsync(NotificationConsumer consumer, int attempt, CancellationToken stoppingToken)
    {
        try
        {
            await consumer.StartAsync(stoppingToken);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            LogConsumerFailed(attempt, ex.Message);
            return false;
        }
    }

    /// <summary>Applies the changes of one notification (the consumer calls it; internal for the tests, which have no RabbitMQ).</summary>
    internal async Task ApplyAsync(IReadOnlyList<CloudChange> changes, string eventType)
    {
        foreach (var change in changes)
        {
            // A migration being followed reads Nova now rather than at its next poll.
            if (change is CloudChange.ServerSeen seen)
                serverChanges.Changed(seen.Id);
            else if (change is CloudChange.ServerGone gone)
                serverChanges.Changed(gone.Id);
        }

        var counts = await engine.ExecuteAsync(editor =>
        {
            var total = SyncCounts.None;
            foreach (var change in changes)
                total += MapSync.Apply(editor.Map, change, editor.Now, removed: _removed, doctorHoldsDown: host => DoctorHoldsDown(editor.Faults, host));
            return total;
        });
        status.Notified(counts, time.GetUtcNow());
        // An evacuated (or migrated) server no longer carries its old host's failure: its owner is told it is back. If
        // writing the event fails, the message is refused and the next reconciliation reports the move instead.
        if (counts.Repaired > 0)
            await moves.ReportAsync(MovedCandidates(changes), wait: false, CancellationToken.None);
        if (counts.Added > 0 && changes.Any(c => c is CloudChange.ServerSeen))
            RefreshGroupsSoon();
    }

    /// <summary>The servers a notification's changes may have moved: the servers themselves and the servers of ports.</summary>
    private IEnumerable<string> MovedCandidates(IReadOnlyList<CloudChange> changes)
    {
        var ports = engine.State.Map.Ports;
        foreach (var change in changes)
        {
            switch (change)
            {
                case CloudChange.ServerSeen seen:
                    yield return seen.Id;
                    break;
                case CloudChange.PortSeen port when (port.ServerId ?? ports.Get(port.Id)?.ServerId) is { } serverId:
                    yield return serverId;
                    break;
            }
        }
    }

    /// <summary>
    /// Servers that just appeared may belong to a server group, which no notification carries: one read of the groups a
    /// second later (one read for a whole burst of new servers) fills it in.
    /// </summary>
    private void RefreshGroupsSoon()
    {
        if (Interlocked.Exchange(ref _groupRefreshQueued, 1) == 1)
            return;
        _ = Task.Run(async () =>
        {
            try
            {
                await Task.Delay(GroupRefreshDelay, time);
                Interlocked.Exchange(ref _groupRefreshQueued, 0);
                var groups = await nova.ServerGroupsAsync(CancellationToken.None);
                await engine.ExecuteAsync(editor => MapSync.ApplyGroups(editor.Map, groups, editor.Now));
            }
            catch (Exception ex) when (ex is OpenStackException or HttpRequestException or Doctor.Storage.StoreUnavailableException)
            {
                Interlocked.Exchange(ref _groupRefreshQueued, 0);
                LogReconcileFailed("reading server groups: " + ex.Message); // the next reconciliation sets them
            }
        });
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await _consumerStarting; // cancelled with the service, so no connection is opened after the one below is closed
        if (_consumer is not null)
            await _consumer.DisposeAsync();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cloud snapshot: {Hosts} compute hosts, {Servers} servers, {Ports} ports (map: {Added} added, {Updated} updated, {Removed} removed)")]
    private partial void LogFirstSnapshot(int hosts, int servers, int ports, int added, int updated, int removed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconciliation repaired drift: {Added} added, {Updated} updated, {Removed} removed")]
    private partial void LogRepaired(int added, int updated, int removed);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reading the cloud failed (the map keeps its last state; trying again): {Reason}")]
    private partial void LogReconcileFailed(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No snapshot of the cloud within {Seconds} s of the start: serving from the stored map while trying")]
    private partial void LogStartedWithoutSnapshot(double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Connecting to the cloud's RabbitMQ failed (attempt {Attempt}): {Reason}")]
    private partial void LogConsumerFailed(int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Neutron has no data-plane-status extension: ports' data_plane_status is not set in the cloud")]
    private partial void LogNoDataPlane();
}
