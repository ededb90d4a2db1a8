using Doctor.OpenStack.Actions;

namespace Doctor.OpenStack.Sync;

/// <summary>What OpenStack mode has done so far, for <c>GET /v1/openstack</c> and the logs; updated from several threads.</summary>
public sealed class CloudStatus
{
    private readonly object _gate = new();
    private long _reconciliations;
    private long _repaired;
    private long _notifications;
    private long _notifiedChanges;
    private long _forceDownRepaired;
    private DateTimeOffset? _lastReconciledAt;
    private DateTimeOffset? _lastNotificationAt;
    private SyncCounts _lastRepair = SyncCounts.None;
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;
    private (int Hosts, int Servers, int Ports) _cloud;
    private bool? _dataPlane;

    public NotificationConsumer? Consumer { get; set; }

    public bool DataPlaneChecked => _dataPlane is not null;

    public bool DataPlaneSupported => _dataPlane == true;

    public void SetDataPlane(bool supported) => _dataPlane = supported;

    /// <summary>Records a reconciliation; true when it was the first.</summary>
    public bool Reconciled(SyncCounts counts, CloudSnapshot snapshot, DateTimeOffset at)
    {
        lock (_gate)
        {
            var first = _reconciliations == 0;
            _reconciliations++;
            if (!first)
                _repaired += counts.Repaired;
            _lastRepair = counts;
            _lastReconciledAt = at;
            _cloud = (snapshot.Computes.Count, snapshot.Servers.Count, snapshot.Ports.Count);
            return first;
        }
    }

    public void ReconcileFailed(string error, DateTimeOffset at)
    {
        lock (_gate)
        {
            _lastError = error;
            _lastErrorAt = at;
        }
    }

    public void Notified(SyncCounts counts, DateTimeOffset at)
    {
        lock (_gate)
        {
            _notifications++;
            _notifiedChanges += counts.Repaired;
            _lastNotificationAt = at;
        }
    }

    public void CountForceDownRepaired() => Interlocked.Increment(ref _forceDownRepaired);

    /// <summary>A copy for the API.</summary>
    public CloudStatusView View(ActionRunner actions)
    {
        var (succeeded, failed, pending, waiting) = actions.Counts;
        lock (_gate)
        {
            return new CloudStatusView(
                new SyncView(_reconciliations, _lastReconciledAt, _repaired, _lastRepair.Added, _lastRepair.Updated, _lastRepair.Removed, _lastError, _lastErrorAt,
                    _cloud.Hosts, _cloud.Servers, _cloud.Ports),
                new NotificationsView(Consumer?.Consuming ?? false, Consumer?.Received ?? 0, _notifications, _notifiedChanges, _lastNotificationAt,
                    Consumer?.Reconnects ?? 0, Consumer?.DisconnectedSince, Consumer?.Resubscribes ?? 0),
                new ActionsView(succeeded, failed, pending, Interlocked.Read(ref _forceDownRepaired), DataPlaneSupported,
                    waiting.Select(w => new WaitingView(w.Key, w.Value)).OrderBy(w => w.Host, StringComparer.Ordinal).ToList()));
        }
    }
}

public sealed record CloudStatusView(SyncView Reconciliation, NotificationsView Notifications, ActionsView Actions);

public sealed record SyncView(long Passes, DateTimeOffset? LastAt, long RepairedTotal, int LastAdded, int LastUpdated, int LastRemoved,
    string? LastError, DateTimeOffset? LastErrorAt, int CloudHosts, int CloudServers, int CloudPorts);

/// <summary><c>consuming</c>: the connection to RabbitMQ is open and the consumer registered (false while it is lost or not yet
/// made, or the consumer was cancelled); <c>reconnects</c>: recoveries of a lost connection; <c>disconnected_since</c>: since when it is down (null while
/// connected, and without a transport URL); <c>resubscribes</c>: times the queue was consumed again after RabbitMQ cancelled
/// the consumer (the queue deleted) or closed its channel while the connection stayed open (<c>consuming</c> is false
/// from the cancel until then).</summary>
public sealed record NotificationsView(bool Consuming, long Received, long Applied, long MapChanges, DateTimeOffset? LastAt,
    long Reconnects, DateTimeOffset? DisconnectedSince, long Resubscribes);

public sealed record ActionsView(long Succeeded, long Failed, long Pending, long ForceDownsResent, bool DataPlaneStatusSupported, IReadOnlyList<WaitingView> WaitingToUnforce);

public sealed record WaitingView(string Host, string Reason);
