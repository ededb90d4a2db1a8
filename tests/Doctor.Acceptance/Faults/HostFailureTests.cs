using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Doctor.Cli.Bench;
using Doctor.Inventory;
using Doctor.Notification;
using Doctor.Testing;
using Xunit.Abstractions;

namespace Doctor.Acceptance.Faults;

/// <summary>
/// The original Doctor fault-management test case against the real server: several hosts and owners, a host
/// fails, every owner of a VM on it is told about exactly its own VMs, the map is corrected, and recovery
/// restores it. The only time bound is the original requirement (owners told within one second), on a service in
/// operation (<see cref="Warmup"/>) and with no other test running beside it (<see cref="Timed"/>): a cold process
/// sharing two cores with a neighbour's start once took 1.02 s for its first fault.
/// </summary>
[Collection(Timed.Name)]
public sealed class HostFailureTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Secret = "acceptance-secret-0123456789";
    private static readonly string[] Projects = ["tenant-a", "tenant-b", "tenant-c"];

    private readonly TempDirectory _data = new();
    private DoctorProcess _doctor = null!;
    private WebhookReceiver _receiver = null!;
    private readonly Inboxes _inboxes = new();
    private readonly Dictionary<string, string> _subscriptions = [];

    public async Task InitializeAsync()
    {
        _doctor = await DoctorProcess.StartAsync(_data.Path);
        _receiver = await WebhookReceiver.StartAsync();
        _inboxes.Attach(_receiver);

        using var admin = _doctor.Client();
        await admin.PostJsonAsync("/v1/inventory", Inventory());
        foreach (var project in Projects)
        {
            var token = await admin.PostJsonAsync("/v1/tokens", new JsonObject { ["role"] = "project", ["project_id"] = project }, expect: 201);
            using var tenant = _doctor.Client(token["token"]!.GetValue<string>());
            var subscription = await tenant.PostJsonAsync("/v1/subscriptions",
                new JsonObject { ["callback_url"] = $"{_receiver.Url}/{project}", ["secret"] = Secret }, expect: 201);
            _subscriptions[project] = subscription["subscription_id"]!.GetValue<string>();
        }
    }

    /// <summary>compute-1 holds VMs of tenant-a (3) and tenant-b (2); compute-2 of tenant-a and tenant-c; compute-3 of tenant-b.</summary>
    private static JsonObject Inventory()
    {
        var servers = new JsonArray();
        var ports = new JsonArray();
        void Vm(string id, string project, string host)
        {
            servers.Add(new JsonObject { ["id"] = id, ["name"] = id, ["project_id"] = project, ["host"] = host });
            ports.Add(new JsonObject { ["id"] = id + "-port", ["server_id"] = id, ["network_id"] = "provider", ["data_plane_status"] = "ACTIVE" });
        }

        Vm("a-1", "tenant-a", "compute-1");
        Vm("a-2", "tenant-a", "compute-1");
        Vm("a-3", "tenant-a", "compute-1");
        Vm("a-4", "tenant-a", "compute-2");
        Vm("b-1", "tenant-b", "compute-1");
        Vm("b-2", "tenant-b", "compute-1");
        Vm("b-3", "tenant-b", "compute-3");
        Vm("c-1", "tenant-c", "compute-2");
        var inventory = new JsonObject
        {
            ["hosts"] = new JsonArray(
                new JsonObject { ["name"] = "compute-1", ["zone"] = "az1" },
                new JsonObject { ["name"] = "compute-2", ["zone"] = "az1" },
                new JsonObject { ["name"] = "compute-3", ["zone"] = "az2" }),
            ["servers"] = servers,
            ["ports"] = ports,
        };
        Warmup.AddTo(inventory);
        return inventory;
    }

    [Fact]
    public async Task HostDown_EveryOwnerToldAboutOwnVmsOnly_ThenRecoveryRestores()
    {
        var monitorToken = (await _doctor.Client().PostJsonAsync("/v1/tokens", new JsonObject { ["role"] = "monitor" }, expect: 201))["token"]!.GetValue<string>();
        using var monitor = _doctor.Client(monitorToken);
        using var admin = _doctor.Client();
        var firstFault = await Warmup.RunAsync(_doctor, _receiver, _inboxes, monitor);
        output.WriteLine($"first fault after the start (warm-up, not timed): owner told after {firstFault.TotalMilliseconds:0.0} ms");
        var clearedBefore = (await admin.GetJsonAsync("/v1/faults?state=cleared"))["faults"]!.AsArray().Count;

        var start = Stopwatch.GetTimestamp();
        await monitor.PostJsonAsync("/v1/events", Event("compute.host.down", "compute-1"), expect: 202);
        var a = await NextAsync("tenant-a");
        var b = await NextAsync("tenant-b");
        var slowest = Stopwatch.GetElapsedTime(start, Math.Max(a.ArrivedTicks, b.ArrivedTicks));
        output.WriteLine($"compute-1 down: every owner told after {slowest.TotalMilliseconds:0.0} ms");
        Assert.True(slowest < TimeSpan.FromSeconds(1), $"owners were told after {slowest.TotalMilliseconds:0.0} ms; the original requirement is < 1 s");

        AssertNotification(a, "tenant-a", "fault", ["a-1", "a-2", "a-3"]);
        AssertNotification(b, "tenant-b", "fault", ["b-1", "b-2"]);

        // Nobody else: tenant-c owns nothing on compute-1, so its subscription has no delivery at all.
        var cDeliveries = await admin.GetJsonAsync($"/v1/subscriptions/{_subscriptions["tenant-c"]}/deliveries");
        Assert.Empty(cDeliveries["deliveries"]!.AsArray());

        // The map is corrected.
        var host = await admin.GetJsonAsync("/v1/hosts/compute-1");
        Assert.Equal("down", host["state"]!.GetValue<string>());
        Assert.True(host["forced_down"]!.GetValue<bool>());
        Assert.Equal("DOWN", host["host_status"]!.GetValue<string>());
        var onHost = (await admin.GetJsonAsync("/v1/servers?host=compute-1"))["servers"]!.AsArray();
        Assert.Equal(5, onHost.Count);
        Assert.All(onHost, s => Assert.Equal("error", s!["state"]!.GetValue<string>()));
        Assert.All(onHost, s => Assert.Equal("DOWN", s!["host_status"]!.GetValue<string>()));
        Assert.Equal("DOWN", (await admin.GetJsonAsync("/v1/ports/a-1-port"))["data_plane_status"]!.GetValue<string>());
        Assert.Equal("normal", (await admin.GetJsonAsync("/v1/servers/a-4"))["state"]!.GetValue<string>());

        // The fault is queryable, with its root and the derived faults of every VM and port.
        var roots = (await admin.GetJsonAsync("/v1/faults?state=active&resource_type=host"))["faults"]!.AsArray();
        var root = Assert.Single(roots)!;
        Assert.Equal("compute-1", root["resource_id"]!.GetValue<string>());
        Assert.True(root["is_root_cause"]!.GetValue<bool>());
        Assert.Equal(10, root["correlated_fault_ids"]!.AsArray().Count);

        // Recovery clears everything and puts every state back.
        await monitor.PostJsonAsync("/v1/events", Event("compute.host.up", "compute-1"), expect: 202);
        AssertNotification(await NextAsync("tenant-a"), "tenant-a", "fault_cleared", ["a-1", "a-2", "a-3"]);
        AssertNotification(await NextAsync("tenant-b"), "tenant-b", "fault_cleared", ["b-1", "b-2"]);
        host = await admin.GetJsonAsync("/v1/hosts/compute-1");
        Assert.Equal("up", host["state"]!.GetValue<string>());
        Assert.False(host["forced_down"]!.GetValue<bool>());
        onHost = (await admin.GetJsonAsync("/v1/servers?host=compute-1"))["servers"]!.AsArray();
        Assert.All(onHost, s => Assert.Equal("normal", s!["state"]!.GetValue<string>()));
        Assert.Equal("ACTIVE", (await admin.GetJsonAsync("/v1/ports/a-1-port"))["data_plane_status"]!.GetValue<string>());
        Assert.Empty((await admin.GetJsonAsync("/v1/faults?state=active"))["faults"]!.AsArray());
        Assert.Equal(clearedBefore + 11, (await admin.GetJsonAsync("/v1/faults?state=cleared"))["faults"]!.AsArray().Count);
    }

    [Fact]
    public async Task HostDown_SurvivesRestart_StateAndFaultsReloaded()
    {
        using (var admin = _doctor.Client())
            await admin.PostJsonAsync("/v1/events", Event("compute.host.down", "compute-3"), expect: 202);
        await NextAsync("tenant-b");

        await _doctor.StopAsync();
        await _doctor.DisposeAsync();
        _doctor = await DoctorProcess.StartAsync(_data.Path);

        using var again = _doctor.Client();
        Assert.Equal("down", (await again.GetJsonAsync("/v1/hosts/compute-3"))["state"]!.GetValue<string>());
        Assert.Equal("error", (await again.GetJsonAsync("/v1/servers/b-3"))["state"]!.GetValue<string>());
        var root = Assert.Single((await again.GetJsonAsync("/v1/faults?state=active&resource_type=host"))["faults"]!.AsArray())!;
        Assert.Equal("compute-3", root["resource_id"]!.GetValue<string>());

        // The subscriptions survived too: recovery after the restart reaches the owner.
        await again.PostJsonAsync("/v1/events", Event("compute.host.up", "compute-3"), expect: 202);
        AssertNotification(await NextAsync("tenant-b"), "tenant-b", "fault_cleared", ["b-3"], host: "compute-3");
    }

    private static JsonObject Event(string type, string host) => new()
    {
        ["event"] = new JsonObject
        {
            ["time"] = DateTime.UtcNow.ToString("O"),
            ["type"] = type,
            ["details"] = new JsonObject { ["hostname"] = host, ["source"] = "acceptance", ["cause"] = "link to " + host + " lost" },
        },
    };

    private Task<ReceivedNotification> NextAsync(string project) => _inboxes.NextAsync(project, () => _doctor.Output);

    private static void AssertNotification(ReceivedNotification received, string project, string type, string[] vms, string host = "compute-1")
    {
        var text = Encoding.UTF8.GetString(received.Body);
        Assert.DoesNotContain("compute-", text, StringComparison.Ordinal); // no host name, no raw monitor details
        Assert.DoesNotContain("acceptance", text, StringComparison.Ordinal);
        Assert.True(Signatures.Verify(Secret, received.Body, received.Signature), "X-Doctor-Signature must verify");
        var body = received.Json;
        Assert.Equal(type, body["notification_type"]!.GetValue<string>());
        Assert.Equal(project, body["project_id"]!.GetValue<string>());
        Assert.Equal(received.NotificationId, body["notification_id"]!.GetValue<string>());
        var resources = body["resources"]!.AsArray();
        var servers = resources.Where(r => r!["resource_type"]!.GetValue<string>() == "server").ToList();
        var ports = resources.Where(r => r!["resource_type"]!.GetValue<string>() == "port").ToList();
        Assert.Equal(vms, servers.Select(s => s!["resource_id"]!.GetValue<string>()).Order());
        Assert.Equal(vms.Select(v => v + "-port"), ports.Select(p => p!["resource_id"]!.GetValue<string>()).Order());
        Assert.Equal(resources.Count, servers.Count + ports.Count);
        var expectedHostId = HostIdentity.For(project, host);
        foreach (var server in servers)
        {
            Assert.Equal(expectedHostId, server!["host_id"]!.GetValue<string>());
            Assert.Equal(type == "fault" ? "error" : "normal", server["state"]!.GetValue<string>());
            Assert.Equal(type == "fault" ? "DOWN" : "UP", server["host_status"]!.GetValue<string>());
            var fault = Assert.Single(server["faults"]!.AsArray())!;
            Assert.Equal("compute.host.down", fault["fault_type"]!.GetValue<string>());
            Assert.Equal("critical", fault["severity"]!.GetValue<string>());
            Assert.False(fault["is_root_cause"]!.GetValue<bool>());
            Assert.Empty(fault["details"]!.AsObject());
            Assert.Equal(type == "fault", fault["cleared_at"] is null);
        }
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _doctor.DisposeAsync();
        _data.Dispose();
    }
}
