using System.Text.Json;
using Doctor.Server.Tests.Infrastructure;

namespace Doctor.Server.Tests.Inventory;

/// <summary><c>/v1/servers</c> (SPEC §2): admins manage, a project caller reads its own without the host name.</summary>
public sealed class ServerEndpointsTests : ApiTest
{
    [Fact]
    public async Task Put_NewServer_Returns201ThenReplaceReturns200()
    {
        await SeedCloudAsync();
        var response = await Doctor.PutAsync("/v1/servers/vm-new", new { name = "fresh", project_id = Cloud.Alpha, host = Cloud.Host3, group_id = "grp-9" });
        var created = await DoctorHost.JsonAsync(response, 201);
        Assert.Equal("/v1/servers/vm-new", response.Headers.Location?.ToString());
        Assert.Equal("vm-new", created.GetProperty("id").GetString());
        Assert.Equal("fresh", created.GetProperty("name").GetString());
        Assert.Equal(Cloud.Alpha, created.GetProperty("project_id").GetString());
        Assert.Equal(Cloud.Host3, created.GetProperty("host").GetString());
        Assert.Equal("normal", created.GetProperty("state").GetString());
        Assert.Equal("UP", created.GetProperty("host_status").GetString());
        Assert.Equal("grp-9", created.GetProperty("group_id").GetString());

        var replaced = await DoctorHost.JsonAsync(await Doctor.PutAsync("/v1/servers/vm-new", new { project_id = Cloud.Alpha, host = Cloud.Host2, state = "down" }), 200);
        Assert.Equal(Cloud.Host2, replaced.GetProperty("host").GetString());
        Assert.Equal("down", replaced.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, replaced.GetProperty("group_id").ValueKind);
        Assert.Equal(replaced.ToString(), (await Doctor.GetJsonAsync("/v1/servers/vm-new")).ToString());
    }

    [Fact]
    public async Task Get_AsAdmin_ShowsHostAndHostId()
    {
        await SeedCloudAsync();
        var server = await Doctor.GetJsonAsync("/v1/servers/vm-a1");

        Assert.Equal(Cloud.Host1, server.GetProperty("host").GetString());
        Assert.Equal(Cloud.AlphaHost1Id, server.GetProperty("host_id").GetString());
        Assert.Equal("alpha-act", server.GetProperty("name").GetString());
        Assert.Equal("grp-alpha", server.GetProperty("group_id").GetString());
        Assert.Equal("UP", server.GetProperty("host_status").GetString());
        Assert.EndsWith("Z", server.GetProperty("updated_at").GetString());
    }

    [Fact]
    public async Task Get_AsProjectOwnServer_HidesHostShowsHostId()
    {
        await SeedCloudAsync();
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        var beta = await Doctor.CreateTokenAsync("project", Cloud.Beta);

        var response = await Doctor.GetAsync("/v1/servers/vm-a1", alpha);
        var text = await response.Content.ReadAsStringAsync();
        var server = await DoctorHost.JsonAsync(response, 200);
        Assert.False(server.TryGetProperty("host", out _), "a tenant sees the host field");
        Assert.DoesNotContain(Cloud.Host1, text);
        Assert.Equal(Cloud.AlphaHost1Id, server.GetProperty("host_id").GetString());

        // The same host looks different to another project (host_id is per project).
        var theirs = await Doctor.GetJsonAsync("/v1/servers/vm-b1", beta);
        Assert.Equal(Cloud.BetaHost1Id, theirs.GetProperty("host_id").GetString());
    }

    [Theory]
    [InlineData("vm-b1")]   // another project's
    [InlineData("vm-x1")]   // no project: admins only
    [InlineData("vm-none")] // unknown
    public async Task Get_AsProjectNotItsServer_Returns404(string id)
    {
        await SeedCloudAsync();
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        var body = await Problem.AssertAsync(await Doctor.GetAsync($"/v1/servers/{id}", alpha), 404);
        Assert.DoesNotContain(Cloud.Beta, body.ToString());
    }

    [Fact]
    public async Task List_AsProject_ShowsOnlyItsServersWithoutHost()
    {
        await SeedCloudAsync();
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);

        var response = await Doctor.GetAsync("/v1/servers", alpha);
        var text = await response.Content.ReadAsStringAsync();
        var list = await DoctorHost.JsonAsync(response, 200);

        var servers = list.GetProperty("servers").EnumerateArray().ToList();
        Assert.Equal(["vm-a1", "vm-a2", "vm-a3"], servers.Select(s => s.GetProperty("id").GetString()));
        Assert.All(servers, s => Assert.False(s.TryGetProperty("host", out _)));
        Assert.All(servers, s => Assert.Equal(Cloud.Alpha, s.GetProperty("project_id").GetString()));
        Assert.Equal(Cloud.AlphaHost1Id, servers[0].GetProperty("host_id").GetString());
        Assert.Equal(Cloud.AlphaHost2Id, servers[2].GetProperty("host_id").GetString());
        Assert.DoesNotContain("compute-zulu", text);
    }

    [Fact]
    public async Task List_AsProjectFilteringOtherProject_ReturnsNothing()
    {
        await SeedCloudAsync();
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        var list = await Doctor.GetJsonAsync($"/v1/servers?project_id={Cloud.Beta}", alpha);
        Assert.Empty(list.GetProperty("servers").EnumerateArray());

        var own = await Doctor.GetJsonAsync($"/v1/servers?project_id={Cloud.Alpha}&state=normal", alpha);
        Assert.Equal(3, own.GetProperty("servers").GetArrayLength());
    }

    [Fact]
    public async Task List_AsProjectByHost_Returns400()
    {
        await SeedCloudAsync();
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        await Problem.AssertAsync(await Doctor.GetAsync($"/v1/servers?host={Cloud.Host1}", alpha), 400, "host");
    }

    [Fact]
    public async Task List_AsProjectWithoutServers_ReturnsEmptyList()
    {
        await SeedCloudAsync();
        var gamma = await Doctor.CreateTokenAsync("project", "proj-gamma");
        var list = await Doctor.GetJsonAsync("/v1/servers", gamma);
        Assert.Empty(list.GetProperty("servers").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, list.GetProperty("next").ValueKind);
    }

    [Fact]
    public async Task List_AsAdminWithFilters_ReturnsMatches()
    {
        await SeedCloudAsync();
        await Doctor.PutAsync("/v1/servers/vm-a2", new { project_id = Cloud.Alpha, host = Cloud.Host1, state = "error" });

        Assert.Equal(["vm-a1", "vm-a2", "vm-a3", "vm-b1", "vm-x1"],
            Ids((await Doctor.GetJsonAsync("/v1/servers")).GetProperty("servers")));
        Assert.Equal(["vm-a1", "vm-a2", "vm-b1"], Ids((await Doctor.GetJsonAsync($"/v1/servers?host={Cloud.Host1}")).GetProperty("servers")));
        Assert.Equal(["vm-a1", "vm-a2", "vm-a3"], Ids((await Doctor.GetJsonAsync($"/v1/servers?project_id={Cloud.Alpha}")).GetProperty("servers")));
        Assert.Equal(["vm-a2"], Ids((await Doctor.GetJsonAsync("/v1/servers?state=error")).GetProperty("servers")));
        Assert.Equal(["vm-a1"], Ids((await Doctor.GetJsonAsync($"/v1/servers?host={Cloud.Host1}&project_id={Cloud.Alpha}&state=normal")).GetProperty("servers")));
        Assert.Empty((await Doctor.GetJsonAsync($"/v1/servers?host={Cloud.Host3}")).GetProperty("servers").EnumerateArray());
    }

    [Fact]
    public async Task List_WithLimit_PagesThroughEveryServerOnce()
    {
        await SeedCloudAsync();
        var seen = new List<string>();
        string? marker = null;
        var pages = 0;
        do
        {
            var page = await Doctor.GetJsonAsync("/v1/servers?limit=2" + (marker is null ? "" : "&marker=" + marker));
            var ids = Ids(page.GetProperty("servers"));
            Assert.InRange(ids.Count, 1, 2);
            seen.AddRange(ids);
            marker = page.GetProperty("next").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next").GetString();
            pages++;
        }
        while (marker is not null && pages < 10);

        Assert.Equal(3, pages);
        Assert.Equal(["vm-a1", "vm-a2", "vm-a3", "vm-b1", "vm-x1"], seen);
    }

    [Fact]
    public async Task List_AsProjectWithLimit_PagesWithinItsProject()
    {
        await SeedCloudAsync();
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        var first = await Doctor.GetJsonAsync("/v1/servers?limit=2", alpha);
        Assert.Equal(["vm-a1", "vm-a2"], Ids(first.GetProperty("servers")));
        var second = await Doctor.GetJsonAsync($"/v1/servers?limit=2&marker={first.GetProperty("next").GetString()}", alpha);
        Assert.Equal(["vm-a3"], Ids(second.GetProperty("servers")));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next").ValueKind);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("state=exploded", "state")]
    [InlineData("project_id=", null)]
    public async Task List_InvalidQuery_Returns400NamingParameter(string query, string? field)
    {
        await SeedCloudAsync();
        var response = await Doctor.GetAsync("/v1/servers?" + query);
        if (field is null)
        {
            // An empty filter is no filter.
            await DoctorHost.JsonAsync(response, 200);
            return;
        }

        await Problem.AssertAsync(response, 400, field);
    }

    [Theory]
    [InlineData("""{"state": "exploded"}""", "state")]
    [InlineData("""{"project_id": 7}""", "project_id")]
    [InlineData("""{"project_id": ""}""", "project_id")]
    [InlineData("""{"host": ["compute-zulu-1"]}""", "host")]
    [InlineData("""{"id": ""}""", "id")]
    [InlineData("""{"id": "vm-other"}""", "id")]
    [InlineData("""{"group_id": true}""", "group_id")]
    [InlineData("""{"metadata": {"k": null}}""", "metadata")]
    public async Task Put_InvalidInput_Returns400NamingFieldAndChangesNothing(string body, string field)
    {
        await SeedCloudAsync();
        var before = (await Doctor.GetJsonAsync("/v1/servers/vm-a1")).ToString();

        await Problem.AssertAsync(await Doctor.PutAsync("/v1/servers/vm-a1", body), 400, field);

        Assert.Equal(before, (await Doctor.GetJsonAsync("/v1/servers/vm-a1")).ToString());
    }

    [Fact]
    public async Task Put_LongValues_Returns400NamingField()
    {
        await Problem.AssertAsync(await Doctor.PutAsync("/v1/servers/" + new string('v', 256), new { project_id = Cloud.Alpha }), 400, "id");
        await Problem.AssertAsync(await Doctor.PutAsync("/v1/servers/vm-1", new { project_id = new string('p', 256) }), 400, "project_id");
        await Problem.AssertAsync(await Doctor.PutAsync("/v1/servers/vm-1", new { name = new string('n', 256) }), 400, "name");
        await Problem.AssertAsync(await Doctor.PutAsync("/v1/servers/vm-1", new { metadata = new { k = new string('m', 5000) } }), 400, "metadata");
        Assert.Empty((await Doctor.GetJsonAsync("/v1/servers")).GetProperty("servers").EnumerateArray());
    }

    [Fact]
    public async Task Put_Replace_KeepsRuntimeStateItDoesNotName()
    {
        await SeedCloudAsync();
        await DoctorHost.JsonAsync(await Doctor.PostAsync($"/v1/hosts/{Cloud.Host1}/state", new { forced_down = true }), 200);

        // Re-importing the inventory must not wipe what the fault changed.
        var server = await DoctorHost.JsonAsync(await Doctor.PutAsync("/v1/servers/vm-a1", new { name = "renamed", project_id = Cloud.Alpha, host = Cloud.Host1 }), 200);
        var host = await DoctorHost.JsonAsync(await Doctor.PutAsync($"/v1/hosts/{Cloud.Host1}", new { zone = "zone-a", unknown_field = "ignored" }), 200);
        var port = await DoctorHost.JsonAsync(await Doctor.PutAsync("/v1/ports/port-a1", new { server_id = "vm-a1", network_id = "net-1" }), 200);

        Assert.Equal("renamed", server.GetProperty("name").GetString());
        Assert.Equal("error", server.GetProperty("state").GetString());
        Assert.Equal("down", host.GetProperty("state").GetString());
        Assert.True(host.GetProperty("forced_down").GetBoolean());
        Assert.Equal("DOWN", port.GetProperty("data_plane_status").GetString());
    }

    [Fact]
    public async Task Put_NonJson_Returns415()
    {
        await Problem.AssertAsync(await Doctor.SendAsync(HttpMethod.Put, "/v1/servers/vm-1", Admin, "id=vm-1", "text/plain"), 415);
    }

    [Fact]
    public async Task Delete_Server_Returns204Then404()
    {
        await SeedCloudAsync();
        Assert.Equal(204, (int)(await Doctor.DeleteAsync("/v1/servers/vm-x1")).StatusCode);
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/servers/vm-x1"), 404);
        await Problem.AssertAsync(await Doctor.DeleteAsync("/v1/servers/vm-x1"), 404);
    }
}

/// <summary><c>/v1/ports</c> (SPEC §2).</summary>
public sealed class PortEndpointsTests : ApiTest
{
    [Fact]
    public async Task Put_NewPort_Returns201ThenGetShowsIt()
    {
        await SeedCloudAsync();
        var response = await Doctor.PutAsync("/v1/ports/port-new", new
        {
            server_id = "vm-a1", project_id = Cloud.Alpha, host = Cloud.Host1, network_id = "net-9", status = "ACTIVE", data_plane_status = "DOWN",
        });
        var port = await DoctorHost.JsonAsync(response, 201);
        Assert.Equal("port-new", port.GetProperty("id").GetString());
        Assert.Equal("vm-a1", port.GetProperty("server_id").GetString());
        Assert.Equal(Cloud.Host1, port.GetProperty("host").GetString());
        Assert.Equal(Cloud.AlphaHost1Id, port.GetProperty("host_id").GetString());
        Assert.Equal("net-9", port.GetProperty("network_id").GetString());
        Assert.Equal("ACTIVE", port.GetProperty("status").GetString());
        Assert.Equal("DOWN", port.GetProperty("data_plane_status").GetString());

        await DoctorHost.JsonAsync(await Doctor.PutAsync("/v1/ports/port-new", new { server_id = "vm-a1", project_id = Cloud.Alpha }), 200);
    }

    [Fact]
    public async Task Get_AsProject_OwnPortWithoutHostAndForeignPort404()
    {
        await SeedCloudAsync();
        var beta = await Doctor.CreateTokenAsync("project", Cloud.Beta);
        var own = await Doctor.GetJsonAsync("/v1/ports/port-b1", beta);
        Assert.False(own.TryGetProperty("host", out _));
        Assert.Equal(Cloud.BetaHost1Id, own.GetProperty("host_id").GetString());
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/ports/port-a1", beta), 404);

        var list = await Doctor.GetJsonAsync("/v1/ports", beta);
        Assert.Equal(["port-b1"], Ids(list.GetProperty("ports")));
        var foreign = await Doctor.GetJsonAsync("/v1/ports?server_id=vm-a1", beta);
        Assert.Empty(foreign.GetProperty("ports").EnumerateArray());
    }

    [Theory]
    [InlineData("""{"status": "UP"}""", "status")]
    [InlineData("""{"data_plane_status": "BROKEN"}""", "data_plane_status")]
    [InlineData("""{"server_id": 5}""", "server_id")]
    public async Task Put_InvalidInput_Returns400NamingFieldAndChangesNothing(string body, string field)
    {
        await SeedCloudAsync();
        var before = (await Doctor.GetJsonAsync("/v1/ports/port-a1")).ToString();
        await Problem.AssertAsync(await Doctor.PutAsync("/v1/ports/port-a1", body), 400, field);
        Assert.Equal(before, (await Doctor.GetJsonAsync("/v1/ports/port-a1")).ToString());
    }

    [Fact]
    public async Task Put_PortWithoutHostOrProject_TakesThemFromItsServer()
    {
        await SeedCloudAsync();
        var port = await DoctorHost.JsonAsync(await Doctor.PutAsync("/v1/ports/port-a9", new { server_id = "vm-a3", network_id = "net-1" }), 201);

        Assert.Equal(Cloud.Alpha, port.GetProperty("project_id").GetString());
        Assert.Equal(Cloud.Host2, port.GetProperty("host").GetString());
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        Assert.Contains("port-a9", Ids((await Doctor.GetJsonAsync("/v1/ports", alpha)).GetProperty("ports")));
    }

    [Fact]
    public async Task Put_ServerMovedToOtherHost_ItsPortsFollow()
    {
        await SeedCloudAsync();
        await DoctorHost.JsonAsync(await Doctor.PutAsync("/v1/servers/vm-a1", new { project_id = Cloud.Alpha, host = Cloud.Host3 }), 200);

        var port = await Doctor.GetJsonAsync("/v1/ports/port-a1");
        Assert.Equal(Cloud.Host3, port.GetProperty("host").GetString());
        Assert.Equal(["port-a1"], Ids((await Doctor.GetJsonAsync($"/v1/ports?host={Cloud.Host3}")).GetProperty("ports")));
        Assert.DoesNotContain("port-a1", Ids((await Doctor.GetJsonAsync($"/v1/ports?host={Cloud.Host1}")).GetProperty("ports")));
        Assert.Equal(["vm-a1"], Ids((await Doctor.GetJsonAsync($"/v1/servers?host={Cloud.Host3}")).GetProperty("servers")));
    }

    [Fact]
    public async Task Delete_Port_Returns204Then404()
    {
        await SeedCloudAsync();
        Assert.Equal(204, (int)(await Doctor.DeleteAsync("/v1/ports/port-a3")).StatusCode);
        await Problem.AssertAsync(await Doctor.DeleteAsync("/v1/ports/port-a3"), 404);
    }
}

/// <summary>An admin moves a server off a failed host (evacuated it in the cloud and updates the map): it stops carrying
/// that host's failure at once, and its owner is told.</summary>
public sealed class ServerMovedOffFailedHostTests : ApiTest
{
    private async Task<IReadOnlyList<string>> ActiveFaultTypesAsync(string type, string id) =>
        [.. (await Doctor.GetJsonAsync($"/v1/faults?state=active&resource_type={type}&resource_id={id}")).GetProperty("faults")
            .EnumerateArray().Select(f => f.GetProperty("fault_type").GetString()!)];

    [Fact]
    public async Task Put_ServerMovedToAnUpHost_AnswerShowsItRecovered_OwnerTold_HostStaysDown()
    {
        await SeedCloudAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        await Doctor.PostAsync("/v1/subscriptions", new { callback_url = receiver.Url("alpha"), project_id = Cloud.Alpha });
        await Doctor.PostEventAndWaitAsync("compute.host.down", new { hostname = Cloud.Host1 });
        await receiver.WaitForAsync("alpha", 1);

        var moved = await DoctorHost.JsonAsync(await Doctor.PutAsync("/v1/servers/vm-a1", new { project_id = Cloud.Alpha, host = Cloud.Host3 }), 200);

        Assert.Equal(("normal", "UP"), (moved.GetProperty("state").GetString(), moved.GetProperty("host_status").GetString()));
        Assert.Empty(await ActiveFaultTypesAsync("server", "vm-a1"));
        Assert.Empty(await ActiveFaultTypesAsync("port", "port-a1"));
        Assert.Equal("ACTIVE", (await Doctor.GetJsonAsync("/v1/ports/port-a1")).GetProperty("data_plane_status").GetString());
        Assert.Equal("error", (await Doctor.GetJsonAsync("/v1/servers/vm-a2")).GetProperty("state").GetString());
        Assert.Equal("down", (await Doctor.GetJsonAsync($"/v1/hosts/{Cloud.Host1}")).GetProperty("state").GetString());

        var told = JsonDocument.Parse((await receiver.WaitForAsync("alpha", 2))[1].Body).RootElement;
        Assert.Equal("fault_cleared", told.GetProperty("notification_type").GetString());
        Assert.Equal(["port-a1", "vm-a1"], told.GetProperty("resources").EnumerateArray().Select(r => r.GetProperty("resource_id").GetString()!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Put_ServerMovedToAnotherDownHost_StaysInError()
    {
        await SeedCloudAsync();
        await Doctor.PostEventAndWaitAsync("compute.host.down", new { hostname = Cloud.Host1 });
        await Doctor.PostEventAndWaitAsync("compute.host.down", new { hostname = Cloud.Host2 });

        var moved = await DoctorHost.JsonAsync(await Doctor.PutAsync("/v1/servers/vm-a1", new { project_id = Cloud.Alpha, host = Cloud.Host2 }), 200);

        Assert.Equal("error", moved.GetProperty("state").GetString());
        Assert.Equal(["compute.host.down"], await ActiveFaultTypesAsync("server", "vm-a1"));
    }

    [Fact]
    public async Task Import_MovingServersOffTheFailedHost_ClearsThem()
    {
        await SeedCloudAsync();
        await Doctor.PostEventAndWaitAsync("compute.host.down", new { hostname = Cloud.Host1 });

        await Doctor.ImportAsync($$"""{"servers": [{"id": "vm-a2", "project_id": "{{Cloud.Alpha}}", "host": "{{Cloud.Host2}}"}]}""");

        Assert.Equal("normal", (await Doctor.GetJsonAsync("/v1/servers/vm-a2")).GetProperty("state").GetString());
        Assert.Equal("error", (await Doctor.GetJsonAsync("/v1/servers/vm-a1")).GetProperty("state").GetString());
        var events = (await Doctor.GetJsonAsync("/v1/events?type=doctor.server.moved")).GetProperty("events").EnumerateArray().ToList();
        var moved = Assert.Single(events);
        Assert.Equal("inventory", moved.GetProperty("origin").GetString());
    }
}
