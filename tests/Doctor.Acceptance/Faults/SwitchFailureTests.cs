using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Doctor.Cli.Bench;
using Doctor.Notification;
using Doctor.Testing;
using Xunit.Abstractions;

namespace Doctor.Acceptance.Faults;

/// <summary>
/// Correlation over the topology against the real server: a PDU feeds a top-of-rack switch that alone connects two
/// hosts; a third host hangs on two redundant switches. A failure upstream reaches every owner of a VM behind it in
/// one notification each, with the root cause named; a redundant feeder's loss only warns. The only time bound is the
/// original requirement (owners told within one second), on a service in operation (<see cref="Warmup"/>) and with no
/// other test running beside it (<see cref="Timed"/>).
/// </summary>
[Collection(Timed.Name)]
public sealed class SwitchFailureTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Secret = "acceptance-secret-0123456789";
    private static readonly string[] Projects = ["tenant-a", "tenant-b", "tenant-c"];

    private readonly TempDirectory _data = new();
    private readonly Inboxes _inboxes = new();
    private DoctorProcess _doctor = null!;
    private WebhookReceiver _receiver = null!;
    private HttpClient _monitor = null!;

    public async Task InitializeAsync()
    {
        _doctor = await DoctorProcess.StartAsync(_data.Path);
        _receiver = await WebhookReceiver.StartAsync();
        _inboxes.Attach(_receiver);

        using var admin = _doctor.Client();
        await admin.PostJsonAsync("/v1/inventory", Inventory());
        await admin.PostJsonAsync("/v1/subscriptions", new JsonObject { ["callback_url"] = $"{_receiver.Url}/operator" }, expect: 201);
        foreach (var project in Projects)
        {
            var token = await admin.PostJsonAsync("/v1/tokens", new JsonObject { ["role"] = "project", ["project_id"] = project }, expect: 201);
            using var tenant = _doctor.Client(token["token"]!.GetValue<string>());
            await tenant.PostJsonAsync("/v1/subscriptions", new JsonObject { ["callback_url"] = $"{_receiver.Url}/{project}", ["secret"] = Secret }, expect: 201);
        }

        var monitorToken = (await admin.PostJsonAsync("/v1/tokens", new JsonObject { ["role"] = "monitor" }, expect: 201))["token"]!.GetValue<string>();
        _monitor = _doctor.Client(monitorToken);
    }

    /// <summary>pdu-1 → tor-1 → compute-1 (a-1, a-2, b-1), compute-2 (a-3, c-1); tor-2a and tor-2b → compute-3 (b-2, c-2).</summary>
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
        Vm("b-1", "tenant-b", "compute-1");
        Vm("a-3", "tenant-a", "compute-2");
        Vm("c-1", "tenant-c", "compute-2");
        Vm("b-2", "tenant-b", "compute-3");
        Vm("c-2", "tenant-c", "compute-3");
        JsonObject Device(string id, string kind, params string[] feeds) =>
            new() { ["id"] = id, ["kind"] = kind, ["feeds"] = new JsonArray([.. feeds.Select(f => (JsonNode)f)]) };
        var inventory = new JsonObject
        {
            ["hosts"] = new JsonArray(
                new JsonObject { ["name"] = "compute-1", ["zone"] = "az1" },
                new JsonObject { ["name"] = "compute-2", ["zone"] = "az1" },
                new JsonObject { ["name"] = "compute-3", ["zone"] = "az1" }),
            ["devices"] = new JsonArray(
                Device("pdu-1", "pdu", "tor-1"),
                Device("tor-1", "switch", "compute-1", "compute-2"),
                Device("tor-2a", "switch", "compute-3"),
                Device("tor-2b", "switch", "compute-3")),
            ["servers"] = servers,
            ["ports"] = ports,
        };
        Warmup.AddTo(inventory);
        return inventory;
    }

    [Fact]
    public async Task PduDown_EveryOwnerBehindItToldOnceAboutItsOwnVms_ThenRecoveryRestores()
    {
        using var admin = _doctor.Client();
        var firstFault = await Warmup.RunAsync(_doctor, _receiver, _inboxes, _monitor, "operator");
        output.WriteLine($"first fault after the start (warm-up, not timed): owner told after {firstFault.TotalMilliseconds:0.0} ms");

        var start = Stopwatch.GetTimestamp();
        await _monitor.PostJsonAsync("/v1/events", Event("power.pdu.down", "pdu-1"), expect: 202);
        var a = await NextAsync("tenant-a");
        var b = await NextAsync("tenant-b");
        var c = await NextAsync("tenant-c");
        var slowest = Stopwatch.GetElapsedTime(start, new[] { a, b, c }.Max(n => n.ArrivedTicks));
        output.WriteLine($"pdu-1 down: every owner behind it told after {slowest.TotalMilliseconds:0.0} ms");
        Assert.True(slowest < TimeSpan.FromSeconds(1), $"owners were told after {slowest.TotalMilliseconds:0.0} ms; the original requirement is < 1 s");

        AssertTenantNotification(a, "tenant-a", "fault", "power.pdu.down", ["a-1", "a-2", "a-3"]);
        AssertTenantNotification(b, "tenant-b", "fault", "power.pdu.down", ["b-1"]);
        AssertTenantNotification(c, "tenant-c", "fault", "power.pdu.down", ["c-1"]);

        // The operator sees the whole tree in one message: the PDU first, then what it took down.
        var operatorView = (await NextAsync("operator")).Json["resources"]!.AsArray();
        Assert.Equal(["device:pdu-1", "device:tor-1", "host:compute-1", "host:compute-2"],
            operatorView.Where(r => r!["resource_type"]!.GetValue<string>() is "device" or "host")
                .Select(r => $"{r!["resource_type"]!.GetValue<string>()}:{r["resource_id"]!.GetValue<string>()}"));
        var rootFault = operatorView[0]!["faults"]![0]!;
        Assert.True(rootFault["is_root_cause"]!.GetValue<bool>());
        var rootId = rootFault["fault_id"]!.GetValue<string>();
        var derived = operatorView.Skip(1).Select(r => r!["faults"]![0]!).ToList();
        Assert.All(derived, f => Assert.Equal([rootId], f["correlated_fault_ids"]!.AsArray().Select(id => id!.GetValue<string>())));
        Assert.Equal(derived.Select(f => f["fault_id"]!.GetValue<string>()).Order(),
            rootFault["correlated_fault_ids"]!.AsArray().Select(id => id!.GetValue<string>()).Order());

        // The map: the switch and both hosts down, every VM behind them in error; compute-3 untouched.
        Assert.Equal("down", (await admin.GetJsonAsync("/v1/devices/tor-1"))["state"]!.GetValue<string>());
        Assert.Equal("down", (await admin.GetJsonAsync("/v1/hosts/compute-2"))["state"]!.GetValue<string>());
        Assert.Equal("error", (await admin.GetJsonAsync("/v1/servers/c-1"))["state"]!.GetValue<string>());
        Assert.Equal("normal", (await admin.GetJsonAsync("/v1/servers/c-2"))["state"]!.GetValue<string>());
        var root = Assert.Single((await admin.GetJsonAsync("/v1/faults?state=active&resource_type=device&resource_id=pdu-1"))["faults"]!.AsArray())!;
        Assert.Equal(rootId, root["fault_id"]!.GetValue<string>());

        // compute-1's own monitor now reports it down: explained by the PDU, so recorded (correlated to it) and
        // nobody is told again.
        var report = await _monitor.PostJsonAsync("/v1/events", HostEvent("compute.host.down", "compute-1"), expect: 202);
        var eventId = report["event_ids"]![0]!.GetValue<string>();
        var recorded = await Eventually(async () => await admin.GetJsonAsync($"/v1/events/{eventId}"), e => e["status"]!.GetValue<string>() != "pending");
        var ownId = Assert.Single(recorded["fault_ids"]!.AsArray())!.GetValue<string>();
        var own = await admin.GetJsonAsync($"/v1/faults/{ownId}");
        Assert.Contains(rootId, own["correlated_fault_ids"]!.AsArray().Select(id => id!.GetValue<string>()));

        // The PDU returns: everything behind it comes back, except compute-1, which its own fault still holds.
        await _monitor.PostJsonAsync("/v1/events", Event("power.pdu.up", "pdu-1"), expect: 202);
        var cleared = await NextAsync("tenant-a");
        Assert.Equal("fault_cleared", cleared.Json["notification_type"]!.GetValue<string>());
        Assert.Equal(["a-1:error", "a-2:error", "a-3:normal"], cleared.Json["resources"]!.AsArray()
            .Where(r => r!["resource_type"]!.GetValue<string>() == "server")
            .Select(r => $"{r!["resource_id"]!.GetValue<string>()}:{r["state"]!.GetValue<string>()}").Order());
        AssertTenantNotification(await NextAsync("tenant-c"), "tenant-c", "fault_cleared", "power.pdu.down", ["c-1"]);
        Assert.Equal("up", (await admin.GetJsonAsync("/v1/devices/tor-1"))["state"]!.GetValue<string>());
        Assert.Equal("down", (await admin.GetJsonAsync("/v1/hosts/compute-1"))["state"]!.GetValue<string>());
        Assert.Equal("up", (await admin.GetJsonAsync("/v1/hosts/compute-2"))["state"]!.GetValue<string>());
        Assert.Equal("ACTIVE", (await admin.GetJsonAsync("/v1/ports/a-3-port"))["data_plane_status"]!.GetValue<string>());

        await _monitor.PostJsonAsync("/v1/events", HostEvent("compute.host.up", "compute-1"), expect: 202);
        AssertTenantNotification(await NextAsync("tenant-a"), "tenant-a", "fault_cleared", "compute.host.down", ["a-1", "a-2"]);
        Assert.Equal("normal", (await admin.GetJsonAsync("/v1/servers/a-1"))["state"]!.GetValue<string>());
        Assert.Empty((await admin.GetJsonAsync("/v1/faults?state=active"))["faults"]!.AsArray());
        Assert.Empty(_inboxes.Of("tenant-a"));
    }

    [Fact]
    public async Task RedundantSwitch_OneDownWarns_BothDownCutsOff()
    {
        using var admin = _doctor.Client();
        await _monitor.PostJsonAsync("/v1/events", Event("network.switch.down", "tor-2a"), expect: 202);

        var warning = await NextAsync("tenant-b");
        var server = Assert.Single(warning.Json["resources"]!.AsArray())!;
        Assert.Equal("b-2", server["resource_id"]!.GetValue<string>());
        Assert.Equal("normal", server["state"]!.GetValue<string>());
        var fault = Assert.Single(server["faults"]!.AsArray())!;
        Assert.Equal(("redundancy.lost", "warning"), (fault["fault_type"]!.GetValue<string>(), fault["severity"]!.GetValue<string>()));
        Assert.Equal("up", (await admin.GetJsonAsync("/v1/hosts/compute-3"))["state"]!.GetValue<string>());
        Assert.Equal("c-2", Assert.Single((await NextAsync("tenant-c")).Json["resources"]!.AsArray())!["resource_id"]!.GetValue<string>());

        await _monitor.PostJsonAsync("/v1/events", Event("network.switch.down", "tor-2b"), expect: 202);

        AssertTenantNotification(await NextAsync("tenant-b"), "tenant-b", "fault", "network.switch.down", ["b-2"]);
        AssertTenantNotification(await NextAsync("tenant-c"), "tenant-c", "fault", "network.switch.down", ["c-2"]);
        Assert.Equal("down", (await admin.GetJsonAsync("/v1/hosts/compute-3"))["state"]!.GetValue<string>());
        Assert.Equal("error", (await admin.GetJsonAsync("/v1/servers/c-2"))["state"]!.GetValue<string>());
    }

    private static JsonObject Event(string type, string device) => new()
    {
        ["event"] = new JsonObject
        {
            ["time"] = DateTime.UtcNow.ToString("O"), ["type"] = type,
            ["details"] = new JsonObject { ["device_id"] = device, ["source"] = "acceptance-snmp" },
        },
    };

    private static JsonObject HostEvent(string type, string host) => new()
    {
        ["event"] = new JsonObject
        {
            ["time"] = DateTime.UtcNow.ToString("O"), ["type"] = type,
            ["details"] = new JsonObject { ["hostname"] = host, ["source"] = "acceptance-ping" },
        },
    };

    private Task<ReceivedNotification> NextAsync(string name) => _inboxes.NextAsync(name, () => _doctor.Output);

    private static async Task<JsonNode> Eventually(Func<Task<JsonNode>> read, Func<JsonNode, bool> done)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (done(value) || waited.Elapsed > TimeSpan.FromSeconds(10))
                return value;
            await Task.Delay(10);
        }
    }

    private static void AssertTenantNotification(ReceivedNotification received, string project, string type, string faultType, string[] vms)
    {
        var text = Encoding.UTF8.GetString(received.Body);
        foreach (var physical in new[] { "compute-", "pdu-", "tor-", "acceptance" })
            Assert.DoesNotContain(physical, text, StringComparison.Ordinal); // no host, device or monitor detail leaks
        Assert.True(Signatures.Verify(Secret, received.Body, received.Signature), "X-Doctor-Signature must verify");
        var body = received.Json;
        Assert.Equal(type, body["notification_type"]!.GetValue<string>());
        Assert.Equal(project, body["project_id"]!.GetValue<string>());
        var resources = body["resources"]!.AsArray();
        var servers = resources.Where(r => r!["resource_type"]!.GetValue<string>() == "server").ToList();
        Assert.Equal(vms, servers.Select(s => s!["resource_id"]!.GetValue<string>()).Order());
        Assert.Equal(vms.Select(v => v + "-port"), resources.Where(r => r!["resource_type"]!.GetValue<string>() == "port").Select(p => p!["resource_id"]!.GetValue<string>()).Order());
        foreach (var server in servers)
        {
            Assert.Equal(type == "fault" ? "error" : "normal", server!["state"]!.GetValue<string>());
            var fault = Assert.Single(server["faults"]!.AsArray())!;
            Assert.Equal(faultType, fault["fault_type"]!.GetValue<string>());
            Assert.False(fault["is_root_cause"]!.GetValue<bool>());
            Assert.Empty(fault["correlated_fault_ids"]!.AsArray()); // the root is physical: a tenant never sees its id
        }
    }

    public async Task DisposeAsync()
    {
        _monitor.Dispose();
        await _receiver.DisposeAsync();
        await _doctor.DisposeAsync();
        _data.Dispose();
    }
}
