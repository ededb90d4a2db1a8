using System.Text.Json;
using Doctor.Server.Tests.Infrastructure;

namespace Doctor.Server.Tests.Inventory;

/// <summary><c>/v1/hosts</c> (SPEC §2): admin CRUD, filters, paging, validation.</summary>
public sealed class HostEndpointsTests : ApiTest
{
    [Fact]
    public async Task Put_NewHost_Returns201WithAllFields()
    {
        var response = await Doctor.PutAsync("/v1/hosts/compute-new", new
        {
            zone = "zone-c", status = "enabled", state = "up", firmware_version = "fw-1.2", hypervisor_version = "kvm-8",
            metadata = new Dictionary<string, string> { ["rack"] = "r12" },
        });
        var host = await DoctorHost.JsonAsync(response, 201);

        Assert.Equal("/v1/hosts/compute-new", response.Headers.Location?.ToString());
        Assert.Equal("compute-new", host.GetProperty("name").GetString());
        Assert.Equal("zone-c", host.GetProperty("zone").GetString());
        Assert.Equal("enabled", host.GetProperty("status").GetString());
        Assert.Equal("up", host.GetProperty("state").GetString());
        Assert.False(host.GetProperty("forced_down").GetBoolean());
        Assert.Equal(JsonValueKind.Null, host.GetProperty("maintenance").ValueKind);
        Assert.Equal("UP", host.GetProperty("host_status").GetString());
        Assert.Equal("fw-1.2", host.GetProperty("firmware_version").GetString());
        Assert.Equal("kvm-8", host.GetProperty("hypervisor_version").GetString());
        Assert.Equal("r12", host.GetProperty("metadata").GetProperty("rack").GetString());
        Assert.EndsWith("Z", host.GetProperty("updated_at").GetString());

        var read = await Doctor.GetJsonAsync("/v1/hosts/compute-new");
        Assert.Equal(host.ToString(), read.ToString());
    }

    [Fact]
    public async Task Put_ExistingHost_Returns200AndReplaces()
    {
        await DoctorHost.JsonAsync(await Doctor.PutAsync("/v1/hosts/h1", new { zone = "zone-a", metadata = new { rack = "r1" } }), 201);

        var replaced = await DoctorHost.JsonAsync(await Doctor.PutAsync("/v1/hosts/h1", new { zone = "zone-b", status = "disabled" }), 200);

        Assert.Equal("zone-b", replaced.GetProperty("zone").GetString());
        Assert.Equal("disabled", replaced.GetProperty("status").GetString());
        Assert.Equal("MAINTENANCE", replaced.GetProperty("host_status").GetString());
        Assert.Empty(replaced.GetProperty("metadata").EnumerateObject());
        var list = await Doctor.GetJsonAsync("/v1/hosts");
        Assert.Single(list.GetProperty("hosts").EnumerateArray());
    }

    [Fact]
    public async Task Get_UnknownHost_Returns404()
    {
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/hosts/compute-nowhere"), 404);
    }

    [Fact]
    public async Task Delete_EmptyHost_Returns204ThenGet404()
    {
        await SeedCloudAsync();
        Assert.Equal(204, (int)(await Doctor.DeleteAsync($"/v1/hosts/{Cloud.Host3}")).StatusCode);
        await Problem.AssertAsync(await Doctor.GetAsync($"/v1/hosts/{Cloud.Host3}"), 404);
        await Problem.AssertAsync(await Doctor.DeleteAsync($"/v1/hosts/{Cloud.Host3}"), 404);
    }

    [Fact]
    public async Task Delete_HostWithServers_Returns409AndKeepsIt()
    {
        await SeedCloudAsync();
        var body = await Problem.AssertAsync(await Doctor.DeleteAsync($"/v1/hosts/{Cloud.Host1}"), 409);
        Assert.Contains("server", body.GetProperty("detail").GetString());
        await Doctor.GetJsonAsync($"/v1/hosts/{Cloud.Host1}");
        var servers = await Doctor.GetJsonAsync($"/v1/servers?host={Cloud.Host1}");
        Assert.Equal(3, servers.GetProperty("servers").GetArrayLength());
    }

    [Fact]
    public async Task List_FilteredByZoneAndState_ReturnsMatchesOnly()
    {
        await SeedCloudAsync();
        await DoctorHost.JsonAsync(await Doctor.PostAsync($"/v1/hosts/{Cloud.Host3}/state", new { forced_down = true }), 200);

        var zoneA = await Doctor.GetJsonAsync("/v1/hosts?zone=zone-a");
        Assert.Equal([Cloud.Host1, Cloud.Host3], Ids(zoneA.GetProperty("hosts"), "name"));

        var down = await Doctor.GetJsonAsync("/v1/hosts?state=down");
        Assert.Equal([Cloud.Host3], Ids(down.GetProperty("hosts"), "name"));

        var upInA = await Doctor.GetJsonAsync("/v1/hosts?state=up&zone=zone-a");
        Assert.Equal([Cloud.Host1], Ids(upInA.GetProperty("hosts"), "name"));

        var none = await Doctor.GetJsonAsync("/v1/hosts?zone=zone-z");
        Assert.Empty(none.GetProperty("hosts").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, none.GetProperty("next").ValueKind);
    }

    [Fact]
    public async Task List_WithLimit_PagesWithMarkerInStableOrder()
    {
        await SeedCloudAsync();

        var first = await Doctor.GetJsonAsync("/v1/hosts?limit=2");
        Assert.Equal([Cloud.Host1, Cloud.Host2], Ids(first.GetProperty("hosts"), "name"));
        var next = first.GetProperty("next").GetString();
        Assert.NotNull(next);

        var second = await Doctor.GetJsonAsync($"/v1/hosts?limit=2&marker={next}");
        Assert.Equal([Cloud.Host3], Ids(second.GetProperty("hosts"), "name"));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next").ValueKind);

        var exact = await Doctor.GetJsonAsync("/v1/hosts?limit=3");
        Assert.Equal(3, exact.GetProperty("hosts").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, exact.GetProperty("next").ValueKind);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("limit=-1", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("state=sideways", "state")]
    [InlineData("maintenance=maybe", "maintenance")]
    public async Task List_InvalidQuery_Returns400NamingParameter(string query, string field)
    {
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/hosts?" + query), 400, field);
    }

    [Fact]
    public async Task List_Limit1000_IsAccepted()
    {
        await SeedCloudAsync();
        var all = await Doctor.GetJsonAsync("/v1/hosts?limit=1000");
        Assert.Equal(3, all.GetProperty("hosts").GetArrayLength());
    }

    [Theory]
    [InlineData("""{"zone": 5}""", "zone")]
    [InlineData("""{"zone": ""}""", "zone")]
    [InlineData("""{"state": "sideways"}""", "state")]
    [InlineData("""{"status": "on"}""", "status")]
    [InlineData("""{"forced_down": "yes"}""", "forced_down")]
    [InlineData("""{"name": ""}""", "name")]
    [InlineData("""{"name": "other-host"}""", "name")]
    [InlineData("""{"metadata": {"rack": 12}}""", "metadata")]
    [InlineData("""{"metadata": ["rack"]}""", "metadata")]
    [InlineData("""{"zone": "zone-a",}""", "body")]
    [InlineData("""not json""", "body")]
    [InlineData("""[]""", "body")]
    [InlineData("""null""", "body")]
    public async Task Put_InvalidInput_Returns400NamingFieldAndChangesNothing(string body, string field)
    {
        await SeedCloudAsync();
        var before = (await Doctor.GetJsonAsync($"/v1/hosts/{Cloud.Host1}")).ToString();

        await Problem.AssertAsync(await Doctor.PutAsync($"/v1/hosts/{Cloud.Host1}", body), 400, field);

        Assert.Equal(before, (await Doctor.GetJsonAsync($"/v1/hosts/{Cloud.Host1}")).ToString());
        Assert.Equal(3, (await Doctor.GetJsonAsync("/v1/hosts")).GetProperty("hosts").GetArrayLength());
    }

    [Fact]
    public async Task Put_NameOf256Characters_Returns400NamingName()
    {
        var name = new string('h', 256);
        await Problem.AssertAsync(await Doctor.PutAsync($"/v1/hosts/{name}", new { zone = "zone-a" }), 400, "name");
        Assert.Empty((await Doctor.GetJsonAsync("/v1/hosts")).GetProperty("hosts").EnumerateArray());

        var longest = new string('h', 255);
        await DoctorHost.JsonAsync(await Doctor.PutAsync($"/v1/hosts/{longest}", new { zone = "zone-a" }), 201);
    }

    [Fact]
    public async Task Put_DeeplyNestedJson_Returns400()
    {
        var nested = new string('[', 40) + new string(']', 40);
        var body = "{\"zone\": \"zone-a\", \"metadata\": {\"k\": " + nested + "}}";
        await Problem.AssertAsync(await Doctor.PutAsync("/v1/hosts/h1", body), 400);
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/hosts/h1"), 404);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/xml")]
    public async Task Put_NonJsonContentType_Returns415(string contentType)
    {
        var response = await Doctor.SendAsync(HttpMethod.Put, "/v1/hosts/h1", Admin, """{"zone": "zone-a"}""", contentType);
        await Problem.AssertAsync(response, 415);
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/hosts/h1"), 404);
    }

    [Fact]
    public async Task Put_WithoutBody_Returns400Or415()
    {
        var response = await Doctor.SendAsync(HttpMethod.Put, "/v1/hosts/h1", Admin);
        Assert.Contains((int)response.StatusCode, new[] { 400, 415 });
        await Problem.AssertAsync(response, (int)response.StatusCode);
    }

    [Fact]
    public async Task Put_BodyOver4MiB_Returns413()
    {
        var body = "{\"zone\": \"zone-a\", \"firmware_version\": \"" + new string('x', 4 * 1024 * 1024) + "\"}";
        await Problem.AssertAsync(await Doctor.PutAsync("/v1/hosts/h1", body), 413);
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/hosts/h1"), 404);
    }

    [Fact]
    public async Task ChangeState_ForcedDown_TakesHostAndItsServersDown()
    {
        await SeedCloudAsync();

        var host = await DoctorHost.JsonAsync(await Doctor.PostAsync($"/v1/hosts/{Cloud.Host1}/state", new { forced_down = true, reason = "test" }), 200);

        Assert.Equal(Cloud.Host1, host.GetProperty("name").GetString());
        Assert.Equal("down", host.GetProperty("state").GetString());
        Assert.True(host.GetProperty("forced_down").GetBoolean());
        Assert.Equal("DOWN", host.GetProperty("host_status").GetString());
        foreach (var id in new[] { "vm-a1", "vm-a2", "vm-b1" })
        {
            var server = await Doctor.GetJsonAsync($"/v1/servers/{id}");
            Assert.Equal("error", server.GetProperty("state").GetString());
            Assert.Equal("DOWN", server.GetProperty("host_status").GetString());
        }

        foreach (var id in new[] { "port-a1", "port-a2", "port-b1" })
            Assert.Equal("DOWN", (await Doctor.GetJsonAsync($"/v1/ports/{id}")).GetProperty("data_plane_status").GetString());

        var elsewhere = await Doctor.GetJsonAsync("/v1/servers/vm-a3");
        Assert.Equal("normal", elsewhere.GetProperty("state").GetString());
        Assert.Equal("UP", elsewhere.GetProperty("host_status").GetString());
        Assert.Equal("ACTIVE", (await Doctor.GetJsonAsync("/v1/ports/port-a3")).GetProperty("data_plane_status").GetString());

        var listed = await Doctor.GetJsonAsync("/v1/servers?state=error");
        Assert.Equal(["vm-a1", "vm-a2", "vm-b1"], Ids(listed.GetProperty("servers")));
    }

    [Fact]
    public async Task ChangeState_ForcedDownFalse_RestoresHostAndServers()
    {
        await SeedCloudAsync();
        await DoctorHost.JsonAsync(await Doctor.PostAsync($"/v1/hosts/{Cloud.Host1}/state", new { forced_down = true }), 200);

        var host = await DoctorHost.JsonAsync(await Doctor.PostAsync($"/v1/hosts/{Cloud.Host1}/state", new { forced_down = false }), 200);

        Assert.Equal("up", host.GetProperty("state").GetString());
        Assert.False(host.GetProperty("forced_down").GetBoolean());
        Assert.Equal("UP", host.GetProperty("host_status").GetString());
        foreach (var id in new[] { "vm-a1", "vm-a2", "vm-b1" })
        {
            var server = await Doctor.GetJsonAsync($"/v1/servers/{id}");
            Assert.Equal("normal", server.GetProperty("state").GetString());
            Assert.Equal("UP", server.GetProperty("host_status").GetString());
        }

        Assert.Equal("ACTIVE", (await Doctor.GetJsonAsync("/v1/ports/port-a1")).GetProperty("data_plane_status").GetString());
        Assert.Empty((await Doctor.GetJsonAsync("/v1/faults")).GetProperty("faults").EnumerateArray());
    }

    [Fact]
    public async Task ChangeState_ForcedDown_RaisesComputeHostDownFault()
    {
        await SeedCloudAsync();
        await DoctorHost.JsonAsync(await Doctor.PostAsync($"/v1/hosts/{Cloud.Host1}/state", new { forced_down = true, reason = "bad DIMM" }), 200);

        // Same effects as a compute.host.down fault: the same fault type, so filters such as "compute.host.*" match it.
        var faults = (await Doctor.GetJsonAsync("/v1/faults")).GetProperty("faults").EnumerateArray().ToList();
        Assert.Equal(7, faults.Count);
        Assert.All(faults, f => Assert.Equal("compute.host.down", f.GetProperty("fault_type").GetString()));
        var root = Assert.Single(faults, f => f.GetProperty("is_root_cause").GetBoolean());
        Assert.Equal(Cloud.Host1, root.GetProperty("resource_id").GetString());
        Assert.Equal("critical", root.GetProperty("severity").GetString());
        Assert.Equal(7, (await Doctor.GetJsonAsync("/v1/faults?fault_type=compute.host.*")).GetProperty("faults").GetArrayLength());
    }

    [Fact]
    public async Task ChangeState_ForcedDown_IsNotLiftedByMonitorHostUp()
    {
        await SeedCloudAsync();
        await DoctorHost.JsonAsync(await Doctor.PostAsync($"/v1/hosts/{Cloud.Host1}/state", new { forced_down = true }), 200);

        var up = await Doctor.PostEventAndWaitAsync("compute.host.up", new { hostname = Cloud.Host1 });

        Assert.Equal("ignored", up.GetProperty("status").GetString());
        Assert.Equal("down", (await Doctor.GetJsonAsync($"/v1/hosts/{Cloud.Host1}")).GetProperty("state").GetString());
        Assert.Equal("error", (await Doctor.GetJsonAsync("/v1/servers/vm-a1")).GetProperty("state").GetString());
        Assert.Equal(7, (await Doctor.GetJsonAsync("/v1/faults")).GetProperty("faults").GetArrayLength());
    }

    [Fact]
    public async Task ChangeState_ForcedDownThenMonitorHostDown_IsCorrelatedToAdminFault()
    {
        await SeedCloudAsync();
        await DoctorHost.JsonAsync(await Doctor.PostAsync($"/v1/hosts/{Cloud.Host1}/state", new { forced_down = true }), 200);
        var rootId = (await Doctor.GetJsonAsync("/v1/faults?resource_type=host")).GetProperty("faults")[0].GetProperty("fault_id").GetString();

        var down = await Doctor.PostEventAndWaitAsync("compute.host.down", new { hostname = Cloud.Host1 });

        Assert.Equal("processed", down.GetProperty("status").GetString());
        Assert.Equal([rootId], down.GetProperty("fault_ids").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(7, (await Doctor.GetJsonAsync("/v1/faults")).GetProperty("faults").GetArrayLength());
    }

    [Fact]
    public async Task ChangeState_ForcedDownOverMonitorFault_IsNotLiftedByMonitorHostUp()
    {
        await SeedCloudAsync();
        await Doctor.PostEventAndWaitAsync("compute.host.down", new { hostname = Cloud.Host1 });
        await DoctorHost.JsonAsync(await Doctor.PostAsync($"/v1/hosts/{Cloud.Host1}/state", new { forced_down = true, reason = "keep it down" }), 200);

        var up = await Doctor.PostEventAndWaitAsync("compute.host.up", new { hostname = Cloud.Host1 });

        Assert.Equal("processed", up.GetProperty("status").GetString()); // the monitor's own fault clears
        var host = await Doctor.GetJsonAsync($"/v1/hosts/{Cloud.Host1}");
        Assert.Equal("down", host.GetProperty("state").GetString());
        Assert.True(host.GetProperty("forced_down").GetBoolean());
        Assert.Equal("error", (await Doctor.GetJsonAsync("/v1/servers/vm-a1")).GetProperty("state").GetString());
        Assert.Equal(1, (await Doctor.GetJsonAsync("/v1/faults?resource_type=host")).GetProperty("faults").GetArrayLength());
    }

    [Fact]
    public async Task ChangeState_ForcedDownOverMonitorFault_LiftedByAdminRestoresEverything()
    {
        await SeedCloudAsync();
        await Doctor.PostEventAndWaitAsync("compute.host.down", new { hostname = Cloud.Host1 });
        await DoctorHost.JsonAsync(await Doctor.PostAsync($"/v1/hosts/{Cloud.Host1}/state", new { forced_down = true }), 200);
        await Doctor.PostEventAndWaitAsync("compute.host.up", new { hostname = Cloud.Host1 });

        var host = await DoctorHost.JsonAsync(await Doctor.PostAsync($"/v1/hosts/{Cloud.Host1}/state", new { forced_down = false }), 200);

        Assert.Equal("up", host.GetProperty("state").GetString());
        Assert.False(host.GetProperty("forced_down").GetBoolean());
        Assert.Equal("normal", (await Doctor.GetJsonAsync("/v1/servers/vm-a1")).GetProperty("state").GetString());
        Assert.Equal("ACTIVE", (await Doctor.GetJsonAsync("/v1/ports/port-a1")).GetProperty("data_plane_status").GetString());
        Assert.Empty((await Doctor.GetJsonAsync("/v1/faults")).GetProperty("faults").EnumerateArray());
    }

    [Fact]
    public async Task ChangeState_Disabled_ShowsMaintenanceHostStatus()
    {
        await SeedCloudAsync();
        var host = await DoctorHost.JsonAsync(await Doctor.PostAsync($"/v1/hosts/{Cloud.Host2}/state", new { status = "disabled" }), 200);

        Assert.Equal("disabled", host.GetProperty("status").GetString());
        Assert.Equal("up", host.GetProperty("state").GetString());
        Assert.Equal("MAINTENANCE", host.GetProperty("host_status").GetString());
        Assert.Equal("MAINTENANCE", (await Doctor.GetJsonAsync("/v1/servers/vm-a3")).GetProperty("host_status").GetString());
    }

    [Fact]
    public async Task ChangeState_UnknownHost_Returns404()
    {
        await Problem.AssertAsync(await Doctor.PostAsync("/v1/hosts/compute-nowhere/state", new { forced_down = true }), 404);
    }

    [Theory]
    [InlineData("""{}""", "forced_down")]
    [InlineData("""{"forced_down": "yes"}""", "forced_down")]
    [InlineData("""{"status": "sleeping"}""", "status")]
    public async Task ChangeState_InvalidBody_Returns400AndChangesNothing(string body, string field)
    {
        await SeedCloudAsync();
        var before = (await Doctor.GetJsonAsync($"/v1/hosts/{Cloud.Host1}")).ToString();
        await Problem.AssertAsync(await Doctor.PostAsync($"/v1/hosts/{Cloud.Host1}/state", body), 400, field);
        Assert.Equal(before, (await Doctor.GetJsonAsync($"/v1/hosts/{Cloud.Host1}")).ToString());
    }
}
