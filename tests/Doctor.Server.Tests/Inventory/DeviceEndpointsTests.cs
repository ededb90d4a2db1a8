using System.Text.Json;
using Doctor.Server.Tests.Infrastructure;

namespace Doctor.Server.Tests.Inventory;

/// <summary><c>/v1/devices</c> (SPEC §2): admin CRUD, filters, paging, validation, roles.</summary>
public sealed class DeviceEndpointsTests : ApiTest
{
    /// <summary>Two redundant switches and a PDU over the shared cloud; the PDU feeds the switches and the hosts.</summary>
    private const string Topology = """
        {"devices": [
          {"id": "tor-a1", "kind": "switch", "zone": "zone-a", "feeds": ["compute-zulu-1", "compute-zulu-3"]},
          {"id": "tor-a2", "kind": "switch", "zone": "zone-a", "feeds": ["compute-zulu-1", "compute-zulu-3"], "state": "down"},
          {"id": "tor-b1", "kind": "switch", "zone": "zone-b", "feeds": ["compute-zulu-2"]},
          {"id": "pdu-a", "kind": "pdu", "zone": "zone-a", "feeds": ["tor-a1", "tor-a2", "compute-zulu-1", "compute-zulu-3"]}
        ]}
        """;

    [Fact]
    public async Task Put_NewDevice_Returns201WithAllFields()
    {
        var response = await Doctor.PutAsync("/v1/devices/tor-new", new
        {
            kind = "switch", zone = "zone-c", feeds = new[] { "compute-zulu-1", "compute-zulu-2" },
            metadata = new Dictionary<string, string> { ["rack"] = "r12" },
        });
        var device = await DoctorHost.JsonAsync(response, 201);

        Assert.Equal("/v1/devices/tor-new", response.Headers.Location?.ToString());
        Assert.Equal("tor-new", device.GetProperty("id").GetString());
        Assert.Equal("switch", device.GetProperty("kind").GetString());
        Assert.Equal("zone-c", device.GetProperty("zone").GetString());
        Assert.Equal(["compute-zulu-1", "compute-zulu-2"], device.GetProperty("feeds").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("up", device.GetProperty("state").GetString());
        Assert.Equal("r12", device.GetProperty("metadata").GetProperty("rack").GetString());
        Assert.EndsWith("Z", device.GetProperty("updated_at").GetString());

        var read = await Doctor.GetJsonAsync("/v1/devices/tor-new");
        Assert.Equal(device.ToString(), read.ToString());
    }

    [Fact]
    public async Task Put_FeedsUnknownTarget_IsAccepted()
    {
        // Inventory arrives in any order: the switch may be known before its hosts.
        var device = await DoctorHost.JsonAsync(await Doctor.PutAsync("/v1/devices/tor-early", new { kind = "switch", feeds = new[] { "host-not-yet" } }), 201);
        Assert.Equal("host-not-yet", device.GetProperty("feeds")[0].GetString());
        Assert.Empty((await Doctor.GetJsonAsync("/v1/hosts")).GetProperty("hosts").EnumerateArray());
    }

    [Fact]
    public async Task Put_ExistingDeviceWithoutState_Returns200AndKeepsState()
    {
        await DoctorHost.JsonAsync(await Doctor.PutAsync("/v1/devices/pdu-1", new { kind = "pdu", state = "down", feeds = new[] { "h1" }, metadata = new { row = "7" } }), 201);

        var replaced = await DoctorHost.JsonAsync(await Doctor.PutAsync("/v1/devices/pdu-1", new { kind = "pdu", zone = "zone-b", feeds = new[] { "h2" } }), 200);

        Assert.Equal("down", replaced.GetProperty("state").GetString());
        Assert.Equal("zone-b", replaced.GetProperty("zone").GetString());
        Assert.Equal(["h2"], replaced.GetProperty("feeds").EnumerateArray().Select(e => e.GetString()));
        Assert.Empty(replaced.GetProperty("metadata").EnumerateObject());
        Assert.Empty((await Doctor.GetJsonAsync("/v1/devices?feeds=h1")).GetProperty("devices").EnumerateArray());
        Assert.Equal(["pdu-1"], Ids((await Doctor.GetJsonAsync("/v1/devices?feeds=h2")).GetProperty("devices")));

        var up = await DoctorHost.JsonAsync(await Doctor.PutAsync("/v1/devices/pdu-1", new { kind = "pdu", state = "up" }), 200);
        Assert.Equal("up", up.GetProperty("state").GetString());
        Assert.Equal(0, up.GetProperty("feeds").GetArrayLength());
    }

    [Fact]
    public async Task Get_UnknownDevice_Returns404()
    {
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/devices/tor-nowhere"), 404, "tor-nowhere");
        await Problem.AssertAsync(await Doctor.DeleteAsync("/v1/devices/tor-nowhere"), 404);
    }

    [Fact]
    public async Task Delete_Device_Returns204AndLeavesFedHostsAlone()
    {
        await SeedCloudAsync();
        await Doctor.ImportAsync(Topology);
        var hostsBefore = (await Doctor.GetJsonAsync("/v1/hosts")).ToString();

        Assert.Equal(204, (int)(await Doctor.DeleteAsync("/v1/devices/tor-a1")).StatusCode);

        await Problem.AssertAsync(await Doctor.GetAsync("/v1/devices/tor-a1"), 404);
        Assert.Equal(hostsBefore, (await Doctor.GetJsonAsync("/v1/hosts")).ToString());
        Assert.Equal(["pdu-a", "tor-a2"], Ids((await Doctor.GetJsonAsync($"/v1/devices?feeds={Cloud.Host1}")).GetProperty("devices")));
        // The PDU still names the removed switch: a dangling edge, harmless until a device of that id comes back.
        Assert.Contains("tor-a1", (await Doctor.GetJsonAsync("/v1/devices/pdu-a")).GetProperty("feeds").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task List_Filters_ReturnMatchesOnly()
    {
        await SeedCloudAsync();
        await Doctor.ImportAsync(Topology);

        Assert.Equal(["pdu-a", "tor-a1", "tor-a2", "tor-b1"], Ids((await Doctor.GetJsonAsync("/v1/devices")).GetProperty("devices")));
        Assert.Equal(["tor-a1", "tor-a2", "tor-b1"], Ids((await Doctor.GetJsonAsync("/v1/devices?kind=switch")).GetProperty("devices")));
        Assert.Equal(["tor-b1"], Ids((await Doctor.GetJsonAsync("/v1/devices?zone=zone-b")).GetProperty("devices")));
        Assert.Equal(["tor-a2"], Ids((await Doctor.GetJsonAsync("/v1/devices?state=down")).GetProperty("devices")));
        Assert.Equal(["pdu-a", "tor-a1", "tor-a2"], Ids((await Doctor.GetJsonAsync($"/v1/devices?feeds={Cloud.Host1}")).GetProperty("devices")));
        Assert.Equal(["pdu-a"], Ids((await Doctor.GetJsonAsync("/v1/devices?feeds=tor-a2")).GetProperty("devices")));
        Assert.Equal(["tor-a1"], Ids((await Doctor.GetJsonAsync($"/v1/devices?feeds={Cloud.Host3}&kind=switch&state=up")).GetProperty("devices")));

        var none = await Doctor.GetJsonAsync("/v1/devices?feeds=compute-nowhere");
        Assert.Empty(none.GetProperty("devices").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, none.GetProperty("next").ValueKind);
    }

    [Theory]
    [InlineData("")]
    [InlineData("feeds=compute-zulu-1&")]
    public async Task List_WithLimit_PagesWithMarkerInStableOrder(string filter)
    {
        await SeedCloudAsync();
        await Doctor.ImportAsync(Topology);

        var first = await Doctor.GetJsonAsync($"/v1/devices?{filter}limit=2");
        Assert.Equal(["pdu-a", "tor-a1"], Ids(first.GetProperty("devices")));
        var next = first.GetProperty("next").GetString();
        Assert.Equal("tor-a1", next);

        var second = await Doctor.GetJsonAsync($"/v1/devices?{filter}limit=2&marker={next}");
        Assert.Equal(filter.Length == 0 ? ["tor-a2", "tor-b1"] : ["tor-a2"], Ids(second.GetProperty("devices")));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next").ValueKind);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    [InlineData("state=sideways", "state")]
    [InlineData("kind=%01", "kind")]
    [InlineData("zone=%00", "zone")]
    [InlineData("feeds=%0A", "feeds")]
    public async Task List_InvalidQuery_Returns400NamingParameter(string query, string field)
    {
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/devices?" + query), 400, field);
    }

    [Theory]
    [InlineData("""{"zone": "zone-a"}""", "device.kind")]
    [InlineData("""{"kind": ""}""", "device.kind")]
    [InlineData("""{"kind": 5}""", "kind")]
    [InlineData("""{"kind": "switch", "id": "tor-other"}""", "device.id")]
    [InlineData("""{"kind": "switch", "zone": ""}""", "device.zone")]
    [InlineData("""{"kind": "switch", "state": "sideways"}""", "device.state")]
    [InlineData("""{"kind": "switch", "feeds": "compute-zulu-1"}""", "feeds")]
    [InlineData("""{"kind": "switch", "feeds": [1]}""", "feeds")]
    [InlineData("""{"kind": "switch", "feeds": ["compute-zulu-1", null]}""", "device.feeds[1]")]
    [InlineData("""{"kind": "switch", "feeds": ["compute-zulu-1", ""]}""", "device.feeds[1]")]
    [InlineData("""{"kind": "switch", "feeds": ["a", "b", "a"]}""", "device.feeds[2]")]
    [InlineData("""{"kind": "switch", "feeds": ["a", "rack/1"]}""", "device.feeds[1]")]
    [InlineData("""{"kind": "switch", "feeds": ["a", "tor-1"]}""", "device.feeds[1]")]
    [InlineData("""{"kind": "switch", "metadata": {"rack": 12}}""", "metadata")]
    [InlineData("""{"kind": "switch", "metadata": {"": "x"}}""", "device.metadata")]
    [InlineData("""not json""", "body")]
    [InlineData("""[]""", "body")]
    public async Task Put_InvalidInput_Returns400NamingFieldAndChangesNothing(string body, string field)
    {
        await DoctorHost.JsonAsync(await Doctor.PutAsync("/v1/devices/tor-1", new { kind = "switch", feeds = new[] { "h1" } }), 201);
        var before = (await Doctor.GetJsonAsync("/v1/devices")).ToString();

        await Problem.AssertAsync(await Doctor.PutAsync("/v1/devices/tor-1", body), 400, field);

        Assert.Equal(before, (await Doctor.GetJsonAsync("/v1/devices")).ToString());
    }

    [Fact]
    public async Task Put_1001Feeds_Returns400AndExactly1000IsAccepted()
    {
        var feeds = Enumerable.Range(0, 1001).Select(i => $"h-{i:0000}").ToArray();
        await Problem.AssertAsync(await Doctor.PutAsync("/v1/devices/spine-1", new { kind = "switch", feeds }), 400, "device.feeds");
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/devices/spine-1"), 404);

        var device = await DoctorHost.JsonAsync(await Doctor.PutAsync("/v1/devices/spine-1", new { kind = "switch", feeds = feeds[..1000] }), 201);
        Assert.Equal(1000, device.GetProperty("feeds").GetArrayLength());
    }

    [Theory]
    [InlineData("a%01b")]
    [InlineData("..")]
    public async Task Put_BadPathId_Returns4xxAndCreatesNothing(string id)
    {
        var response = await Doctor.PutAsync($"/v1/devices/{id}", new { kind = "switch" });
        Assert.InRange((int)response.StatusCode, 400, 499);
        Assert.Empty((await Doctor.GetJsonAsync("/v1/devices")).GetProperty("devices").EnumerateArray());
    }

    [Fact]
    public async Task Put_IdOf256Characters_Returns400NamingId()
    {
        await Problem.AssertAsync(await Doctor.PutAsync($"/v1/devices/{new string('d', 256)}", new { kind = "switch" }), 400, "id");
        await DoctorHost.JsonAsync(await Doctor.PutAsync($"/v1/devices/{new string('d', 255)}", new { kind = "switch" }), 201);
    }

    [Theory]
    [InlineData("monitor", "GET", "/v1/devices")]
    [InlineData("monitor", "GET", "/v1/devices/tor-a1")]
    [InlineData("monitor", "PUT", "/v1/devices/tor-a1")]
    [InlineData("monitor", "DELETE", "/v1/devices/tor-a1")]
    [InlineData("project", "GET", "/v1/devices")]
    [InlineData("project", "GET", "/v1/devices/tor-a1")]
    [InlineData("project", "PUT", "/v1/devices/tor-a1")]
    [InlineData("project", "DELETE", "/v1/devices/tor-a1")]
    public async Task AnyDeviceEndpoint_NonAdmin_Returns403AndChangesNothing(string role, string method, string path)
    {
        await SeedCloudAsync();
        await Doctor.ImportAsync(Topology);
        var before = (await Doctor.GetJsonAsync("/v1/devices")).ToString();
        var token = await Doctor.CreateTokenAsync(role, role == "project" ? Cloud.Alpha : null);

        var response = await Doctor.SendAsync(new HttpMethod(method), path, token, method == "PUT" ? """{"kind": "pdu"}""" : null);

        await Problem.AssertAsync(response, 403, role);
        Assert.Equal(before, (await Doctor.GetJsonAsync("/v1/devices")).ToString());
    }

    [Fact]
    public async Task Restart_SameDataDir_KeepsDevicesAndFeedIndex()
    {
        await SeedCloudAsync();
        await Doctor.ImportAsync(Topology);
        var before = (await Doctor.GetJsonAsync("/v1/devices")).ToString();

        await Doctor.RestartAsync();

        Assert.Equal(before, (await Doctor.GetJsonAsync("/v1/devices")).ToString());
        Assert.Equal(["pdu-a", "tor-a1", "tor-a2"], Ids((await Doctor.GetJsonAsync($"/v1/devices?feeds={Cloud.Host1}")).GetProperty("devices")));
    }
}
