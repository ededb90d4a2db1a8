using System.Runtime.InteropServices;
using Doctor.Inspection;

namespace Doctor.Server.Inspection;

/// <summary>
/// Reloads the failure policy on SIGHUP, the Unix convention for "read your configuration again". Registering also
/// keeps SIGHUP from ending the process, which is its default action.
/// </summary>
public sealed partial class PolicySignals(PolicyReloader reloader, ILogger<PolicySignals> logger) : IHostedService, IDisposable
{
    private PosixSignalRegistration? _hangup;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        reloader.LogInForce();
        try
        {
            _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnHangup);
        }
        catch (PlatformNotSupportedException)
        {
            LogNoSignal(); // POST /v1/policy/reload still works
        }

        return Task.CompletedTask;
    }

    private void OnHangup(PosixSignalContext context)
    {
        context.Cancel = true;
        // Off the signal thread: reading and validating a file is not work for a signal handler.
        _ = Task.Run(() =>
        {
            try
            {
                reloader.Reload("SIGHUP");
            }
            catch (PolicyFileException)
            {
                // Logged by the reloader with every problem; the previous policy stays in force.
            }
        });
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _hangup?.Dispose();
        _hangup = null;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "SIGHUP is not available on this platform; reload the failure policy with POST /v1/policy/reload")]
    private partial void LogNoSignal();
}
