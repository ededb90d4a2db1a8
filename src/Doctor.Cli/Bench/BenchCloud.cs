using System.Text.Json.Nodes;
using Doctor.OpenStack;
using Doctor.OpenStack.Keystone;
using Doctor.OpenStack.Messaging;
using Doctor.OpenStack.Nova;
using Microsoft.Extensions.Logging.Abstractions;
using RabbitMQ.Client;

namespace Doctor.Cli.Bench;

/// <summary>Where the OpenStack under test is and who the bench is in it (defaults: scripts/openstack-aio.sh).</summary>
public sealed record BenchCloudSettings(
    string AuthUrl, string TransportUrl, string AdminUser, string AdminPassword, string TenantUser, string TenantPassword,
    string TenantProject, string DoctorUser, string DoctorPassword, string DoctorProject, string Image, string Flavor)
{
    /// <summary>The AIO's accounts; <c>OS_AUTH_URL</c> and <c>DOCTOR_TRANSPORT_URL</c> override the addresses.</summary>
    public static BenchCloudSettings FromEnvironment() => new(
        Environment.GetEnvironmentVariable("OS_AUTH_URL") ?? "http://127.0.0.1:5000/v3",
        Environment.GetEnvironmentVariable("DOCTOR_TRANSPORT_URL") ?? "rabbit://openstack:rabbitpw@127.0.0.1:5672/",
        "admin", "adminpw", "demo", "demopw", "demo", "doctor", "doctorpw", "service", "fake-image", "1");
}

/// <summary>
/// The bench's own hands in the cloud, apart from Doctor's: an admin token scoped to the tenant's project (boots servers
/// pinned to a host, reads every server with its <c>host_status</c>, un-forces a host left forced down) and the tenant's
/// own token (its Aodh alarm: event alarms match the project of the event).
/// </summary>
public sealed class BenchCloud : IDisposable
{
    /// <summary>@2.74: <c>host</c> in a server create (admin), <c>host_status</c> in details (2.16+).</summary>
    public const string ComputeVersion = "2.74";

    private readonly HttpClient _http;
    private readonly ServiceClient _nova;
    private readonly ServiceClient _image;
    private readonly ServiceClient _alarming;

    private BenchCloud(HttpClient http, ServiceClient nova, ServiceClient image, ServiceClient alarming, BenchCloudSettings settings)
    {
        _http = http;
        _nova = nova;
        _image = image;
        _alarming = alarming;
        Settings = settings;
    }

    public BenchCloudSettings Settings { get; }

    public static BenchCloud Connect(BenchCloudSettings settings)
    {
        var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5), MaxConnectionsPerServer = 16 })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        var admin = Options(settings, settings.AdminUser, settings.AdminPassword, settings.TenantProject);
        var tenant = Options(settings, settings.TenantUser, settings.TenantPassword, settings.TenantProject);
        var adminSession = new KeystoneSession(http, admin, TimeProvider.System, NullLogger<KeystoneSession>.Instance);
        var tenantSession = new KeystoneSession(http, tenant, TimeProvider.System, NullLogger<KeystoneSession>.Instance);
        return new BenchCloud(http, new ServiceClient(http, adminSession, admin, "compute"), new ServiceClient(http, adminSession, admin, "image"),
            new ServiceClient(http, tenantSession, tenant, "alarming"), settings);
    }

    private static OpenStackOptions Options(BenchCloudSettings settings, string user, string password, string project) => new()
    {
        AuthUrl = settings.AuthUrl, Username = user, Password = password, ProjectName = project, Interface = "public", CallTimeoutSeconds = 60,
    };

    public async Task<string> ImageIdAsync(CancellationToken ct)
    {
        var answer = await _image.GetAsync("/v2/images?name=" + Uri.EscapeDataString(Settings.Image), ct);
        return answer?["images"]?[0]?["id"]?.GetValue<string>() ?? throw new InvalidOperationException($"Glance has no image '{Settings.Image}'");
    }

    /// <summary>The nova-compute service of <paramref name="host"/>: its id and whether it is forced down.</summary>
    public async Task<NovaService> ComputeServiceAsync(string host, CancellationToken ct)
    {
        var answer = await _nova.GetAsync("/os-services?binary=nova-compute&host=" + Uri.EscapeDataString(host), ct, NovaClient.ServicesVersion);
        return (answer?["services"] as JsonArray ?? []).Select(NovaService.From).OfType<NovaService>().FirstOrDefault(s => s.Host == host)
               ?? throw new InvalidOperationException($"Nova has no nova-compute service on {host}");
    }

    public Task SetForcedDownAsync(string serviceId, bool forcedDown, CancellationToken ct) =>
        _nova.SendAsync(HttpMethod.Put, "/os-services/" + serviceId, new JsonObject { ["forced_down"] = forcedDown }, ct, NovaClient.ServicesVersion);

    /// <summary>Every server on <paramref name="host"/> (all projects), as an admin sees it, with <c>host_status</c>.</summary>
    public async Task<IReadOnlyList<NovaServer>> ServersOnHostAsync(string host, CancellationToken ct)
    {
        var answer = await _nova.GetAsync($"/servers/detail?all_tenants=1&host={Uri.EscapeDataString(host)}", ct, "2.16");
        return (answer?["servers"] as JsonArray ?? []).Select(NovaServer.From).OfType<NovaServer>().ToList();
    }

    /// <summary>Every server whose name starts with <paramref name="prefix"/> (all projects, any state; Nova's name filter is a regex).</summary>
    public async Task<IReadOnlyList<(NovaServer Server, string? Fault)>> ServersNamedAsync(string prefix, CancellationToken ct)
    {
        var answer = await _nova.GetAsync($"/servers/detail?all_tenants=1&limit=1000&name={Uri.EscapeDataString("^" + prefix)}", ct, "2.16");
        return (answer?["servers"] as JsonArray ?? [])
            .Select(s => (Server: NovaServer.From(s), Fault: s?["fault"]?["message"]?.GetValue<string>()))
            .Where(s => s.Server is not null)
            .Select(s => (s.Server!, s.Fault))
            .ToList();
    }

    /// <summary>Boots <paramref name="count"/> servers named <c>name-1…</c> on <paramref name="host"/> in one request (no network).</summary>
    public Task BootAsync(string name, int count, string imageId, string host, CancellationToken ct) =>
        _nova.SendAsync(HttpMethod.Post, "/servers", new JsonObject
        {
            ["server"] = new JsonObject
            {
                ["name"] = name, ["imageRef"] = imageId, ["flavorRef"] = Settings.Flavor, ["networks"] = "none", ["host"] = host,
                ["min_count"] = count, ["max_count"] = count,
            },
        }, ct, ComputeVersion);

    public async Task DeleteServerAsync(string id, CancellationToken ct)
    {
        try
        {
            await _nova.SendAsync(HttpMethod.Delete, "/servers/" + id, null, ct, "2.1");
        }
        catch (OpenStackException gone) when (gone.Status == 404)
        {
        }
    }

    /// <summary>An Aodh event alarm of the tenant: every <c>compute.instance.update</c> with <c>state = error</c> POSTs
    /// <paramref name="webhook"/> (repeat_actions: each matching event fires, not only the first).</summary>
    public async Task<string> CreateErrorAlarmAsync(string name, string webhook, CancellationToken ct)
    {
        var answer = await _alarming.SendAsync(HttpMethod.Post, "/v2/alarms", new JsonObject
        {
            ["name"] = name,
            ["type"] = "event",
            ["event_rule"] = new JsonObject
            {
                ["event_type"] = "compute.instance.update",
                ["query"] = new JsonArray(new JsonObject { ["field"] = "traits.state", ["op"] = "eq", ["type"] = "string", ["value"] = "error" }),
            },
            ["alarm_actions"] = new JsonArray(webhook),
            ["repeat_actions"] = true,
        }, ct);
        return answer?["alarm_id"]?.GetValue<string>() ?? throw new InvalidOperationException("Aodh answered no alarm_id");
    }

    /// <summary>The tenant's alarms whose name starts with <paramref name="prefix"/>.</summary>
    public async Task<IReadOnlyList<string>> AlarmIdsNamedAsync(string prefix, CancellationToken ct)
    {
        var answer = await _alarming.GetAsync("/v2/alarms", ct);
        return (answer as JsonArray ?? [])
            .Where(a => a?["name"]?.GetValue<string>()?.StartsWith(prefix, StringComparison.Ordinal) == true)
            .Select(a => a!["alarm_id"]!.GetValue<string>())
            .ToList();
    }

    public async Task DeleteAlarmAsync(string id, CancellationToken ct)
    {
        try
        {
            await _alarming.SendAsync(HttpMethod.Delete, "/v2/alarms/" + id, null, ct);
        }
        catch (OpenStackException gone) when (gone.Status == 404)
        {
        }
    }

    /// <summary>Deletes a RabbitMQ queue (Doctor's own, which outlives Doctor: it is durable).</summary>
    public async Task DeleteQueueAsync(string queue, CancellationToken ct)
    {
        var factory = Transport.Factory(Settings.TransportUrl, "doctor-bench");
        factory.AutomaticRecoveryEnabled = false;
        await using var connection = await factory.CreateConnectionAsync(ct);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        await channel.QueueDeleteAsync(queue, ifUnused: false, ifEmpty: false, cancellationToken: ct);
        await channel.CloseAsync(ct);
        await connection.CloseAsync(ct);
    }

    public void Dispose() => _http.Dispose();
}
