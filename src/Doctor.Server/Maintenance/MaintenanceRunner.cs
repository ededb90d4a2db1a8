using Doctor.Maintenance;

namespace Doctor.Server.Maintenance;

/// <summary>Starts the maintenance clock once the engine has loaded (registered after <c>DoctorRuntime</c>), stops it first.</summary>
public sealed class MaintenanceRunner(MaintenanceClock clock) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        clock.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await clock.DisposeAsync();
}
