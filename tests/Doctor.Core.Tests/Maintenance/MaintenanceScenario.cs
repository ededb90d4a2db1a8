using System.Collections.Immutable;
using Doctor.Core.Tests.Support;
using Doctor.Inventory;
using Doctor.Maintenance;
using Doctor.Subscriptions;
using Doctor.Testing;

namespace Doctor.Core.Tests.Maintenance;

/// <summary>
/// Three hosts on a manual clock: compute-1 runs vm-act (project app, group pair) and vm-n1 (project other);
/// compute-2 runs vm-stby (app, pair); compute-3 runs vm-n2 (other). Project app subscribes to maintenance;
/// project other does not, so it is never asked. Timers: reply 10 s, migration 1 s, host action 2 s, a migration the cloud
/// carries out (with a <see cref="IMaintenanceController"/> that reports) at most 30 s.
/// </summary>
public sealed class MaintenanceScenario : IAsyncDisposable
{
    public const string App = "app";
    public const string Other = "other";
    public static readonly MaintenanceTimers Timers = new(10, 1, 2) { MigrationTimeoutSeconds = 30 };

    private MaintenanceScenario(string dir, ManualTimeProvider clock, EngineHarness harness, IMaintenanceController? controller)
    {
        Dir = dir;
        Clock = clock;
        Harness = harness;
        Controller = controller;
    }

    /// <summary>The engine's maintenance controller (null: the embedded one).</summary>
    public IMaintenanceController? Controller { get; }

    public string Dir { get; }
    public ManualTimeProvider Clock { get; }
    public EngineHarness Harness { get; private set; }
    public string SessionId { get; private set; } = "";

    public MaintenanceSession Session => Harness.State.Maintenance.All.Get(SessionId)!;

    public static async Task<MaintenanceScenario> StartAsync(string dir, IMaintenanceController? controller = null)
    {
        var clock = new ManualTimeProvider(TestMap.Start.AddMinutes(5));
        var harness = await EngineHarness.StartAsync(dir, clock, maintenance: controller);
        await harness.ExecuteAsync(editor =>
        {
            foreach (var name in new[] { "compute-1", "compute-2", "compute-3" })
                editor.Map.PutHost(TestMap.Host(name));
            editor.Map.PutServer(TestMap.Server("vm-act", App, "compute-1") with { GroupId = "pair" });
            editor.Map.PutServer(TestMap.Server("vm-n1", Other, "compute-1"));
            editor.Map.PutServer(TestMap.Server("vm-stby", App, "compute-2") with { GroupId = "pair" });
            editor.Map.PutServer(TestMap.Server("vm-n2", Other, "compute-3"));
            editor.Subscriptions.Put(TestMap.Subscription("sub-app", App, new SubscriptionFilter { NotificationTypes = [NotificationType.Maintenance] }));
            editor.Subscriptions.Put(TestMap.Subscription("sub-admin", null));
            return true;
        });
        return new MaintenanceScenario(dir, clock, harness, controller);
    }

    public async Task<MaintenanceSession> CreateAsync(TimeSpan? startIn = null, ImmutableArray<string> hosts = default)
    {
        var request = new MaintenanceRequest(hosts.IsDefault ? [] : hosts, Clock.GetUtcNow() + (startIn ?? TimeSpan.Zero), MaintenanceWorkflow.Default,
            ImmutableSortedDictionary<string, string>.Empty);
        var migrations = Controller?.Migrations ?? MigrationControl.Timed;
        var session = await Harness.ExecuteAsync(editor => MaintenanceCommands.Create(editor, request, Timers, migrations));
        SessionId = session.SessionId;
        return session;
    }

    public Task<MaintenanceSession> ReplyAsync(string state, params (string Id, string Action)[] actions) =>
        Harness.ExecuteAsync(editor => MaintenanceCommands.Reply(editor, SessionId, App, state,
            actions.Length == 0 ? null : actions.ToDictionary(a => a.Id, a => a.Action)));

    /// <summary>Moves the clock and lets the session catch up, as the maintenance clock does.</summary>
    public async Task<MaintenanceSession> AdvanceAsync(double seconds)
    {
        Clock.Advance(TimeSpan.FromSeconds(seconds));
        await Harness.ExecuteAsync(MaintenanceWorkflow.AdvanceAll);
        return Session;
    }

    public Host Host(string name) => Harness.State.Map.Hosts.Get(name)!;
    public Server Server(string id) => Harness.State.Map.Servers.Get(id)!;

    /// <summary>The maintenance messages sent so far: (project or host, state).</summary>
    public List<(string To, string State)> Messages() =>
        [.. Harness.Notices.Notices.Where(n => n.Maintenance is not null).Select(n => (n.Maintenance!.ProjectId ?? "host:" + n.Maintenance.Host, n.Maintenance.State))];

    /// <summary>Stops the engine and starts a new one on the same data directory (a restart).</summary>
    public async Task RestartAsync()
    {
        await Harness.DisposeAsync();
        Harness = await EngineHarness.StartAsync(Dir, Clock, maintenance: Controller);
    }

    /// <summary>Runs the whole default workflow with ACKs and MIGRATE; the session must end DONE.</summary>
    public async Task RunToDoneAsync()
    {
        for (var i = 0; i < 200 && Session.IsActive; i++)
        {
            var s = Session;
            if (s.Phase == SessionPhase.Replies && s.Projects.TryGetValue(App, out var reply) && reply.Reply is null)
                await ReplyAsync("ACK_" + s.State.Name());
            else
                await AdvanceAsync(0.5);
        }
    }

    public ValueTask DisposeAsync() => Harness.DisposeAsync();
}
