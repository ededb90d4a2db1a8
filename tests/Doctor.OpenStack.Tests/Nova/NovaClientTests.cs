using System.Text.Json.Nodes;
using Doctor.OpenStack.Nova;
using Doctor.OpenStack.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace Doctor.OpenStack.Tests.Nova;

/// <summary><see cref="NovaClient"/> against a fake Nova: what it reads, how it pages, and what it refuses to read as "empty".</summary>
public sealed class NovaClientTests : FakeCloudTest
{
    private NovaClient Nova => Clients.Nova;

    private void AnswerGet(string pathPart, string body, int status = 200) => Cloud.Intercept = async (context, call) =>
    {
        if (call.Method != "GET" || !call.Path.Contains(pathPart, StringComparison.Ordinal))
            return false;
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
        return true;
    };

    [Fact]
    public async Task ComputeServicesAsync_ReadsEachComputeServiceWithItsStates()
    {
        Cloud.AddCompute("compute-1", "uuid-1", zone: "az-1");
        Cloud.AddCompute("compute-2", "uuid-2", enabled: false, forcedDown: true);

        var services = await Nova.ComputeServicesAsync(CancellationToken.None);

        Assert.Equal(
            [new NovaService("uuid-1", "compute-1", "az-1", true, false, true), new NovaService("uuid-2", "compute-2", "nova", false, true, false)],
            services);
        var call = Assert.Single(Cloud.CallsTo("GET", "/os-services"));
        Assert.Equal("?binary=nova-compute", call.Query);
        Assert.Equal("compute 2.53", call.Header("OpenStack-API-Version"));
        Assert.StartsWith(Cloud.ComputeUrl().Replace(Cloud.BaseUrl, "", StringComparison.Ordinal), call.Path);
    }

    [Fact]
    public async Task ComputeServicesAsync_OddItems_SkippedOrReadTolerantly()
    {
        AnswerGet("/os-services", """
            {"services":[
              {"id":7,"host":"old-compute","zone":"nova","status":"enabled","state":"up","forced_down":false},
              {"id":"uuid-2","host":"compute-2","zone":null,"status":"disabled","state":"down","forced_down":"yes"},
              {"id":"uuid-3","host":{"name":"x"}},
              {"host":"no-id"},
              "not an object",
              null
            ]}
            """);

        var services = await Nova.ComputeServicesAsync(CancellationToken.None);

        Assert.Equal([new NovaService("7", "old-compute", "nova", true, false, true), new NovaService("uuid-2", "compute-2", null, false, false, false)], services);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"services":{}}""")]
    [InlineData("[]")]
    public async Task ComputeServicesAsync_AnswerWithoutTheList_ErrorNotAnEmptyCloud(string body)
    {
        AnswerGet("/os-services", body);

        var error = await Assert.ThrowsAsync<OpenStackException>(() => Nova.ComputeServicesAsync(CancellationToken.None));

        Assert.Contains("'services'", error.Message);
    }

    [Fact]
    public async Task ComputeServicesAsync_NotJson_ErrorSaysSo()
    {
        AnswerGet("/os-services", "<html>maintenance page</html>");

        var error = await Assert.ThrowsAsync<OpenStackException>(() => Nova.ComputeServicesAsync(CancellationToken.None));

        Assert.Contains("not JSON", error.Message);
        Assert.Contains("maintenance page", error.Message);
    }

    [Fact]
    public async Task AllServersAsync_ManyPages_EveryServer()
    {
        for (var i = 0; i < 2500; i++)
            Cloud.AddServer($"vm-{i:D4}", "tenant-a", "compute-1");

        var servers = await Nova.AllServersAsync(CancellationToken.None);

        Assert.Equal(2500, servers.Count);
        Assert.Equal(2500, servers.Select(s => s.Id).Distinct().Count());
        var calls = Cloud.CallsTo("GET", "/servers/detail");
        Assert.Equal(3, calls.Count);
        Assert.Equal("?all_tenants=1&limit=1000", calls[0].Query);
        Assert.Equal("?all_tenants=1&limit=1000&marker=vm-0999", calls[1].Query);
        Assert.Equal("compute 2.56", calls[0].Header("OpenStack-API-Version"));
    }

    [Fact]
    public async Task AllServersAsync_NovaMaxLimitBelowThePageAsked_FollowsTheNextLinks()
    {
        // [api] max_limit = 3: every page is shorter than asked. Stopping at the first would make the snapshot miss
        // servers, and the sync remove them from the map.
        Cloud.NovaMaxLimit = 3;
        for (var i = 0; i < 8; i++)
            Cloud.AddServer($"vm-{i}", "tenant-a", "compute-1");

        var servers = await Nova.AllServersAsync(CancellationToken.None);

        Assert.Equal(["vm-0", "vm-1", "vm-2", "vm-3", "vm-4", "vm-5", "vm-6", "vm-7"], servers.Select(s => s.Id));
    }

    [Fact]
    public async Task AllServersAsync_PageThatCannotBeFollowed_ErrorNotAShortList()
    {
        AnswerGet("/servers/detail", """{"servers":[{"id":"vm-1"},{"name":"no id"}],"servers_links":[{"rel":"next","href":"x"}]}""");

        var error = await Assert.ThrowsAsync<OpenStackException>(() => Nova.AllServersAsync(CancellationToken.None));

        Assert.Contains("cannot page on", error.Message);
    }

    [Fact]
    public async Task AllServersAsync_SamePageForever_Error()
    {
        AnswerGet("/servers/detail", """{"servers":[{"id":"vm-1"}],"servers_links":[{"rel":"next","href":"x"}]}""");

        await Assert.ThrowsAsync<OpenStackException>(() => Nova.AllServersAsync(CancellationToken.None));
        Assert.Equal(2, Cloud.CallsTo("GET", "/servers/detail").Count);
    }

    [Fact]
    public async Task AllServersAsync_ReadsWhatTheMapNeeds()
    {
        Cloud.AddServer("vm-1", "tenant-a", "compute-1", "web-1", "ERROR");
        Cloud.AddServer("vm-2", "tenant-b", null, "building", "BUILD");

        var servers = await Nova.AllServersAsync(CancellationToken.None);

        Assert.Equal(new NovaServer("vm-1", "web-1", "tenant-a", "compute-1", "ERROR", null, "UP"), servers[0]);
        Assert.Null(servers[1].Host);
    }

    [Fact]
    public async Task ServerAsync_Unknown_Null()
    {
        Cloud.AddServer("vm-1", "tenant-a", "compute-1");

        Assert.Equal("vm-1", (await Nova.ServerAsync("vm-1", CancellationToken.None))!.Id);
        Assert.Null(await Nova.ServerAsync("vm-gone", CancellationToken.None));
    }

    [Fact]
    public async Task ServerGroupsAsync_MoreGroupsThanAPage_EveryMembersGroup()
    {
        Cloud.NovaMaxLimit = 2;
        for (var g = 0; g < 5; g++)
            Cloud.AddServerGroup($"grp-{g}", "tenant-a", $"vm-{g}a", $"vm-{g}b");

        var groups = await Nova.ServerGroupsAsync(CancellationToken.None);

        Assert.Equal(10, groups.Count);
        Assert.Equal("grp-4", groups["vm-4b"]);
        Assert.Contains("all_projects=true", Cloud.CallsTo("GET", "/os-server-groups")[0].Query);
    }

    [Fact]
    public async Task ServerGroupsAsync_OddGroups_Skipped()
    {
        var pages = 0;
        Cloud.Intercept = async (context, call) =>
        {
            if (!call.Path.Contains("/os-server-groups", StringComparison.Ordinal))
                return false;
            var body = pages++ == 0
                ? """{"server_groups":[{"id":"grp-1","members":["vm-1",7,null]},{"id":5,"members":["vm-2"]},{"members":["vm-3"]},{"id":"grp-4","members":"vm-4"},[]]}"""
                : """{"server_groups":[]}""";
            await FakeCloud.WriteAsync(context, 200, JsonNode.Parse(body)!);
            return true;
        };

        var groups = await Nova.ServerGroupsAsync(CancellationToken.None);

        Assert.Equal(new Dictionary<string, string> { ["vm-1"] = "grp-1" }, groups);
    }
}
