using Doctor.Control;
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
/// force-down Nova lost (Doctor holds a host forced down that Nova shows up).
/// </summary>
public sealed partial class CloudSync(
    DoctorEngine engine, NovaClient nova, NeutronClient neutron, ActionRunner actions, OpenStackOptions options, CloudStatus status,
    TimeProvider time, ILoggerFactory loggers) : BackgroundService
{
    private readonly ILogger _logger = loggers.CreateLogger<CloudSync>();
    private NotificationConsumer? _consumer;
    private readonly TaskCompletionSource _firstSnapshot = new(TaskCreationOptions.RunContinuationsAsynchronously);

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
                catch (Exception ex) when (ex is OpenStackException or HttpRequestException or Doctor.Storage.StoreUnavailableException)
                {
                    status.ReconcileFailed(ex.Message, time.GetUtcNow());
                    LogReconcileFailed(ex.Message);
                }

                // Until the first snapshot lands, try again soon; afterwards at the configured pace (0: never again).
                var delay = !_firstSnapshot.Task.IsCompleted ? TimeSpan.FromSeconds(5)
                    : options.ReconcileSeconds > 0 ? TimeSpan.FromSeconds(options.ReconcileSeconds) : Timeout.InfiniteTimeSpan;
                await Task.Delay(delay, time, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    /// <summary>One full read of the cloud applied to the map; returns what it repaired.</summary>
    public async Task<SyncCounts> ReconcileAsync(CancellationToken cancellationToken)
    {
        var readAt = time.GetUtcNow();
        var snapshot = await CloudSnapshot.ReadAsync(nova, neutron, cancellationToken);
        var counts = await engine.ExecuteAsync(editor => MapSync.ApplySnapshot(editor.Map, snapshot, readAt, host => CloudOwnsForcedDown(editor, host)));
        var first = status.Reconciled(counts, snapshot, time.GetUtcNow());
        if (first)
            LogFirstSnapshot(snapshot.Computes.Count, snapshot.Servers.Count, snapshot.Ports.Count, counts.Added, counts.Updated, counts.Removed);
        else if (counts.Repaired > 0)
            LogRepaired(counts.Added, counts.Updated, counts.Removed);

        if (options.ForceDown)
        {
            var state = engine.State;
            foreach (var compute in snapshot.Computes)
            {
                // Only a force-down Doctor decided (an active host_down fault holds it) is sent again. A host the map first
                // saw already forced down (an operator's or another tool's doing, copied by the sync) is not Doctor's to
                // hold: re-forcing it would undo the operator's un-force every pass.
                if (!compute.ForcedDown && state.Map.Hosts.Get(compute.Host) is { ForcedDown: true } held && HeldDownByFault(state, held.Name)
                    && !actions.IsBusy(ActionKind.ForceDown, held.Name))
                {
                    status.CountForceDownRepaired();
                    _ = actions.Enqueue(new ControllerAction(ActionKind.ForceDown, held.Name, "true", compute.Id, null));
                }
            }
        }

        return counts;
    }

    /// <summary>True when an active fault with the <c>host_down</c> effect holds <paramref name="host"/> down.</summary>
    public static bool HeldDownByFault(Doctor.State.DoctorState state, string host)
    {
        foreach (var id in state.Faults.ActiveByResource.Get(Doctor.Inventory.ResourceType.Host, host))
        {
            if (state.Faults.Active.Get(id) is { Effect: Doctor.Inspection.Effect.HostDown })
                return true;
        }

        return false;
    }

    /// <summary>
    /// Whether the cloud's forced-down flag of <paramref name="host"/> is the truth for the map: no fault holds the host
    /// down and Doctor has decided nothing about it since the start. Once Doctor has (forced it down, un-forced it), its
    /// decision stands: a notification or a snapshot read just before its call landed, or Nova refusing to un-force
    /// after an evacuation, must not flip the map back.
    /// </summary>
    private bool CloudOwnsForcedDown(Doctor.State.StateEditor editor, string host)
    {
        foreach (var fault in editor.Faults.ActiveOn(Doctor.Inventory.ResourceType.Host, host))
        {
            if (fault.Effect == Doctor.Inspection.Effect.HostDown)
                return false;
        }

        return actions.LastDecided(ActionKind.ForceDown, host) is null;
    }

    private async Task StartConsumerAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            var consumer = new NotificationConsumer(options, ApplyAsync, loggers.CreateLogger<NotificationConsumer>());
            try
            {
                await consumer.StartAsync(stoppingToken);
                _consumer = consumer;
                status.Consumer = consumer;
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                await consumer.DisposeAsync();
                LogConsumerFailed(attempt, ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, 2 * attempt)), time, stoppingToken);
            }
        }
    }

    private async Task ApplyAsync(IReadOnlyList<CloudChange> changes, string eventType)
    {
        var counts = await engine.ExecuteAsync(editor =>
        {
            var total = SyncCounts.None;
            foreach (var change in changes)
                total += MapSync.Apply(editor.Map, change, editor.Now, cloudOwnsForcedDown: host => CloudOwnsForcedDown(editor, host));
            return total;
        });
        status.Notified(counts, time.GetUtcNow());
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
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
