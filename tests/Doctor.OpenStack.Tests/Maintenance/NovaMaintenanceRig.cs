using Doctor.OpenStack.Sync;
using Doctor.Maintenance;
using Doctor.OpenStack.Actions;
using Doctor.OpenStack.Keystone;
using Doctor.OpenStack.Maintenance;
using Doctor.OpenStack.Neutron;
using Doctor.OpenStack.Nova;
using Doctor.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace Doctor.OpenStack.Tests.Maintenance;

/// <summary>
/// The Nova side of maintenance wired as OpenStack mode wires it (Keystone session, Nova client, action runner, migrator,
/// controller), against a <see cref="MaintenanceNova"/> on loopback and a manual clock. The controller's reports are
/// collected instead of going to an engine.
/// </summary>
public sealed class NovaMaintenanceRig : IAsyncDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { UseProxy = false });
    private readonly List<MigrationReport> _reports = [];

    private NovaMaintenanceRig(MaintenanceNova nova, OpenStackOptions options, ManualTimeProvider clock)
    {
        Nova = nova;
        Options = options;
        Clock = clock;
        var keystone = new KeystoneSession(_http, options, clock, NullLogger<KeystoneSession>.Instance);
        Client = new NovaClient(_http, keystone, options);
        Actions = new ActionRunner(Client, new NeutronClient(_http, keystone, options), options, clock, NullLogger<ActionRunner>.Instance);
        Migrator = new NovaMigrator(Client, options, clock, NullLogger<NovaMigrator>.Instance, Changes);
        Controller = new NovaMaintenance(Client, Migrator, Actions, report =>
        {
            lock (_reports)
                _reports.Add(report);
            return Task.FromResult(true);
        }, () => State, options, clock, NullLogger<NovaMaintenance>.Instance);
    }

    /// <summary>What the sync would signal on notifications about servers.</summary>
    public ServerChanges Changes { get; } = new();

    public MaintenanceNova Nova { get; }
    public OpenStackOptions Options { get; }
    public ManualTimeProvider Clock { get; }
    public NovaClient Client { get; }
    public ActionRunner Actions { get; }
    public NovaMigrator Migrator { get; }
    public NovaMaintenance Controller { get; }

    /// <summary>What the controller reads as the engine's state (the start's take-over, the periodic check).</summary>
    public Doctor.State.DoctorState State { get; set; } = Doctor.State.DoctorState.Empty;

    public IReadOnlyList<MigrationReport> Reports
    {
        get
        {
            lock (_reports)
                return [.. _reports];
        }
    }

    public static async Task<NovaMaintenanceRig> StartAsync(Action<OpenStackOptions>? configure = null)
    {
        var nova = await MaintenanceNova.StartAsync();
        var options = new OpenStackOptions
        {
            AuthUrl = nova.AuthUrl, Username = "doctor", Password = "doctorpw", MigrationPollSeconds = 0.25, MigrationTimeoutSeconds = 30,
            ActionAttempts = 3, CallTimeoutSeconds = 10,
        };
        configure?.Invoke(options);
        return new NovaMaintenanceRig(nova, options, new ManualTimeProvider());
    }

    public MaintenanceCall.Migrate Call(string server, string action, string from, string to, string session = "s-1") =>
        new(session, server, action, from, to, Clock.GetUtcNow());

    /// <summary>Runs one migration to its end, moving the manual clock whenever the migrator waits on it.</summary>
    public async Task<MigrationReport> MigrateAsync(MaintenanceCall.Migrate call, bool resume = false)
    {
        var run = Task.Run(() => Migrator.RunAsync(call, resume, CancellationToken.None));
        await DriveAsync(run);
        return await run;
    }

    /// <summary>Moves the clock by the poll interval each time something waits on it, until <paramref name="work"/> ends
    /// (bounded: a stuck component fails the test instead of hanging it).</summary>
    public async Task DriveAsync(Task work)
    {
        var step = TimeSpan.FromSeconds(Options.MigrationPollSeconds);
        for (var i = 0; i < 20_000 && !work.IsCompleted; i++)
        {
            if (Clock.PendingTimers > 0)
                Clock.Advance(step);
            else
                await Task.WhenAny(work, Task.Delay(2));
        }

        Assert.True(work.IsCompleted, "the work did not end");
    }

    public async ValueTask DisposeAsync()
    {
        Controller.Dispose();
        await Actions.DisposeAsync();
        _http.Dispose();
        await Nova.DisposeAsync();
    }
}
