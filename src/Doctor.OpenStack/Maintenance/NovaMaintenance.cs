using System.Collections.Concurrent;
using Doctor.Maintenance;
using Doctor.OpenStack.Actions;
using Doctor.OpenStack.Nova;
using Doctor.OpenStack.Sync;
using Doctor.State;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Doctor.OpenStack.Maintenance;

/// <summary>
/// The maintenance controller of OpenStack mode. A host a session takes is disabled in Nova (its <c>disabled_reason</c>
/// names the session) and enabled again when the session gives it back, if it was Doctor that disabled it
/// (<see cref="NovaHostStatus"/>); those calls queue on the <see cref="ActionRunner"/> (ordered per host, retried). A
/// migration is carried out by a <see cref="NovaMigrator"/> in the background and its end reported to the engine as a
/// command (<see cref="MaintenanceCommands.ReportMigration"/>). At the start it takes up what a previous run left: migrations
/// of running sessions still in flight are followed again, hosts held by a running session are disabled, and hosts Doctor
/// disabled that no session holds any more are enabled; the last check repeats every
/// <see cref="OpenStackOptions.ReconcileSeconds"/>.
/// </summary>
public sealed partial class NovaMaintenance : BackgroundService, IMaintenanceController
{
    /// <summary>Every <c>disabled_reason</c> Doctor writes starts with this; it is how Doctor knows a disabled host is its own.</summary>
    public const string ReasonPrefix = "Doctor maintenance";

    private readonly NovaClient _nova;
    private readonly NovaMigrator _migrator;
    private readonly ActionRunner _actions;
    private readonly Func<MigrationReport, Task<bool>> _report;
    private readonly Func<DoctorState> _state;
    private readonly OpenStackOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();

    /// <param name="report">Hands a migration's end to the engine (<see cref="MaintenanceCommands.ReportMigration"/> as a
    /// command); true when a session was waiting for it.</param>
    /// <param name="state">The engine's current state (for the start's take-over and the periodic check).</param>
    public NovaMaintenance(NovaClient nova, NovaMigrator migrator, ActionRunner actions, Func<MigrationReport, Task<bool>> report, Func<DoctorState> state,
        OpenStackOptions options, TimeProvider time, ILogger<NovaMaintenance> logger)
    {
        _nova = nova;
        _migrator = migrator;
        _actions = actions;
        _report = report;
        _state = state;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>The <c>disabled_reason</c> of a host taken by <paramref name="sessionId"/>.</summary>
    public static string Reason(string sessionId) => $"{ReasonPrefix} session {sessionId}";

    public static bool IsDoctors(string? reason) => reason is not null && reason.StartsWith(ReasonPrefix, StringComparison.Ordinal);

    public MigrationControl Migrations => MigrationControl.Reported;

    /// <summary>Migrations being carried out now.</summary>
    public int InFlight => _running.Count;

    public void Submit(IReadOnlyList<MaintenanceCall> calls, DoctorState state)
    {
        foreach (var call in calls)
        {
            switch (call)
            {
                case MaintenanceCall.DisableHost disable:
                    SetHost(disable.Host, enable: false, disable.SessionId, state);
                    break;
                case MaintenanceCall.EnableHost enable:
                    SetHost(enable.Host, enable: true, enable.SessionId, state);
                    break;
                case MaintenanceCall.Migrate migrate:
                    Track(migrate, resume: false);
                    break;
            }
        }
    }

    /// <summary>Completes when every migration started so far has ended and been reported (tests, shutdown).</summary>
    public Task WhenIdleAsync() => Task.WhenAll(_running.Values);

    private void SetHost(string host, bool enable, string sessionId, DoctorState state)
    {
        if (state.Map.Hosts.Get(host)?.Metadata.GetValueOrDefault(MapSync.ServiceIdKey) is not { } serviceId)
        {
            LogNotACompute(host);
            return;
        }

        _ = _actions.Enqueue(new ControllerAction(ActionKind.ServiceStatus, host, enable ? "enabled" : "disabled", serviceId, null) { Reason = Reason(sessionId) });
    }

    private void Track(MaintenanceCall.Migrate call, bool resume)
    {
        var key = $"{call.SessionId}/{call.InstanceId}/{call.StartedAt.UtcTicks}";
        lock (_running)
        {
            if (_running.ContainsKey(key) || _stopping.IsCancellationRequested)
                return;
            _running[key] = Task.Run(() => RunAsync(key, call, resume));
        }
    }

    private async Task RunAsync(string key, MaintenanceCall.Migrate call, bool resume)
    {
        try
        {
            // The target's status change queued before this migration (the session enabled a host it just maintained)
            // must reach Nova first, or Nova's scheduler may refuse the host.
            await _actions.WhenIdleAsync(ActionKind.ServiceStatus, call.ToHost).WaitAsync(_stopping.Token);
            var report = await _migrator.RunAsync(call, resume, _stopping.Token);
            if (!await _report(report))
                LogReportIgnored(call.Action, call.InstanceId, call.SessionId);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // stopping: the next start follows it again from the persisted session
        }
        catch (Exception ex)
        {
            LogTrackingFailed(ex, call.Action, call.InstanceId);
        }
        finally
        {
            _running.TryRemove(key, out _);
        }
    }

    /// <summary>Follows again every migration a running session still waits for (Doctor stopped while it was in flight).</summary>
    public int Resume(DoctorState state)
    {
        var resumed = 0;
        foreach (var session in state.Maintenance.All.After(null))
        {
            if (session is not { IsActive: true, Phase: SessionPhase.Actions, Migrations: MigrationControl.Reported })
                continue;
            foreach (var action in session.Actions)
            {
                if (action is { StartedAt: { } started, DoneAt: null, Report: null, FromHost: { } from, ToHost: { } to }
                    && action.Action is SessionStates.Migrate or SessionStates.LiveMigrate)
                {
                    Track(new MaintenanceCall.Migrate(session.SessionId, action.InstanceId, action.Action, from, to, started), resume: true);
                    resumed++;
                }
            }
        }

        return resumed;
    }

    /// <summary>
    /// Brings Nova's compute services in line with the sessions: a service Doctor disabled (its reason says so) whose host
    /// no running session holds is enabled; with <paramref name="holdToo"/>, a host a running session holds is disabled
    /// (at the start only: while Doctor runs, an operator who enables such a host has the last word). Nova is read before
    /// the sessions, so a host a session takes meanwhile is never enabled behind its back. Returns the calls queued.
    /// </summary>
    public async Task<int> RepairHostsAsync(bool holdToo, CancellationToken cancellationToken)
    {
        var services = await _nova.ComputeServicesAsync(cancellationToken);
        var state = _state();
        var queued = 0;
        foreach (var service in services)
        {
            var host = state.Map.Hosts.Get(service.Host);
            var holder = host?.Maintenance?.SessionId is { } id && state.Maintenance.All.Get(id) is { IsActive: true } ? id : null;
            if (holder is null && !service.Enabled && IsDoctors(service.DisabledReason))
            {
                LogReleasing(service.Host, service.DisabledReason!);
                _ = _actions.Enqueue(new ControllerAction(ActionKind.ServiceStatus, service.Host, "enabled", service.Id, null) { Reason = service.DisabledReason });
                queued++;
            }
            else if (holdToo && holder is not null && service.Enabled)
            {
                _ = _actions.Enqueue(new ControllerAction(ActionKind.ServiceStatus, service.Host, "disabled", service.Id, null) { Reason = Reason(holder) });
                queued++;
            }
        }

        return queued;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var resumed = Resume(_state());
        if (resumed > 0)
            LogResumed(resumed);
        var first = true;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await RepairHostsAsync(holdToo: first, stoppingToken);
                    first = false;
                }
                catch (OpenStackException ex)
                {
                    LogRepairFailed(ex.Message);
                }

                // Until one check went through, try again soon; afterwards at the reconciliation's pace (0: never again).
                var delay = first ? TimeSpan.FromSeconds(5) : _options.ReconcileSeconds > 0 ? TimeSpan.FromSeconds(_options.ReconcileSeconds) : Timeout.InfiniteTimeSpan;
                await Task.Delay(delay, _time, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await base.StopAsync(cancellationToken);
        try
        {
            await WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(5), _time, cancellationToken);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            // what did not end is followed again by the next start
        }
    }

    /// <summary>Stops what still runs; safe to call more than once (the container disposes each registration of it).</summary>
    public override void Dispose()
    {
        _stopping.Cancel();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Host {Host} has no Nova compute service in the map (metadata nova_service_id): its maintenance status is set in Doctor's map only")]
    private partial void LogNotACompute(string host);

    [LoggerMessage(Level = LogLevel.Information, Message = "The end of the {Action} of server {Server} was no longer awaited by session {Session} (it ended or timed out)")]
    private partial void LogReportIgnored(string action, string server, string session);

    [LoggerMessage(Level = LogLevel.Error, Message = "Following the {Action} of server {Server} failed; its session fails at the migration timeout")]
    private partial void LogTrackingFailed(Exception error, string action, string server);

    [LoggerMessage(Level = LogLevel.Information, Message = "Following {Count} maintenance migration(s) that were in flight when Doctor stopped")]
    private partial void LogResumed(int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host {Host} was disabled by Doctor's maintenance ({Reason}) and no running session holds it: enabling it in Nova")]
    private partial void LogReleasing(string host, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Checking Nova's compute services against the maintenance sessions failed (trying again): {Reason}")]
    private partial void LogRepairFailed(string reason);
}
