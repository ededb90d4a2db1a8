using System.Text.Json;
using Doctor.Server.Tests.Infrastructure;

namespace Doctor.Server.Tests.Inventory;

/// <summary><c>POST /v1/inventory</c> (SPEC §2): one transaction, all or nothing.</summary>
public sealed class InventoryEndpointsTests : ApiTest
{
    [Fact]
    public async Task Post_Document_ReturnsCountsAndCreatesEverything()
    {
        var result = await Doctor.ImportAsync(Cloud.Inventory);

        Assert.Equal(3, result.GetProperty("hosts").GetInt32());
        Assert.Equal(5, result.GetProperty("servers").GetInt32());
        Assert.Equal(4, result.GetProperty("ports").GetInt32());
        Assert.Equal(0, result.GetProperty("devices").GetInt32());
        Assert.Equal(0, result.GetProperty("deleted").GetInt32());
        Assert.Equal(3, (await Doctor.GetJsonAsync("/v1/hosts")).GetProperty("hosts").GetArrayLength());
        Assert.Equal(5, (await Doctor.GetJsonAsync("/v1/servers")).GetProperty("servers").GetArrayLength());
        Assert.Equal(4, (await Doctor.GetJsonAsync("/v1/ports")).GetProperty("ports").GetArrayLength());
    }

    [Theory]
    [InlineData("""{"hosts": [{"name": "h-new"}], "servers": [{"id": "vm-new", "host": "h-new"}, {"id": "vm-bad", "state": "exploded"}]}""", "servers[1].state")]
    [InlineData("""{"hosts": [{"name": "h-new"}, {"zone": "zone-a"}]}""", "hosts[1].name")]
    [InlineData("""{"hosts": [{"name": "h-new"}, null]}""", "hosts[1]")]
    [InlineData("""{"servers": [{"id": "vm-new"}], "ports": [{"id": "p-new", "data_plane_status": "MAYBE"}]}""", "ports[0].data_plane_status")]
    [InlineData("""{"servers": [{"id": "vm-new", "project_id": 3}]}""", "project_id")]
    [InlineData("""{"hosts": {"name": "h-new"}}""", "hosts")]
    [InlineData("""{"hosts": [{"name": "h-new"}], "devices": [{"id": "tor-new", "kind": "switch", "feeds": ["h-new", "h-new"]}]}""", "devices[0].feeds[1]")]
    [InlineData("""{"hosts": [{"name": "h-new"}], "devices": [{"id": "tor-new", "kind": "switch"}, {"id": "pdu-new"}]}""", "devices[1].kind")]
    [InlineData("""{"devices": [{"id": "tor-new", "kind": "switch", "feeds": ["tor-new"]}], "servers": [{"id": "vm-new"}]}""", "devices[0].feeds[0]")]
    [InlineData("""{"devices": [{"id": "tor/new", "kind": "switch"}]}""", "devices[0].id")]
    [InlineData("""{"devices": [{"id": "tor-new", "kind": "switch", "state": "off"}]}""", "devices[0].state")]
    [InlineData("""{"devices": [{"id": "tor-new", "kind": "switch", "feeds": [3]}]}""", "devices[0].feeds")]
    [InlineData("""{"hosts": [{"name": "h-new"}], "devices": [null]}""", "devices[0]")]
    public async Task Post_OneInvalidItem_RejectsWholeDocument(string document, string field)
    {
        await SeedCloudAsync();
        var before = await SnapshotAsync();

        await Problem.AssertAsync(await Doctor.PostAsync("/v1/inventory", document), 400, field);

        Assert.Equal(before, await SnapshotAsync());
    }

    [Theory]
    [InlineData("""{"hosts": [{"name": "h1"}, {"name": "h2"}, {"name": "h1"}]}""", "hosts[2].name")]
    [InlineData("""{"servers": [{"id": "vm-1"}, {"id": "vm-1"}]}""", "servers[1].id")]
    [InlineData("""{"ports": [{"id": "p-1"}, {"id": "p-1"}]}""", "ports[1].id")]
    [InlineData("""{"hosts": [{"name": "h1"}], "devices": [{"id": "tor-1", "kind": "switch"}, {"id": "tor-1", "kind": "pdu"}]}""", "devices[1].id")]
    public async Task Post_DuplicateIds_Returns400AndChangesNothing(string document, string field)
    {
        await Problem.AssertAsync(await Doctor.PostAsync("/v1/inventory", document), 400, field);
        Assert.Empty((await Doctor.GetJsonAsync("/v1/hosts")).GetProperty("hosts").EnumerateArray());
        Assert.Empty((await Doctor.GetJsonAsync("/v1/servers")).GetProperty("servers").EnumerateArray());
        Assert.Empty((await Doctor.GetJsonAsync("/v1/ports")).GetProperty("ports").EnumerateArray());
        Assert.Empty((await Doctor.GetJsonAsync("/v1/devices")).GetProperty("devices").EnumerateArray());
    }

    [Fact]
    public async Task Post_DocumentWithDevices_CreatesThemWithTheRest()
    {
        var result = await Doctor.ImportAsync("""
            {"devices": [{"id": "tor-1", "kind": "switch", "zone": "zone-a", "feeds": ["h1", "h2"]},
                         {"id": "pdu-1", "kind": "pdu", "feeds": ["tor-1", "h1", "h2"], "state": "down"}],
             "hosts": [{"name": "h1", "zone": "zone-a"}, {"name": "h2", "zone": "zone-a"}]}
            """);

        Assert.Equal(2, result.GetProperty("hosts").GetInt32());
        Assert.Equal(2, result.GetProperty("devices").GetInt32());
        Assert.Equal(["pdu-1", "tor-1"], Ids((await Doctor.GetJsonAsync("/v1/devices")).GetProperty("devices")));
        Assert.Equal(["pdu-1", "tor-1"], Ids((await Doctor.GetJsonAsync("/v1/devices?feeds=h2")).GetProperty("devices")));
        var pdu = await Doctor.GetJsonAsync("/v1/devices/pdu-1");
        Assert.Equal("down", pdu.GetProperty("state").GetString());
        Assert.Equal(["tor-1", "h1", "h2"], pdu.GetProperty("feeds").EnumerateArray().Select(e => e.GetString()));

        // Imported again without state: the current state stays, as with hosts.
        await Doctor.ImportAsync("""{"devices": [{"id": "pdu-1", "kind": "pdu", "feeds": ["h1"]}]}""");
        Assert.Equal("down", (await Doctor.GetJsonAsync("/v1/devices/pdu-1")).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Post_WithReplace_RemovesDevicesTheDocumentDoesNotName()
    {
        await SeedCloudAsync();
        await Doctor.ImportAsync("""{"devices": [{"id": "tor-1", "kind": "switch", "feeds": ["compute-zulu-1"]}, {"id": "tor-2", "kind": "switch", "feeds": ["compute-zulu-1"]}]}""");

        var result = await Doctor.ImportAsync(Cloud.Inventory.TrimEnd().TrimEnd('}') + """, "devices": [{"id": "tor-2", "kind": "switch"}]}""", replace: true);

        Assert.Equal(1, result.GetProperty("devices").GetInt32());
        Assert.Equal(1, result.GetProperty("deleted").GetInt32());
        Assert.Equal(["tor-2"], Ids((await Doctor.GetJsonAsync("/v1/devices")).GetProperty("devices")));
        Assert.Empty((await Doctor.GetJsonAsync("/v1/devices?feeds=compute-zulu-1")).GetProperty("devices").EnumerateArray());
        Assert.Equal(3, (await Doctor.GetJsonAsync("/v1/hosts")).GetProperty("hosts").GetArrayLength());

        var emptied = await Doctor.ImportAsync(Cloud.Inventory, replace: true);
        Assert.Equal(1, emptied.GetProperty("deleted").GetInt32());
        Assert.Empty((await Doctor.GetJsonAsync("/v1/devices")).GetProperty("devices").EnumerateArray());
    }

    [Fact]
    public async Task Post_WithoutReplace_LeavesOtherItemsAlone()
    {
        await SeedCloudAsync();
        var result = await Doctor.ImportAsync("""{"hosts": [{"name": "compute-zulu-1", "zone": "zone-q"}, {"name": "compute-zulu-4"}]}""");

        Assert.Equal(2, result.GetProperty("hosts").GetInt32());
        Assert.Equal(0, result.GetProperty("deleted").GetInt32());
        var hosts = (await Doctor.GetJsonAsync("/v1/hosts")).GetProperty("hosts");
        Assert.Equal(4, hosts.GetArrayLength());
        Assert.Equal("zone-q", (await Doctor.GetJsonAsync($"/v1/hosts/{Cloud.Host1}")).GetProperty("zone").GetString());
        Assert.Equal(5, (await Doctor.GetJsonAsync("/v1/servers")).GetProperty("servers").GetArrayLength());
    }

    [Fact]
    public async Task Post_WithReplace_RemovesItemsTheDocumentDoesNotName()
    {
        await SeedCloudAsync();
        var result = await Doctor.ImportAsync("""
            {"hosts": [{"name": "compute-zulu-1"}],
             "servers": [{"id": "vm-a1", "project_id": "proj-alpha", "host": "compute-zulu-1"}],
             "ports": [{"id": "port-a1", "server_id": "vm-a1", "project_id": "proj-alpha", "host": "compute-zulu-1"}]}
            """, replace: true);

        Assert.Equal(1, result.GetProperty("hosts").GetInt32());
        Assert.Equal(1, result.GetProperty("servers").GetInt32());
        Assert.Equal(1, result.GetProperty("ports").GetInt32());
        Assert.Equal(2 + 4 + 3, result.GetProperty("deleted").GetInt32()); // hosts 2, servers 4, ports 3

        Assert.Equal([Cloud.Host1], Ids((await Doctor.GetJsonAsync("/v1/hosts")).GetProperty("hosts"), "name"));
        Assert.Equal(["vm-a1"], Ids((await Doctor.GetJsonAsync("/v1/servers")).GetProperty("servers")));
        Assert.Equal(["port-a1"], Ids((await Doctor.GetJsonAsync("/v1/ports")).GetProperty("ports")));
    }

    [Fact]
    public async Task Post_ReplaceWithInvalidItem_DeletesNothing()
    {
        await SeedCloudAsync();
        var before = await SnapshotAsync();
        await Problem.AssertAsync(await Doctor.PostAsync("/v1/inventory?replace=true", """{"hosts": [{"name": "compute-zulu-1", "state": "gone"}]}"""), 400, "hosts[0].state");
        Assert.Equal(before, await SnapshotAsync());
    }

    [Fact]
    public async Task Post_InvalidReplaceParameter_Returns400()
    {
        await Problem.AssertAsync(await Doctor.PostAsync("/v1/inventory?replace=yes", Cloud.Inventory), 400, "replace");
        Assert.Empty((await Doctor.GetJsonAsync("/v1/hosts")).GetProperty("hosts").EnumerateArray());
    }

    [Fact]
    public async Task Post_NonJson_Returns415()
    {
        var response = await Doctor.SendAsync(HttpMethod.Post, "/v1/inventory", Admin, "hosts:\n  - name: h1\n", "application/yaml");
        await Problem.AssertAsync(response, 415);
    }

    [Fact]
    public async Task Post_BodyOver4MiB_Returns413AndChangesNothing()
    {
        var hosts = string.Join(",", Enumerable.Range(0, 110_000).Select(i => $"{{\"name\": \"host-{i:D6}\", \"zone\": \"zone-a\"}}"));
        var body = "{\"hosts\": [" + hosts + "]}";
        Assert.True(body.Length > 4 * 1024 * 1024, $"body is only {body.Length} bytes");
        await Problem.AssertAsync(await Doctor.PostAsync("/v1/inventory", body), 413);
        Assert.Empty((await Doctor.GetJsonAsync("/v1/hosts")).GetProperty("hosts").EnumerateArray());
    }

    private async Task<string> SnapshotAsync()
    {
        var hosts = await Doctor.GetJsonAsync("/v1/hosts?limit=1000");
        var servers = await Doctor.GetJsonAsync("/v1/servers?limit=1000");
        var ports = await Doctor.GetJsonAsync("/v1/ports?limit=1000");
        var devices = await Doctor.GetJsonAsync("/v1/devices?limit=1000");
        return string.Join("\n", hosts.ToString(), servers.ToString(), ports.ToString(), devices.ToString());
    }
}
