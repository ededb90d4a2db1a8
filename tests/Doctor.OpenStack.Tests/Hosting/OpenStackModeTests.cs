using Doctor.Testing;
using System.Text.Json;
using System.Text.Json.Nodes;
using Doctor.Inventory;
using Doctor.OpenStack.Sync;
using Doctor.OpenStack.Tests.Infrastructure;
using Doctor.Profiling;
using Microsoft.AspNetCore.Http;

namespace Doctor.OpenStack.Tests.Hosting;

/// <summary>
/// The real service in OpenStack mode, in process, against a fake Keystone, Nova and Neutron: the start reads the cloud,
/// a host failure tells its owners and then forces the compute service down once, a recovery lifts it, the status
/// endpoint is an admin's, and a Keystone token works as a caller's credential.
/// </summary>
public sealed class OpenStackModeTests : IAsyncLifetime
{
    private FakeCloud _cloud = null!;
    private OpenStackDoctor _doctor = null!;

    public async Task InitializeAsync()
    {
        _cloud = await FakeCloud.StartAsync();
        _cloud.AddCompute("compute-1", "svc-1", zone: "az-1");
        _cloud.AddCompute("compute-2", "svc-2", zone: "az-2");
        _cloud.AddServer("vm-a1", "tenant-a", "compute-1", "alpha-act");
        _cloud.AddServer("vm-a2", "tenant-a", "compute-2", "alpha-stby");
        _cloud.AddServer("vm-b1", "tenant-b", "compute-1", "beta-1");
        _cloud.AddServerGroup("grp-a", "tenant-a", "vm-a1", "vm-a2");
        _cloud.AddPort("port-a1", "vm-a1", "tenant-a", "compute-1", dataPlane: "ACTIVE");
        _cloud.AddPort("port-a2", "vm-a2", "tenant-a", "compute-2");
        _cloud.AddPort("port-b1", "vm-b1", "tenant-b", "compute-1", dataPlane: "ACTIVE");
        _cloud.AddPort("port-dhcp", "dhcp-x", "tenant-a", "compute-1", owner: "network:dhcp");
        _doctor = await OpenStackDoctor.StartAsync(_cloud);
    }

    public async Task DisposeAsync()
    {
        _cloud.Intercept = null;
        await _doctor.DisposeAsync();
        await _cloud.DisposeAsync();
    }

    private static List<string> Ids(JsonElement list, string property = "id") =>
        [.. list.EnumerateArray().Select(e => e.GetProperty(property).GetString()!).Order(StringComparer.Ordinal)];

    private async Task<string> SubscribeAsync(string project, string callbackUrl)
    {
        var created = await OpenStackDoctor.JsonAsync(await _doctor.PostAsync("/v1/subscriptions", new Dictionary<string, object>
        {
            ["callback_url"] = callbackUrl, ["project_id"] = project,
        }), 201);
        return created.GetProperty("subscription_id").GetString()!;
    }

    private IReadOnlyList<bool> ForcedDownCalls(string serviceId) =>
        [.. _cloud.CallsTo("PUT", "/os-services/" + serviceId).Select(c => c.Json!["forced_down"]!.GetValue<bool>())];

    // ---- the start --------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Start_TakesASnapshot_HostsServersPortsAppear()
    {
        var hosts = (await _doctor.GetJsonAsync("/v1/hosts")).GetProperty("hosts");
        Assert.Equal(["compute-1", "compute-2"], Ids(hosts, "name"));
        var host = hosts.EnumerateArray().First();
        Assert.Equal("az-1", host.GetProperty("zone").GetString());
        Assert.Equal("openstack", host.GetProperty("metadata").GetProperty("source").GetString());
        Assert.Equal("svc-1", host.GetProperty("metadata").GetProperty("nova_service_id").GetString());

        var servers = (await _doctor.GetJsonAsync("/v1/servers")).GetProperty("servers");
        Assert.Equal(["vm-a1", "vm-a2", "vm-b1"], Ids(servers));
        var act = servers.EnumerateArray().First(s => s.GetProperty("id").GetString() == "vm-a1");
        Assert.Equal(("alpha-act", "tenant-a", "compute-1", "grp-a"),
            (act.GetProperty("name").GetString(), act.GetProperty("project_id").GetString(), act.GetProperty("host").GetString(), act.GetProperty("group_id").GetString()));

        var ports = (await _doctor.GetJsonAsync("/v1/ports")).GetProperty("ports");
        Assert.Equal(["port-a1", "port-a2", "port-b1"], Ids(ports)); // the DHCP port is no server's
        Assert.Equal("ACTIVE", ports.EnumerateArray().First().GetProperty("data_plane_status").GetString());

        var status = await _doctor.GetJsonAsync("/v1/openstack");
        var reconciliation = status.GetProperty("reconciliation");
        Assert.Equal(1, reconciliation.GetProperty("passes").GetInt64());
        Assert.Equal((2, 3, 3), (reconciliation.GetProperty("cloud_hosts").GetInt32(), reconciliation.GetProperty("cloud_servers").GetInt32(), reconciliation.GetProperty("cloud_ports").GetInt32()));
        Assert.Equal(JsonValueKind.Null, reconciliation.GetProperty("last_error").ValueKind);
        Assert.False(status.GetProperty("notifications").GetProperty("consuming").GetBoolean());
        Assert.True(status.GetProperty("actions").GetProperty("data_plane_status_supported").GetBoolean());
        Assert.Empty(status.GetProperty("actions").GetProperty("waiting_to_unforce").EnumerateArray());
    }

    // ---- a host failure and its recovery ----------------------------------------------------------------------------------

    [Fact]
    public async Task HostDown_OwnersToldThenExactlyOneForceDown()
    {
        await using var receiver = await Receiver.StartAsync();
        receiver.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously); // a slow owner
        await SubscribeAsync("tenant-a", receiver.Url("alpha"));
        var seenByNova = new List<bool>();
        _cloud.Intercept = (_, call) =>
        {
            if (call.Method == "PUT" && call.Path.EndsWith("/os-services/svc-1", StringComparison.Ordinal))
            {
                // What Doctor had done for the owners when Nova was called.
                var fault = _doctor.Engine.State.Faults.All.After(null).Single(f => f.IsRootCause && f.ResourceId == "compute-1");
                var timeline = _doctor.Timelines.Get(fault.FaultId)!;
                lock (seenByNova)
                    seenByNova.Add(timeline[Checkpoint.NotificationBuilt] != 0);
            }

            return Task.FromResult(false);
        };

        var recorded = await _doctor.EventAsync("compute.host.down", ("hostname", "compute-1"));

        // The force-down does not wait for the owner, who has not even answered yet.
        await Eventually.TrueAsync(() => ForcedDownCalls("svc-1").Count == 1, "the force-down to reach Nova");
        await Eventually.TrueAsync(() => receiver.Calls.Count == 1, "the owner's notification to arrive");
        await _doctor.Actions.WhenIdleAsync();
        Assert.Equal([true], ForcedDownCalls("svc-1"));
        Assert.Empty(ForcedDownCalls("svc-2"));
        Assert.True(Assert.Single(seenByNova), "the owners' notifications were built and handed to delivery before Nova was called");
        Assert.True((bool)_cloud.Service("compute-1")["forced_down"]!);
        Assert.Equal("DOWN", (string?)_cloud.Ports.First(p => (string?)p["id"] == "port-a1")["data_plane_status"]);
        Assert.Equal("DOWN", (string?)_cloud.Ports.First(p => (string?)p["id"] == "port-b1")["data_plane_status"]);
        Assert.Empty(_cloud.CallsTo("POST", "/action")); // ResetServerState is off by default

        var notification = JsonNode.Parse(receiver.Calls.Single().Body)!;
        Assert.Equal(["port-a1", "vm-a1"], notification["resources"]!.AsArray().Select(r => (string)r!["resource_id"]!).Order(StringComparer.Ordinal));

        var faultId = recorded.GetProperty("fault_ids")[0].GetString()!;
        var timelineView = await _doctor.GetJsonAsync($"/v1/faults/{faultId}/timeline");
        var calls = timelineView.GetProperty("controller_actions").EnumerateArray().ToList();
        Assert.Contains(calls, c => c.GetProperty("action").GetString() == "nova.force_down=true" && c.GetProperty("outcome").GetString() == "succeeded");
        Assert.Equal(3, calls.Count); // the force-down and two ports
        receiver.Hold.SetResult();
    }

    [Fact]
    public async Task HostUp_AfterHostDown_UnforcesAndRestoresPorts()
    {
        await _doctor.EventAsync("compute.host.down", ("hostname", "compute-1"));
        await Eventually.TrueAsync(() => (bool)_cloud.Service("compute-1")["forced_down"]!, "the force-down");

        await _doctor.EventAsync("compute.host.up", ("hostname", "compute-1"));

        await Eventually.TrueAsync(() => ForcedDownCalls("svc-1").Count == 2, "the un-force");
        await _doctor.Actions.WhenIdleAsync();
        Assert.Equal([true, false], ForcedDownCalls("svc-1"));
        Assert.False((bool)_cloud.Service("compute-1")["forced_down"]!);
        Assert.Equal("ACTIVE", (string?)_cloud.Ports.First(p => (string?)p["id"] == "port-a1")["data_plane_status"]);
        var host = await _doctor.GetJsonAsync("/v1/hosts/compute-1");
        Assert.Equal(("up", false), (host.GetProperty("state").GetString(), host.GetProperty("forced_down").GetBoolean()));
        var counts = (await _doctor.GetJsonAsync("/v1/openstack")).GetProperty("actions");
        Assert.Equal((6L, 0L, 0L), (counts.GetProperty("succeeded").GetInt64(), counts.GetProperty("failed").GetInt64(), counts.GetProperty("pending").GetInt64()));
    }

    [Fact]
    public async Task Reconcile_AfterAHostDown_KeepsDoctorsStatesAndResendsALostForceDown()
    {
        await _doctor.EventAsync("compute.host.down", ("hostname", "compute-1"));
        await Eventually.TrueAsync(() => ForcedDownCalls("svc-1").Count == 1, "the force-down");
        await _doctor.Actions.WhenIdleAsync();
        _cloud.Service("compute-1")["forced_down"] = false; // Nova lost it (e.g. restored from a backup)

        var counts = await _doctor.ReconcileAsync();

        Assert.Equal(0, counts.Repaired);
        await Eventually.TrueAsync(() => ForcedDownCalls("svc-1").Count == 2, "the force-down to be sent again");
        var host = await _doctor.GetJsonAsync("/v1/hosts/compute-1");
        Assert.True(host.GetProperty("forced_down").GetBoolean());
        Assert.Equal("error", (await _doctor.GetJsonAsync("/v1/servers/vm-a1")).GetProperty("state").GetString());
        Assert.Equal(1, (await _doctor.GetJsonAsync("/v1/openstack")).GetProperty("actions").GetProperty("force_downs_resent").GetInt64());
    }

    [Fact]
    public async Task Reconcile_OperatorForcedAHostDownInNova_DoctorFollowsAndNeverFightsIt()
    {
        // Before: a host Nova showed forced down stayed "held" in Doctor's map for good, and every reconciliation after the
        // operator lifted it in Nova forced it down again.
        _cloud.Service("compute-2")["forced_down"] = true;
        await _doctor.ReconcileAsync();
        Assert.True((await _doctor.GetJsonAsync("/v1/hosts/compute-2")).GetProperty("forced_down").GetBoolean());

        _cloud.Service("compute-2")["forced_down"] = false; // the operator lifts it
        await _doctor.ReconcileAsync();
        await _doctor.ReconcileAsync();
        await _doctor.Actions.WhenIdleAsync();

        var host = await _doctor.GetJsonAsync("/v1/hosts/compute-2");
        Assert.Equal((false, "up"), (host.GetProperty("forced_down").GetBoolean(), host.GetProperty("state").GetString()));
        Assert.Empty(ForcedDownCalls("svc-2"));
        Assert.Equal(0, (await _doctor.GetJsonAsync("/v1/openstack")).GetProperty("actions").GetProperty("force_downs_resent").GetInt64());
    }

    [Fact]
    public async Task Reconcile_NewHostFirstSeenForcedDownThenLiftedInNova_NotForcedDownAgain()
    {
        _cloud.AddCompute("compute-3", "svc-3", forcedDown: true);
        await _doctor.ReconcileAsync();
        Assert.True((await _doctor.GetJsonAsync("/v1/hosts/compute-3")).GetProperty("forced_down").GetBoolean());

        _cloud.Service("compute-3")["forced_down"] = false;
        await _doctor.ReconcileAsync();
        await _doctor.ReconcileAsync();
        await _doctor.Actions.WhenIdleAsync();

        Assert.Empty(ForcedDownCalls("svc-3"));
        Assert.False((bool)_cloud.Service("compute-3")["forced_down"]!);
        Assert.False((await _doctor.GetJsonAsync("/v1/hosts/compute-3")).GetProperty("forced_down").GetBoolean());
    }

    [Fact]
    public async Task Reconcile_WhileNovaStillRefusesToUnforce_DoctorKeepsItsRecovery()
    {
        _cloud.Intercept = async (context, call) =>
        {
            if (call.Method != "PUT" || call.Json?["forced_down"]?.GetValue<bool>() != false)
                return false;
            await FakeCloud.WriteAsync(context, 400, new JsonObject { ["badRequest"] = new JsonObject { ["code"] = 400, ["message"] = "Unable to force up host compute-1 as 'done' evacuation migration records remain associated with the host." } });
            return true;
        };
        await _doctor.EventAsync("compute.host.down", ("hostname", "compute-1"));
        await _doctor.EventAsync("compute.host.up", ("hostname", "compute-1"));
        await Eventually.TrueAsync(async () =>
            (await _doctor.GetJsonAsync("/v1/openstack")).GetProperty("actions").GetProperty("waiting_to_unforce").GetArrayLength() == 1, "the refusal to be listed");

        await _doctor.ReconcileAsync(); // Nova still shows the host forced down

        var host = await _doctor.GetJsonAsync("/v1/hosts/compute-1");
        Assert.Equal((false, "up"), (host.GetProperty("forced_down").GetBoolean(), host.GetProperty("state").GetString()));
        var waiting = (await _doctor.GetJsonAsync("/v1/openstack")).GetProperty("actions").GetProperty("waiting_to_unforce")[0];
        Assert.Equal("compute-1", waiting.GetProperty("host").GetString());
        Assert.Contains("evacuation", waiting.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Reconcile_CloudChanged_MapFollowsAndTheRepairIsCounted()
    {
        lock (_cloud.Servers)
            _cloud.Servers.RemoveAll(s => (string?)s["id"] == "vm-b1");
        _cloud.Ports.RemoveAll(p => (string?)p["id"] == "port-b1");
        _cloud.AddServer("vm-c1", "tenant-c", "compute-2");
        _cloud.Servers.First(s => (string?)s["id"] == "vm-a1")["OS-EXT-SRV-ATTR:host"] = "compute-2"; // migrated: its port's binding follows
        _cloud.Ports.First(p => (string?)p["id"] == "port-a1")["binding:host_id"] = "compute-2";

        var counts = await _doctor.ReconcileAsync();

        Assert.Equal(new SyncCounts(1, 1, 2, 0), counts);
        Assert.Equal(["vm-a1", "vm-a2", "vm-c1"], Ids((await _doctor.GetJsonAsync("/v1/servers")).GetProperty("servers")));
        Assert.Equal("compute-2", (await _doctor.GetJsonAsync("/v1/servers/vm-a1")).GetProperty("host").GetString());
        var reconciliation = (await _doctor.GetJsonAsync("/v1/openstack")).GetProperty("reconciliation");
        Assert.Equal((2L, 4L), (reconciliation.GetProperty("passes").GetInt64(), reconciliation.GetProperty("repaired_total").GetInt64()));
        Assert.Equal(0, (await _doctor.ReconcileAsync()).Repaired); // nothing left to repair
    }

    // ---- access -----------------------------------------------------------------------------------------------------------

    [Fact]
    public async Task OpenStackStatus_AdminOnly()
    {
        var project = (await OpenStackDoctor.JsonAsync(await _doctor.PostAsync("/v1/tokens", new { role = "project", project_id = "tenant-a" }), 201)).GetProperty("token").GetString()!;
        var monitor = (await OpenStackDoctor.JsonAsync(await _doctor.PostAsync("/v1/tokens", new { role = "monitor" }), 201)).GetProperty("token").GetString()!;
        _cloud.AddUserToken("gAAAAA-tenant-a", "tenant-a", ["member"]);

        await OpenStackDoctor.ProblemAsync(await _doctor.GetAsync("/v1/openstack", token: null), 401);
        await OpenStackDoctor.ProblemAsync(await _doctor.GetAsync("/v1/openstack", project), 403);
        await OpenStackDoctor.ProblemAsync(await _doctor.GetAsync("/v1/openstack", monitor), 403);
        await OpenStackDoctor.ProblemAsync(await _doctor.GetAsync("/v1/openstack", "gAAAAA-tenant-a", openStackHeader: true), 403);
        await OpenStackDoctor.JsonAsync(await _doctor.GetAsync("/v1/openstack"), 200);
        await OpenStackDoctor.ProblemAsync(await _doctor.SendAsync(HttpMethod.Post, "/v1/openstack", OpenStackDoctor.AdminToken, "{}"), 405);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task KeystoneMemberToken_WorksAsThatProjectsCaller(bool openStackHeader)
    {
        _cloud.AddUserToken("gAAAAA-alice", "tenant-a", ["member"]);

        var servers = await OpenStackDoctor.JsonAsync(await _doctor.GetAsync("/v1/servers", "gAAAAA-alice", openStackHeader), 200);

        Assert.Equal(["vm-a1", "vm-a2"], Ids(servers.GetProperty("servers")));
        Assert.All(servers.GetProperty("servers").EnumerateArray(), s => Assert.False(s.TryGetProperty("host", out _)));
        await OpenStackDoctor.ProblemAsync(await _doctor.GetAsync("/v1/servers/vm-b1", "gAAAAA-alice", openStackHeader), 404);
        await OpenStackDoctor.ProblemAsync(await _doctor.GetAsync("/v1/hosts", "gAAAAA-alice", openStackHeader), 403);
        var subscription = await OpenStackDoctor.JsonAsync(await _doctor.SendAsync(HttpMethod.Post, "/v1/subscriptions", "gAAAAA-alice", new { callback_url = "http://127.0.0.1:9/x" }, openStackHeader), 201);
        Assert.Equal("tenant-a", subscription.GetProperty("project_id").GetString());
    }

    [Fact]
    public async Task KeystoneAdminToken_WorksAsAdmin()
    {
        _cloud.AddUserToken("gAAAAA-root", "admin", ["admin", "member"]);

        var hosts = await OpenStackDoctor.JsonAsync(await _doctor.GetAsync("/v1/hosts", "gAAAAA-root", openStackHeader: true), 200);

        Assert.Equal(2, hosts.GetProperty("hosts").GetArrayLength());
    }

    [Theory]
    [InlineData("gAAAAA-never-issued")]
    [InlineData("tökén")]
    [InlineData("dr_not-a-doctor-token")]
    public async Task UnknownCredential_401(string secret)
    {
        await OpenStackDoctor.ProblemAsync(await _doctor.GetAsync("/v1/servers", secret, openStackHeader: true), 401);
    }

    [Fact]
    public async Task KeystoneTokenWithoutAnyRole_401()
    {
        _cloud.AddUserToken("gAAAAA-nobody", "tenant-a", []);

        await OpenStackDoctor.ProblemAsync(await _doctor.GetAsync("/v1/servers", "gAAAAA-nobody", openStackHeader: true), 401);
    }

    [Fact]
    public async Task ExpiredKeystoneToken_401()
    {
        _cloud.AddUserToken("gAAAAA-old", "tenant-a", ["member"], DateTimeOffset.UtcNow.AddMinutes(-1));

        await OpenStackDoctor.ProblemAsync(await _doctor.GetAsync("/v1/servers", "gAAAAA-old", openStackHeader: true), 401);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(0)]
    public async Task KeystoneDown_TheCallerGets503ProblemNot500(int status)
    {
        _cloud.Intercept = async (context, call) =>
        {
            if (call.Method != "GET" || !call.Path.EndsWith("/auth/tokens", StringComparison.Ordinal))
                return false;
            if (status == 0)
            {
                context.Abort(); // the connection drops
                return true;
            }

            await FakeCloud.WriteAsync(context, status, new JsonObject { ["error"] = new JsonObject { ["code"] = status } });
            return true;
        };

        var problem = await OpenStackDoctor.ProblemAsync(await _doctor.GetAsync("/v1/servers", "gAAAAA-any", openStackHeader: true), 503);

        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("identity service", detail);
        Assert.DoesNotContain("127.0.0.1", detail); // where Keystone is, and what it said, is the operator's (log), not an anonymous caller's
        // Doctor's own tokens do not depend on Keystone.
        await OpenStackDoctor.JsonAsync(await _doctor.GetAsync("/v1/servers"), 200);
    }

    [Fact]
    public async Task DoctorTokens_NeverSentToKeystone()
    {
        _cloud.ClearCalls();

        await OpenStackDoctor.JsonAsync(await _doctor.GetAsync("/v1/servers"), 200);

        Assert.Empty(_cloud.CallsTo("GET", "/auth/tokens"));
    }
}

/// <summary>OpenStack mode with other settings and another cloud: reset-state on, no data-plane-status extension.</summary>
public sealed class OpenStackModeSettingsTests
{
    private static async Task<FakeCloud> CloudAsync()
    {
        var cloud = await FakeCloud.StartAsync();
        cloud.AddCompute("compute-1", "svc-1");
        cloud.AddServer("vm-a1", "tenant-a", "compute-1");
        cloud.AddServer("vm-a2", "tenant-a", "compute-1", status: "SHUTOFF");
        cloud.AddPort("port-a1", "vm-a1", "tenant-a", "compute-1", dataPlane: "ACTIVE");
        return cloud;
    }

    [Fact]
    public async Task ResetServerStateOn_ActiveServerResetToErrorAndBackShutOffOneLeftAlone()
    {
        await using var cloud = await CloudAsync();
        cloud.Intercept = (_, call) =>
        {
            // Nova does what it is told: the fake's server status follows the reset.
            if (call.Method == "POST" && call.Json?["os-resetState"]?["state"]?.GetValue<string>() is { } state)
                cloud.Servers.First(s => call.Path.Contains("/" + (string)s["id"]! + "/", StringComparison.Ordinal))["status"] = state.ToUpperInvariant();
            return Task.FromResult(false);
        };
        await using var doctor = await OpenStackDoctor.StartAsync(cloud, o => o.ResetServerState = true);

        await doctor.EventAsync("compute.host.down", ("hostname", "compute-1"));
        await Eventually.TrueAsync(() => cloud.CallsTo("POST", "/action").Count == 1, "vm-a1 reset to error");
        await doctor.Actions.WhenIdleAsync();
        await doctor.EventAsync("compute.host.up", ("hostname", "compute-1"));
        await Eventually.TrueAsync(() => cloud.CallsTo("POST", "/action").Count == 2, "vm-a1 reset to active");
        await doctor.Actions.WhenIdleAsync();

        Assert.All(cloud.CallsTo("POST", "/action"), c => Assert.Contains("/vm-a1/", c.Path));
        Assert.Equal(["error", "active"], cloud.CallsTo("POST", "/action").Select(c => c.Json!["os-resetState"]!["state"]!.GetValue<string>()));
        Assert.Equal(("ACTIVE", "SHUTOFF"), ((string?)cloud.Servers[0]["status"], (string?)cloud.Servers[1]["status"]));
    }

    [Fact]
    public async Task NeutronWithoutDataPlaneStatus_NoPortCallsAndTheStatusSaysSo()
    {
        await using var cloud = await CloudAsync();
        cloud.DataPlaneExtension = false;
        await using var doctor = await OpenStackDoctor.StartAsync(cloud);

        await doctor.EventAsync("compute.host.down", ("hostname", "compute-1"));
        await Eventually.TrueAsync(() => cloud.CallsTo("PUT", "/os-services/svc-1").Count == 1, "the force-down");
        await doctor.Actions.WhenIdleAsync();

        Assert.Empty(cloud.CallsTo("PUT", "/v2.0/ports/"));
        Assert.False((await doctor.GetJsonAsync("/v1/openstack")).GetProperty("actions").GetProperty("data_plane_status_supported").GetBoolean());
    }

    [Fact]
    public async Task ForceDownOff_NoNovaServiceCalls()
    {
        await using var cloud = await CloudAsync();
        await using var doctor = await OpenStackDoctor.StartAsync(cloud, o => o.ForceDown = false);

        await doctor.EventAsync("compute.host.down", ("hostname", "compute-1"));
        await Eventually.TrueAsync(() => cloud.CallsTo("PUT", "/v2.0/ports/port-a1").Count == 1, "the data plane call");
        await doctor.Actions.WhenIdleAsync();

        Assert.Empty(cloud.CallsTo("PUT", "/os-services/"));
        Assert.True((await doctor.GetJsonAsync("/v1/hosts/compute-1")).GetProperty("forced_down").GetBoolean()); // Doctor's own map still says so
    }
}
