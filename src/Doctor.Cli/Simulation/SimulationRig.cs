using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Doctor.Access;
using Doctor.Cli.Bench;
using Doctor.Cli.Client;
using Doctor.Notification;
using Doctor.Server.Hosting;
using Doctor.Simulator.Cloud;
using Doctor.Simulator.Monitoring;
using Doctor.Simulator.Network;
using Doctor.Simulator.Vnf;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Doctor.Cli.Simulation;

/// <summary>A notification as a tenant's consumer saw it, with what its VNF manager did about it.</summary>
public sealed record Arrival(long Ticks, string Project, JsonNode Body, bool SignatureOk, IReadOnlyList<Switchover> Switched);

/// <summary>
/// Everything around a Doctor that the demo and the fault test case need: the service (embedded, or a running one
/// at a URL), a simulated cloud whose hosts answer TCP probes (loopback agents, or network namespaces behind veth
/// pairs), the sample monitor reporting to Doctor, and one consumer plus VNF manager per tenant.
/// </summary>
public sealed class SimulationRig : IAsyncDisposable
{
    public const string Secret = "simulation-webhook-secret-0123456789";

    private readonly WebApplication? _embedded;
    private readonly string? _dataDir;
    private readonly CancellationTokenSource _stop = new();
    private Task? _monitor;

    private SimulationRig(SimulatedCloud cloud, WebApplication? embedded, string? dataDir, string url, string adminToken, IHostNetwork network, WebhookReceiver receiver)
    {
        Cloud = cloud;
        _embedded = embedded;
        _dataDir = dataDir;
        Url = url;
        AdminToken = adminToken;
        Network = network;
        Receiver = receiver;
        Admin = new DoctorClient(url, adminToken);
        Managers = cloud.Projects.ToDictionary(p => p, p => new VnfManager(p, cloud.Vms));
    }

    public SimulatedCloud Cloud { get; }
    public string Url { get; }
    public string AdminToken { get; }
    /// <summary>Where the simulated hosts answer, and how one is failed.</summary>
    public IHostNetwork Network { get; }
    public WebhookReceiver Receiver { get; }
    public DoctorClient Admin { get; }
    public Dictionary<string, VnfManager> Managers { get; }
    public ConcurrentQueue<Arrival> Arrivals { get; } = new();
    public ConcurrentQueue<HostVerdict> Verdicts { get; } = new();
    public MonitorOptions MonitorOptions { get; } = new();

    /// <summary>Starts the rig. With <paramref name="targetUrl"/> it drives that Doctor (with <paramref name="targetToken"/>);
    /// otherwise it starts an embedded one on <paramref name="listen"/> with a temporary data directory.
    /// <paramref name="network"/> makes the hosts (default: loopback agents); it runs first, so when it throws
    /// (<see cref="LinkUnavailableException"/>) nothing else has been started.</summary>
    public static async Task<SimulationRig> StartAsync(
        CloudSpec spec, string listen, string? targetUrl, string? targetToken, CancellationToken cancellationToken,
        Func<IReadOnlyList<string>, CancellationToken, Task<IHostNetwork>>? network = null)
    {
        var cloud = SimulatedCloud.Generate(spec);
        var hosts = network is null ? new HostAgents(cloud.Hosts) : await network(cloud.Hosts, cancellationToken);
        try
        {
            return await StartAsync(cloud, hosts, listen, targetUrl, targetToken, cancellationToken);
        }
        catch
        {
            await hosts.DisposeAsync();
            throw;
        }
    }

    private static async Task<SimulationRig> StartAsync(SimulatedCloud cloud, IHostNetwork hosts, string listen, string? targetUrl, string? targetToken, CancellationToken cancellationToken)
    {
        WebApplication? app = null;
        string? dataDir = null;
        string url;
        string token;
        if (targetUrl is null)
        {
            dataDir = Directory.CreateTempSubdirectory("doctor-sim-").FullName;
            token = TokenSecrets.Generate();
            var adminToken = token;
            app = DoctorApp.Create([], o =>
            {
                o.DataDir = dataDir;
                o.Urls = listen;
                o.AdminToken = adminToken;
            }, builder => builder.Logging.AddFilter("Microsoft", LogLevel.Warning).AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning).AddFilter("Doctor", LogLevel.Warning));
            await app.StartAsync(cancellationToken);
            url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        }
        else
        {
            url = targetUrl;
            token = targetToken ?? throw new ArgumentException("--token (an admin token of the target) is required with --url");
        }

        var rig = new SimulationRig(cloud, app, dataDir, url, token, hosts, await WebhookReceiver.StartAsync());
        try
        {
            await rig.PrepareAsync(cancellationToken);
        }
        catch
        {
            await rig.DisposeAsync();
            throw;
        }

        return rig;
    }

    private async Task PrepareAsync(CancellationToken cancellationToken)
    {
        await Admin.PostAsync("/v1/inventory", Cloud.ToInventory().ToJsonString(), cancellationToken);
        Receiver.OnReceived = r =>
        {
            var project = r.Path.Trim('/');
            var body = r.Json;
            IReadOnlyList<Switchover> switched = [];
            if (Managers.TryGetValue(project, out var manager))
            {
                lock (manager)
                    switched = manager.Handle(body);
            }

            Arrivals.Enqueue(new Arrival(r.ArrivedTicks, project, body, Signatures.Verify(Secret, r.Body, r.Signature), switched));
        };

        foreach (var project in Cloud.Projects)
        {
            var token = await Admin.PostAsync("/v1/tokens", new { role = "project", project_id = project }, cancellationToken);
            using var tenant = new DoctorClient(Url, token!["token"]!.GetValue<string>());
            await tenant.PostAsync("/v1/subscriptions", new { callback_url = $"{Receiver.Url}/{project}", secret = Secret }, cancellationToken);
        }

        var monitorToken = (await Admin.PostAsync("/v1/tokens", new { role = "monitor" }, cancellationToken))!["token"]!.GetValue<string>();
        var monitor = new HostMonitor([.. Cloud.Hosts.Select(Network.TargetOf)], new TcpProbe(), MonitorOptions, TimeProvider.System);
        var reporter = new EventReporter(Admin.Http, monitorToken, MonitorOptions.MonitorId, TimeProvider.System);
        _monitor = monitor.RunAsync(async v =>
        {
            Verdicts.Enqueue(v);
            await reporter.ReportAsync(v, _stop.Token);
        }, _stop.Token);
    }

    /// <summary>Owners of VMs on <paramref name="host"/>: each must get exactly one notification per event.</summary>
    public int OwnersOn(string host) => Cloud.On(host).Select(v => v.ProjectId).Distinct().Count();

    /// <summary>Waits (≤ 30 s) for the monitor's verdict on <paramref name="host"/>.</summary>
    public async Task<HostVerdict> WaitForVerdictAsync(string host, bool down, CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            while (Verdicts.TryDequeue(out var verdict))
            {
                if (verdict.Hostname == host && verdict.Down == down)
                    return verdict;
            }

            await Task.Delay(2, cancellationToken);
        }

        throw new TimeoutException($"the monitor did not report {host} {(down ? "down" : "up")} within 30 s");
    }

    /// <summary>Takes the next <paramref name="count"/> notifications (≤ 30 s), as they arrive.</summary>
    public async IAsyncEnumerable<Arrival> TakeArrivalsAsync(int count, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var waited = Stopwatch.StartNew();
        for (var taken = 0; taken < count;)
        {
            if (Arrivals.TryDequeue(out var arrival))
            {
                taken++;
                yield return arrival;
                continue;
            }

            if (waited.Elapsed > TimeSpan.FromSeconds(30))
                throw new TimeoutException($"only {taken} of {count} notifications arrived within 30 s");
            await Task.Delay(1, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_monitor is not null)
        {
            try
            {
                await _monitor;
            }
            catch (OperationCanceledException)
            {
            }
        }

        await Network.DisposeAsync();
        await Receiver.DisposeAsync();
        Admin.Dispose();
        if (_embedded is not null)
        {
            await _embedded.StopAsync(CancellationToken.None);
            await _embedded.DisposeAsync();
        }

        if (_dataDir is not null)
            Directory.Delete(_dataDir, recursive: true);
        _stop.Dispose();
    }
}
