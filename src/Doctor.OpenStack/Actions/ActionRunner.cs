using System.Collections.Concurrent;
using Doctor.OpenStack.Maintenance;
using Doctor.OpenStack.Neutron;
using Doctor.OpenStack.Nova;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace Doctor.OpenStack.Actions;

/// <summary>
/// Runs controller calls in the background: at most <see cref="OpenStackOptions.ActionConcurrency"/> calls on servers and
/// ports in flight and as many on hosts (a host's force-down has slots of its own, so it never waits behind the
/// reset-states of its own servers), those of one target in order, each with the call timeout and retried with backoff
/// (Polly) on errors that may pass; a newer decision for a target ends the retries of an older one. Nova refusing
/// to un-force a host whose evacuations are finished (until its nova-compute restarts) is retried every
/// <see cref="OpenStackOptions.UnforceRetrySeconds"/> and reported, until a newer decision for that host replaces it.
/// </summary>
public sealed partial class ActionRunner : IAsyncDisposable
{
    private readonly NovaClient _nova;
    private readonly NeutronClient _neutron;
    private readonly OpenStackOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _slots;
    private readonly SemaphoreSlim _hostSlots;
    private readonly ResiliencePipeline _retry;
    private readonly ConcurrentDictionary<string, Task> _tails = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _generations = new(StringComparer.Ordinal);

    /// <summary>Per target, cancelled when a newer decision for it is queued: ends the older call's waits (retry backoff,
    /// the un-force pace), never a request already on the wire.</summary>
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _superseded = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _waitingToUnforce = new(StringComparer.Ordinal);

    // Per target, kept only while they matter (see Forget): a cloud of 500k servers must not leave an entry behind for each
    // server ever acted on.
    private readonly ConcurrentDictionary<string, DateTimeOffset> _finished = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _lastDecided = new(StringComparer.Ordinal);

    /// <summary>Servers a reset to error left alone (Nova showed them SHUTOFF, ERROR, …) and what Nova showed.</summary>
    private readonly ConcurrentDictionary<string, string> _leftAlone = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private long _succeeded;
    private long _failed;
    private long _pending;
    private int _disposed;

    public ActionRunner(NovaClient nova, NeutronClient neutron, OpenStackOptions options, TimeProvider time, ILogger<ActionRunner> logger)
    {
        _nova = nova;
        _neutron = neutron;
        _options = options;
        _time = time;
        _logger = logger;
        _slots = new SemaphoreSlim(options.ActionConcurrency, options.ActionConcurrency);
        _hostSlots = new SemaphoreSlim(options.ActionConcurrency, options.ActionConcurrency);
        // ActionAttempts = 1 (allowed: no retries) must not reach Polly, whose retry strategy needs at least one retry.
        _retry = options.ActionAttempts <= 1 ? ResiliencePipeline.Empty : new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.ActionAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = TimeSpan.FromSeconds(10),
                UseJitter = true,
                ShouldHandle = new PredicateBuilder().Handle<OpenStackException>(e => !e.IsPermanent && !IsUnforceRefused(e)),
            })
            .Build();
    }

    /// <summary>Counts for the status view.</summary>
    public (long Succeeded, long Failed, long Pending, IReadOnlyDictionary<string, string> WaitingToUnforce) Counts =>
        (Interlocked.Read(ref _succeeded), Interlocked.Read(ref _failed), Interlocked.Read(ref _pending), _waitingToUnforce);

    /// <summary>Queues <paramref name="action"/> behind earlier calls for its target; returns at once. An earlier call for the
    /// target that has not started yet is dropped, one that is waiting to try again stops waiting: the newer decision wins.</summary>
    public Task Enqueue(ControllerAction action)
    {
        Interlocked.Increment(ref _pending);
        lock (_tails)
        {
            var generation = _generations.AddOrUpdate(action.Key, 1, static (_, g) => g + 1);
            var superseded = new CancellationTokenSource();
            if (_superseded.TryGetValue(action.Key, out var older))
                older.Cancel();
            _superseded[action.Key] = superseded;
            _lastDecided[action.Key] = action.Value;
            var run = _tails.TryGetValue(action.Key, out var tail) && !tail.IsCompleted
                ? tail.ContinueWith(_ => RunAsync(action, generation, superseded.Token), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap()
                : Task.Run(() => RunAsync(action, generation, superseded.Token));
            _tails[action.Key] = run;
            return run;
        }
    }

    /// <summary>Called after each successful call (CloudSync records in the map which hosts Doctor forced down in Nova).</summary>
    public Func<ControllerAction, Task>? Succeeded { get; set; }
    /// <summary>The value of the newest call queued for <paramref name="target"/> while it is queued or running; after it
    /// ended, only a port's data plane <c>DOWN</c> is remembered (the one value a recovery needs to undo); otherwise null.</summary>
    public string? LastDecided(ActionKind kind, string target) => _lastDecided.GetValueOrDefault($"{kind}:{target}");

    /// <summary>True while a call for this target is queued or running.</summary>
    public bool IsBusy(ActionKind kind, string target) => _tails.TryGetValue($"{kind}:{target}", out var tail) && !tail.IsCompleted;

    /// <summary>When the last force-down or un-force of this host ended (whatever its outcome); null when there was none.</summary>
    public DateTimeOffset? LastFinished(ActionKind kind, string target) =>
        _finished.TryGetValue($"{kind}:{target}", out var at) ? at : null;

    /// <summary>Completes when the calls queued so far for this target have finished (whatever their outcome).</summary>
    public Task WhenIdleAsync(ActionKind kind, string target) =>
        _tails.TryGetValue($"{kind}:{target}", out var tail) ? tail : Task.CompletedTask;

    /// <summary>Completes when every call queued so far has finished (tests, shutdown).</summary>
    public Task WhenIdleAsync() => Task.WhenAll(_tails.Values);

    private async Task RunAsync(ControllerAction action, long generation, CancellationToken superseded)
    {
        var stopping = _stopping.Token;
        using var waits = CancellationTokenSource.CreateLinkedTokenSource(stopping, superseded);
        var waiting = false;
        try
        {
            DateTimeOffset? firstRefusal = null;
            while (true)
            {
                if (_generations.GetValueOrDefault(action.Key) != generation)
                    return; // a newer decision for this target is queued behind us: it wins
                OpenStackException? refused = null;
                try
                {
                    // The retries' waits end when a newer decision arrives; the call itself only when Doctor stops, so a
                    // request Nova may already be acting on is never abandoned half-way and overtaken by the next one. A slot
                    // is held per attempt, not across the backoff: the bound is on calls in flight.
                    await _retry.ExecuteAsync(async _ => await CallInSlotAsync(action, stopping, superseded), waits.Token);
                    _waitingToUnforce.TryRemove(action.Target, out _);
                    waiting = false;
                    Interlocked.Increment(ref _succeeded);
                    action.Timeline?.CallCompleted(action.Name, action.Target, true, null);
                    LogDone(action.Name, action.Target);
                    await NotifySucceededAsync(action);
                    return;
                }
                catch (OpenStackException ex) when (IsUnforceRefused(ex))
                {
                    refused = ex;
                }
                catch (OpenStackException ex)
                {
                    Interlocked.Increment(ref _failed);
                    action.Timeline?.CallCompleted(action.Name, action.Target, false, ex.Message);
                    LogFailed(action.Name, action.Target, ex.Message);
                    return;
                }

                // Nova: "Unable to force up host … as 'done' evacuation migration records remain … Ensure the compute service
                // has been restarted". Only a restart of that nova-compute clears them; keep asking until it has.
                firstRefusal ??= _time.GetUtcNow();
                if (_time.GetUtcNow() - firstRefusal >= TimeSpan.FromHours(_options.UnforceGiveUpHours))
                {
                    _waitingToUnforce.TryRemove(action.Target, out _);
                    waiting = false;
                    Interlocked.Increment(ref _failed);
                    action.Timeline?.CallCompleted(action.Name, action.Target, false, $"given up after {_options.UnforceGiveUpHours} h: " + refused.Message);
                    LogFailed(action.Name, action.Target, $"given up after {_options.UnforceGiveUpHours} h of refusals: {refused.Message}");
                    return;
                }

                waiting = true;
                var first = _waitingToUnforce.TryAdd(action.Target, refused.Message);
                if (first)
                {
                    action.Timeline?.CallCompleted(action.Name, action.Target, false, "refused until the host's nova-compute restarts: " + refused.Message);
                    LogUnforceRefused(action.Target, _options.UnforceRetrySeconds);
                }

                await Task.Delay(TimeSpan.FromSeconds(_options.UnforceRetrySeconds), _time, waits.Token);
            }
        }
        catch (OperationCanceledException) when (superseded.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            // A newer decision for this target ended our retries: it is queued right behind us.
            action.Timeline?.CallCompleted(action.Name, action.Target, false, "replaced by a newer decision before it succeeded");
            LogSuperseded(action.Name, action.Target);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
        catch (Exception ex)
        {
            Interlocked.Increment(ref _failed);
            action.Timeline?.CallCompleted(action.Name, action.Target, false, ex.Message);
            LogFailed(action.Name, action.Target, ex.Message);
        }
        finally
        {
            if (waiting)
                _waitingToUnforce.TryRemove(action.Target, out _); // replaced or stopped: nobody is waiting any more
            if (action.Kind == ActionKind.ForceDown)
                _finished[action.Key] = _time.GetUtcNow(); // one per host at most: reconciliation asks about hosts only
            Forget(action, generation);
            Interlocked.Decrement(ref _pending);
        }
    }

    /// <summary>Drops what the runner kept for a target once its newest call has ended (nothing newer queued).</summary>
    private void Forget(ControllerAction action, long generation)
    {
        lock (_tails)
        {
            if (_generations.GetValueOrDefault(action.Key) != generation)
                return; // a newer call is queued behind this one and still needs the entries
            _tails.TryRemove(action.Key, out _);
            _generations.TryRemove(action.Key, out _);
            _superseded.TryRemove(action.Key, out _); // not disposed: a linked source of this run may still unregister from it
            if (!(action.Kind == ActionKind.DataPlaneStatus && action.Value == "DOWN"))
                _lastDecided.TryRemove(action.Key, out _);
        }
    }

    /// <summary>Entries kept per target across all of the runner's tables (tests: they must not grow with every target).</summary>
    internal int Tracked => _tails.Count + _generations.Count + _superseded.Count + _finished.Count + _lastDecided.Count + _waitingToUnforce.Count;

    private async Task NotifySucceededAsync(ControllerAction action)
    {
        try
        {
            if (Succeeded is { } succeeded)
                await succeeded(action);
        }
        catch (Exception ex)
        {
            LogFollowUpFailed(action.Name, action.Target, ex.Message); // the call itself succeeded; reconciliation repairs the rest
        }
    }

    private async Task CallInSlotAsync(ControllerAction action, CancellationToken stopping, CancellationToken superseded)
    {
        // A host's force-down must not wait for a free slot behind the reset-states of its 50 servers (measured with shared
        // slots: 4–5 s late in 2 of 10 runs of `doctor bench openstack` at 50 VMs).
        var slots = action.Kind is ActionKind.ForceDown or ActionKind.ServiceStatus ? _hostSlots : _slots;
        await slots.WaitAsync(stopping);
        try
        {
            // Replaced while it waited for a slot: the newer decision goes out instead (nothing of this one is on the wire).
            superseded.ThrowIfCancellationRequested();
            await CallAsync(action, stopping);
        }
        finally
        {
            slots.Release();
        }
    }

    private Task CallAsync(ControllerAction action, CancellationToken cancellationToken) => action.Kind switch
    {
        ActionKind.ForceDown => _nova.SetForcedDownAsync(action.ServiceId!, action.Value == "true", cancellationToken),
        ActionKind.ResetState => ResetStateAsync(action.Target, action.Value, cancellationToken),
        ActionKind.DataPlaneStatus => _neutron.SetDataPlaneStatusAsync(action.Target, action.Value, cancellationToken),
        _ => NovaHostStatus.ApplyAsync(_nova, action.Target, action.Value == "enabled", action.Reason ?? NovaMaintenance.ReasonPrefix, _logger, cancellationToken),
    };

    /// <summary>
    /// os-resetState knows only <c>error</c> and <c>active</c>, so it may only undo what it did: a server is reset to error
    /// only when Nova shows it ACTIVE (a SHUTOFF, PAUSED or already failed one is left as it is, and remembered), and back to
    /// active only when Nova shows it ERROR and it was not one of those. Resetting blindly turned a server that was SHUTOFF
    /// (or in a genuine ERROR) before the host failed into an ACTIVE one after the recovery. After a restart the memory is
    /// gone: a server in ERROR is then reset to active, as before.
    /// </summary>
    private async Task ResetStateAsync(string serverId, string state, CancellationToken cancellationToken)
    {
        var server = await _nova.ServerAsync(serverId, cancellationToken);
        if (server is null)
            return; // deleted meanwhile: nothing to correct
        if (state == "error")
        {
            if (server.Status == "ACTIVE")
            {
                _leftAlone.TryRemove(serverId, out _);
                await _nova.ResetStateAsync(serverId, state, cancellationToken);
            }
            else if (server.Status != "ERROR")
            {
                if (_leftAlone.Count >= 100_000)
                    _leftAlone.Clear(); // bounded; at worst such a server is reset to active at its recovery, as before
                _leftAlone[serverId] = server.Status;
                LogResetSkipped(serverId, server.Status);
            }
            else
            {
                _leftAlone[serverId] = server.Status;
            }

            return;
        }

        if (_leftAlone.TryRemove(serverId, out var before))
        {
            LogResetSkipped(serverId, before);
            return;
        }

        if (server.Status == "ERROR")
            await _nova.ResetStateAsync(serverId, state, cancellationToken);
    }

    private static bool IsUnforceRefused(OpenStackException ex) =>
        ex.Status == 400 && ex.Message.Contains("evacuation", StringComparison.OrdinalIgnoreCase);

    /// <summary>Stops: waits end, calls on the wire are cancelled, and the runs are waited for (5 s at most). Safe to call
    /// twice; <see cref="_stopping"/> is not disposed (it has no timer), so a run that starts late still reads its token.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _stopping.CancelAsync();
        try
        {
            await WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception)
        {
            // what did not finish is repaired by the next start's reconciliation of forced-down hosts
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Controller call {Action} on {Target} done")]
    private partial void LogDone(string action, string target);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording the completed call {Action} on {Target} failed: {Reason}")]
    private partial void LogFollowUpFailed(string action, string target, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Controller call {Action} on {Target} failed: {Reason}")]
    private partial void LogFailed(string action, string target, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Server {Server} is {Status} in Nova: its state is not reset by Doctor")]
    private partial void LogResetSkipped(string server, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Controller call {Action} on {Target} replaced by a newer decision before it succeeded")]
    private partial void LogSuperseded(string action, string target);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Nova refuses to un-force host {Host}: finished evacuations remain until its nova-compute service restarts. Doctor asks again every {Seconds} s")]
    private partial void LogUnforceRefused(string host, double seconds);
}
