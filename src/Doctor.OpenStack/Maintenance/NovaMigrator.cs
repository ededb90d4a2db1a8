using Doctor.Maintenance;
using Doctor.OpenStack.Nova;
using Doctor.OpenStack.Sync;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Doctor.OpenStack.Maintenance;

/// <summary>
/// Carries out one maintenance migration in Nova and says how it ended. <c>MIGRATE</c> is a cold migration to the host the
/// workflow chose (<c>migrate</c> with <c>host</c>, 2.56), confirmed once Nova shows <c>VERIFY_RESIZE</c>; <c>LIVE_MIGRATE</c>
/// is <c>os-migrateLive</c> to that host. Either is done when Nova shows the server at rest (<c>ACTIVE</c>, or the
/// <c>SHUTOFF</c>/<c>PAUSED</c>/<c>SUSPENDED</c> it started in) with no task on the target.
/// Completion is read from Nova: right after each notification about the server (when the sync consumes them), and
/// otherwise after <see cref="OpenStackOptions.MigrationPollSeconds"/>, the wait doubling while nothing happens up to
/// <see cref="OpenStackOptions.MigrationPollMaxSeconds"/> (fifty servers migrating at once must not keep nova-api busy
/// with 200 reads a second); until <see cref="OpenStackOptions.MigrationTimeoutSeconds"/> after the workflow started it. It fails on <c>ERROR</c>, on Nova
/// refusing the call (4xx), when Nova puts the server back on its source (e.g. "No valid host was found", which Nova
/// only records in the instance action), and at the deadline; the report carries Nova's reason.
/// </summary>
public sealed partial class NovaMigrator
{
    private readonly NovaClient _nova;
    private readonly OpenStackOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _issue;
    private readonly ServerChanges? _changes;

    /// <param name="changes">Notifications about servers (null without a transport URL: reading at the poll pace only).</param>
    public NovaMigrator(NovaClient nova, OpenStackOptions options, TimeProvider time, ILogger<NovaMigrator> logger, ServerChanges? changes = null)
    {
        _changes = changes;
        _nova = nova;
        _options = options;
        _time = time;
        _logger = logger;
        _issue = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(0, options.ActionAttempts - 1),
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromMilliseconds(500),
                MaxDelay = TimeSpan.FromSeconds(10),
                UseJitter = true,
                ShouldHandle = new PredicateBuilder().Handle<OpenStackException>(e => !e.IsPermanent),
            })
            .Build();
    }

    /// <summary>
    /// Runs <paramref name="call"/> to its end. With <paramref name="resume"/> (Doctor restarted while it was in flight) the
    /// server is read first: a migration under way or finished is only followed, one that never reached Nova is started.
    /// Never throws but for cancellation.
    /// </summary>
    public async Task<MigrationReport> RunAsync(MaintenanceCall.Migrate call, bool resume, CancellationToken cancellationToken)
    {
        try
        {
            return await FollowAsync(call, resume, cancellationToken);
        }
        finally
        {
            _changes?.Forget(call.InstanceId);
        }
    }

    private async Task<MigrationReport> FollowAsync(MaintenanceCall.Migrate call, bool resume, CancellationToken cancellationToken)
    {
        var live = call.Action == SessionStates.LiveMigrate;
        var what = live ? "live migration" : "cold migration";
        var deadline = call.StartedAt + TimeSpan.FromSeconds(_options.MigrationTimeoutSeconds);
        string? requestId = null;
        var start = true;
        if (resume)
        {
            var seen = await TryReadAsync(call.InstanceId, cancellationToken);
            start = seen is null || Settled(seen) && seen.Host == call.FromHost;
        }

        if (start)
        {
            try
            {
                requestId = await StartAsync(call, live, cancellationToken);
                LogStarted(what, call.InstanceId, call.FromHost, call.ToHost, requestId ?? "?");
            }
            catch (OpenStackException refused)
            {
                return Failed(call, $"Nova refused the {what} to {call.ToHost}: {refused.Message}");
            }
        }

        var confirmed = false;
        NovaServer? last = null;
        string? lastError = null;
        var shortest = TimeSpan.FromSeconds(_options.MigrationPollSeconds);
        var longest = TimeSpan.FromSeconds(Math.Max(_options.MigrationPollSeconds, _options.MigrationPollMaxSeconds));
        var interval = shortest;
        while (true)
        {
            var notified = _changes?.Next(call.InstanceId);
            if (_time.GetUtcNow() >= deadline)
            {
                var shown = last is null ? lastError ?? "nothing" : $"the server {last.Status}, task_state {last.TaskState ?? "none"}, on {last.Host}";
                return Failed(call, $"the {what} to {call.ToHost} did not complete within {_options.MigrationTimeoutSeconds:0.###} s (Nova shows {shown})");
            }

            try
            {
                var server = await _nova.ServerAsync(call.InstanceId, cancellationToken);
                lastError = null;
                if (server is null)
                    return Failed(call, $"the server no longer exists in Nova (during its {what})");
                last = server;
                if (server.Status == "ERROR")
                {
                    var why = server.Fault ?? await FailureAsync(call, requestId, live, cancellationToken) ?? "no reason given";
                    return Failed(call, $"Nova put the server in ERROR during its {what} to {call.ToHost}: {why}");
                }

                if (!live && server.Status == "VERIFY_RESIZE")
                {
                    if (!confirmed)
                        confirmed = await ConfirmAsync(call, cancellationToken);
                }
                else if (Settled(server))
                {
                    if (server.Host == call.FromHost || server.Host is null)
                    {
                        var why = await FailureAsync(call, requestId, live, cancellationToken) ?? "the migration did not take place";
                        return Failed(call, $"Nova left the server on {call.FromHost} (the {what} to {call.ToHost} failed): {why}");
                    }

                    LogCompleted(what, call.InstanceId, server.Status, server.Host);
                    return new MigrationReport(call.SessionId, call.InstanceId, call.StartedAt, true, server.Host,
                        $"Nova completed the {what}: {server.Status} on {server.Host}");
                }
            }
            catch (OpenStackException ex) when (!ex.IsPermanent)
            {
                lastError = ex.Message; // Nova unreachable for a moment: keep reading until the deadline
            }
            catch (OpenStackException ex)
            {
                return Failed(call, $"reading the server from Nova failed: {ex.Message}");
            }

            // Never past the deadline, so a migration that does not end fails at it, not a long wait later.
            var wait = TimeSpan.FromTicks(Math.Max(0, Math.Min(interval.Ticks, (deadline - _time.GetUtcNow()).Ticks)));
            var woken = await WaitAsync(notified, wait, cancellationToken);
            // Something happened: read soon again; nothing: twice as long.
            interval = woken ? shortest : TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, longest.Ticks));
        }
    }

    /// <summary>Waits for a notification about the server or <paramref name="wait"/>; true when a notification ended it.</summary>
    private async Task<bool> WaitAsync(Task? notified, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (notified is null)
        {
            await Task.Delay(wait, _time, cancellationToken);
            return false;
        }

        using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(wait, _time, quiet.Token);
        var first = await Task.WhenAny(notified, delay);
        await quiet.CancelAsync(); // the timer of a wait a notification ended
        cancellationToken.ThrowIfCancellationRequested();
        return first == notified;
    }

    /// <summary>Makes the call (retried while Nova's errors may pass); returns Nova's request id. A retry first looks whether
    /// an earlier attempt reached Nova after all (the answer was lost): then the migration is under way and is only followed.</summary>
    private async Task<string?> StartAsync(MaintenanceCall.Migrate call, bool live, CancellationToken cancellationToken)
    {
        var attempt = 0;
        return await _issue.ExecuteAsync(async ct =>
        {
            if (attempt++ > 0 && await TryReadAsync(call.InstanceId, ct) is { } seen && UnderWay(seen, call))
                return null;
            return live
                ? await _nova.LiveMigrateAsync(call.InstanceId, call.ToHost, ct)
                : await _nova.MigrateAsync(call.InstanceId, call.ToHost, ct);
        }, cancellationToken);
    }

    /// <summary>At rest: no task, in a state a migration starts from and ends in (a stopped server is cold migrated stopped).</summary>
    private static bool Settled(NovaServer server) => server.TaskState is null && server.Status is "ACTIVE" or "SHUTOFF" or "PAUSED" or "SUSPENDED";

    /// <summary>An earlier attempt reached Nova: the server is migrating or already went.</summary>
    private static bool UnderWay(NovaServer server, MaintenanceCall.Migrate call) =>
        server.TaskState is not null || server.Status is "RESIZE" or "VERIFY_RESIZE" or "MIGRATING" || server.Host == call.ToHost;

    /// <summary>Confirms the finished cold migration; false to try again at the next reading.</summary>
    private async Task<bool> ConfirmAsync(MaintenanceCall.Migrate call, CancellationToken cancellationToken)
    {
        try
        {
            await _nova.ConfirmResizeAsync(call.InstanceId, cancellationToken);
            return true;
        }
        catch (OpenStackException ex) when (ex.Status == 400)
        {
            return true; // "has not been resized": confirmed already (Nova's resize_confirm_window, or someone else)
        }
        catch (OpenStackException ex)
        {
            LogConfirmRetry(call.InstanceId, ex.Message);
            return false;
        }
    }

    private async Task<NovaServer?> TryReadAsync(string serverId, CancellationToken cancellationToken)
    {
        try
        {
            return await _nova.ServerAsync(serverId, cancellationToken);
        }
        catch (OpenStackException)
        {
            return null;
        }
    }

    /// <summary>Nova's own reason from the instance action of the call; null when it recorded none (or cannot be read).</summary>
    private async Task<string?> FailureAsync(MaintenanceCall.Migrate call, string? requestId, bool live, CancellationToken cancellationToken)
    {
        try
        {
            return await _nova.ActionFailureAsync(call.InstanceId, requestId, live ? ["live-migration"] : ["migrate"], cancellationToken);
        }
        catch (OpenStackException)
        {
            return null;
        }
    }

    private MigrationReport Failed(MaintenanceCall.Migrate call, string detail)
    {
        LogFailed(call.Action, call.InstanceId, detail);
        return new MigrationReport(call.SessionId, call.InstanceId, call.StartedAt, false, null, detail);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Nova {What} of server {Server} from {From} to {To} started (request {RequestId})")]
    private partial void LogStarted(string what, string server, string from, string to, string requestId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Nova {What} of server {Server} done: {Status} on {Host}")]
    private partial void LogCompleted(string what, string server, string status, string? host);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Action} of server {Server} failed: {Reason}")]
    private partial void LogFailed(string action, string server, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Confirming the cold migration of server {Server} failed for now ({Reason}); trying again")]
    private partial void LogConfirmRetry(string server, string reason);
}
