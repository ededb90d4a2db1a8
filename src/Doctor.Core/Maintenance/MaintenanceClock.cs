using Doctor.Control;
using Microsoft.Extensions.Logging;

namespace Doctor.Maintenance;

/// <summary>
/// Drives the running sessions' timers (reply windows, <c>maintenance_at</c>, migrations, host actions): every
/// <see cref="DoctorConstants.MaintenanceTick"/> of the injected <see cref="TimeProvider"/>, when a session is running,
/// it asks the engine to advance them. Replies and creations advance their session at once; this only catches time.
/// </summary>
public sealed partial class MaintenanceClock(DoctorEngine engine, TimeProvider time, ILogger<MaintenanceClock> logger) : IAsyncDisposable
{
    private ITimer? _timer;
    private int _busy;

    public void Start() => _timer = time.CreateTimer(_ => Tick(), null, DoctorConstants.MaintenanceTick, DoctorConstants.MaintenanceTick);

    /// <summary>Advances every running session once (a test with a manual clock may call this directly).</summary>
    public Task<bool> TickAsync() => engine.ExecuteAsync(MaintenanceWorkflow.AdvanceAll);

    private void Tick()
    {
        if (!engine.IsReady || !engine.State.Maintenance.AnyActive || Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
            return;
        Task<bool> work;
        try
        {
            work = TickAsync();
        }
        catch (Exception ex)
        {
            Volatile.Write(ref _busy, 0);
            LogTickFailed(ex);
            return;
        }

        work.ContinueWith(
            task =>
            {
                Volatile.Write(ref _busy, 0);
                if (task.Exception is { } error)
                    LogTickFailed(error.InnerException ?? error);
            },
            TaskScheduler.Default);
    }

    public ValueTask DisposeAsync() => _timer?.DisposeAsync() ?? ValueTask.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Advancing the maintenance sessions failed; the next tick retries")]
    private partial void LogTickFailed(Exception error);
}
