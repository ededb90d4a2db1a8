using Doctor.Testing;
using System.Text.Json;
using Doctor.Server.Tests.Infrastructure;

namespace Doctor.Server.Tests.Faults;

/// <summary>The FaultQuery (SPEC §4) and the profiler's timeline (SPEC §7).</summary>
public sealed class FaultEndpointsTests : ApiTest
{
    /// <summary>Seeds the cloud, kills host 1 and returns the root fault id.</summary>
    private async Task<string> HostDownAsync()
    {
        await SeedCloudAsync();
        var recorded = await Doctor.PostEventAndWaitAsync("compute.host.down", new { hostname = Cloud.Host1, source = "ipmi", cause = "bmc says power lost" }, id: "evt-down");
        Assert.Equal("processed", recorded.GetProperty("status").GetString());
        return recorded.GetProperty("fault_ids")[0].GetString()!;
    }

    [Fact]
    public async Task List_AfterHostDown_ShowsRootAndDerivedFaults()
    {
        var rootId = await HostDownAsync();

        var faults = (await Doctor.GetJsonAsync("/v1/faults")).GetProperty("faults").EnumerateArray().ToList();

        Assert.Equal(7, faults.Count); // the host, its three servers and their three ports
        var root = Assert.Single(faults, f => f.GetProperty("is_root_cause").GetBoolean());
        Assert.Equal(rootId, root.GetProperty("fault_id").GetString());
        Assert.Equal("compute.host.down", root.GetProperty("fault_type").GetString());
        Assert.Equal("critical", root.GetProperty("severity").GetString());
        Assert.Equal("active", root.GetProperty("state").GetString());
        Assert.Equal("host", root.GetProperty("resource_type").GetString());
        Assert.Equal(Cloud.Host1, root.GetProperty("resource_id").GetString());
        Assert.Equal(Cloud.Host1, root.GetProperty("host").GetString());
        Assert.Equal("evt-down", root.GetProperty("event_id").GetString());
        Assert.Equal("host_down", root.GetProperty("effect").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("cleared_at").ValueKind);
        Assert.Equal("ipmi", root.GetProperty("details").GetProperty("source").GetString());
        Assert.False(string.IsNullOrEmpty(root.GetProperty("probable_cause").GetString()));
        Assert.EndsWith("Z", root.GetProperty("raised_at").GetString());
        Assert.EndsWith("Z", root.GetProperty("event_time").GetString());

        var derived = faults.Where(f => !f.GetProperty("is_root_cause").GetBoolean()).ToList();
        Assert.Equal(
            derived.Select(f => f.GetProperty("fault_id").GetString()).Order(StringComparer.Ordinal),
            root.GetProperty("correlated_fault_ids").EnumerateArray().Select(e => e.GetString()).Order(StringComparer.Ordinal));
        Assert.All(derived, f => Assert.Equal([rootId], f.GetProperty("correlated_fault_ids").EnumerateArray().Select(e => e.GetString())));
        Assert.Equal(
            ["port-a1", "port-a2", "port-b1", "vm-a1", "vm-a2", "vm-b1"],
            derived.Select(f => f.GetProperty("resource_id").GetString()!).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task List_WithFilters_ReturnsMatchesOnly()
    {
        await HostDownAsync();
        // A major fault elsewhere: a NIC on host 2 takes its ports' data plane down.
        await Doctor.PostEventAndWaitAsync("compute.host.nic.down", new { hostname = Cloud.Host2, nic = "eth1" });

        Assert.Equal(9, await CountAsync("/v1/faults"));
        Assert.Equal(3, await CountAsync("/v1/faults?resource_type=server"));
        Assert.Equal(4, await CountAsync("/v1/faults?resource_type=port"));
        Assert.Equal(2, await CountAsync("/v1/faults?resource_type=host"));
        Assert.Equal(1, await CountAsync("/v1/faults?resource_id=vm-a1"));
        Assert.Equal(1, await CountAsync("/v1/faults?resource_type=port&resource_id=port-a3"));
        Assert.Equal(0, await CountAsync("/v1/faults?resource_type=server&resource_id=port-a3"));
        Assert.Equal(7, await CountAsync("/v1/faults?min_severity=critical"));
        Assert.Equal(9, await CountAsync("/v1/faults?min_severity=major"));
        Assert.Equal(9, await CountAsync("/v1/faults?min_severity=warning"));
        Assert.Equal(2, await CountAsync("/v1/faults?fault_type=compute.host.nic.*"));
        Assert.Equal(0, await CountAsync("/v1/faults?state=cleared"));
        Assert.Equal(9, await CountAsync("/v1/faults?state=all"));
        Assert.Equal(9, await CountAsync("/v1/faults?since=2020-01-01T00:00:00Z"));
        Assert.Equal(0, await CountAsync("/v1/faults?until=2020-01-01T00:00:00Z"));
    }

    [Fact]
    public async Task List_AfterRecovery_MovesFaultsToCleared()
    {
        await HostDownAsync();
        var up = await Doctor.PostEventAndWaitAsync("compute.host.up", new { hostname = Cloud.Host1 });
        Assert.Equal("processed", up.GetProperty("status").GetString());

        Assert.Equal(0, await CountAsync("/v1/faults?state=active"));
        Assert.Equal(0, await CountAsync("/v1/faults"));
        Assert.Equal(7, await CountAsync("/v1/faults?state=cleared"));
        Assert.Equal(7, await CountAsync("/v1/faults?state=all"));
        var cleared = (await Doctor.GetJsonAsync("/v1/faults?state=cleared")).GetProperty("faults").EnumerateArray();
        Assert.All(cleared, f =>
        {
            Assert.Equal("cleared", f.GetProperty("state").GetString());
            Assert.EndsWith("Z", f.GetProperty("cleared_at").GetString());
        });

        var host = await Doctor.GetJsonAsync($"/v1/hosts/{Cloud.Host1}");
        Assert.Equal("up", host.GetProperty("state").GetString());
        Assert.False(host.GetProperty("forced_down").GetBoolean());
        Assert.Equal("normal", (await Doctor.GetJsonAsync("/v1/servers/vm-a1")).GetProperty("state").GetString());
        Assert.Equal("ACTIVE", (await Doctor.GetJsonAsync("/v1/ports/port-a1")).GetProperty("data_plane_status").GetString());
    }

    [Fact]
    public async Task Recovery_OfOverlappingFaults_RestoresOriginalState()
    {
        await SeedCloudAsync();
        // A NIC fails, then the whole host; the NIC comes back first, then the host.
        await Doctor.PostEventAndWaitAsync("compute.host.nic.down", new { hostname = Cloud.Host1 });
        await Doctor.PostEventAndWaitAsync("compute.host.down", new { hostname = Cloud.Host1 });
        await Doctor.PostEventAndWaitAsync("compute.host.nic.up", new { hostname = Cloud.Host1 });
        Assert.Equal("DOWN", (await Doctor.GetJsonAsync("/v1/ports/port-a1")).GetProperty("data_plane_status").GetString()); // still held by the host

        await Doctor.PostEventAndWaitAsync("compute.host.up", new { hostname = Cloud.Host1 });

        Assert.Equal(0, await CountAsync("/v1/faults"));
        Assert.Equal("ACTIVE", (await Doctor.GetJsonAsync("/v1/ports/port-a1")).GetProperty("data_plane_status").GetString());
        Assert.Equal("normal", (await Doctor.GetJsonAsync("/v1/servers/vm-a1")).GetProperty("state").GetString());
        Assert.Equal("up", (await Doctor.GetJsonAsync($"/v1/hosts/{Cloud.Host1}")).GetProperty("state").GetString());
    }

    [Fact]
    public async Task List_WithLimit_PagesWithMarker()
    {
        await HostDownAsync();
        var seen = new List<string>();
        string? marker = null;
        do
        {
            var page = await Doctor.GetJsonAsync("/v1/faults?limit=3" + (marker is null ? "" : "&marker=" + marker));
            seen.AddRange(Ids(page.GetProperty("faults"), "fault_id"));
            marker = page.GetProperty("next").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next").GetString();
        }
        while (marker is not null && seen.Count < 50);

        Assert.Equal(7, seen.Count);
        Assert.Equal(7, seen.Distinct().Count());
    }

    [Theory]
    [InlineData("state=open", "state")]
    [InlineData("resource_type=vm", "resource_type")]
    [InlineData("min_severity=fatal", "min_severity")]
    [InlineData("since=yesterday", "since")]
    [InlineData("until=2026-13-45", "until")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=1001", "limit")]
    public async Task List_InvalidQuery_Returns400NamingParameter(string query, string field)
    {
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/faults?" + query), 400, field);
    }

    [Fact]
    public async Task Get_ById_ReturnsFaultOrNotFound()
    {
        var rootId = await HostDownAsync();
        var fault = await Doctor.GetJsonAsync($"/v1/faults/{rootId}");
        Assert.Equal(rootId, fault.GetProperty("fault_id").GetString());
        Assert.Equal(Cloud.Host1, fault.GetProperty("resource_id").GetString());

        await Problem.AssertAsync(await Doctor.GetAsync("/v1/faults/flt-nope"), 404);
    }

    [Fact]
    public async Task List_AsProject_ShowsOnlyItsFaultsWithoutHostOrDetails()
    {
        await HostDownAsync();
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);

        var response = await Doctor.GetAsync("/v1/faults", alpha);
        var text = await response.Content.ReadAsStringAsync();
        var faults = (await DoctorHost.JsonAsync(response, 200)).GetProperty("faults").EnumerateArray().ToList();

        Assert.Equal(["port-a1", "port-a2", "vm-a1", "vm-a2"], faults.Select(f => f.GetProperty("resource_id").GetString()!).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(Cloud.Host1, text);
        Assert.DoesNotContain("ipmi", text);
        Assert.DoesNotContain("bmc says", text);
        Assert.DoesNotContain("evt-down", text);
        foreach (var fault in faults)
        {
            Assert.Equal(Cloud.Alpha, fault.GetProperty("project_id").GetString());
            Assert.False(fault.TryGetProperty("host", out _), "a tenant sees the host name");
            Assert.False(fault.TryGetProperty("event_id", out _), "a tenant sees the monitor's event id");
            Assert.Empty(fault.GetProperty("details").EnumerateObject());
            Assert.Equal(Cloud.AlphaHost1Id, fault.GetProperty("host_id").GetString());
            Assert.False(fault.GetProperty("is_root_cause").GetBoolean());
            Assert.Empty(fault.GetProperty("correlated_fault_ids").EnumerateArray()); // the root names the host
        }

        Assert.Equal(0, await CountAsync("/v1/faults?resource_type=host", alpha));
        Assert.Equal(0, await CountAsync("/v1/faults?resource_id=vm-b1", alpha));
    }

    [Fact]
    public async Task Get_AsProject_ForeignOrPhysicalFaultIs404()
    {
        var rootId = await HostDownAsync();
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        var all = (await Doctor.GetJsonAsync("/v1/faults")).GetProperty("faults").EnumerateArray().ToList();
        var betaFault = all.Single(f => f.GetProperty("resource_id").GetString() == "vm-b1").GetProperty("fault_id").GetString();
        var alphaFault = all.Single(f => f.GetProperty("resource_id").GetString() == "vm-a1").GetProperty("fault_id").GetString();

        await Problem.AssertAsync(await Doctor.GetAsync($"/v1/faults/{betaFault}", alpha), 404);
        await Problem.AssertAsync(await Doctor.GetAsync($"/v1/faults/{rootId}", alpha), 404);
        var own = await Doctor.GetJsonAsync($"/v1/faults/{alphaFault}", alpha);
        Assert.Equal("vm-a1", own.GetProperty("resource_id").GetString());
        Assert.False(own.TryGetProperty("host", out _));
    }

    [Fact]
    public async Task Timeline_OfHostDown_ReturnsCheckpointsInOrder()
    {
        var rootId = await HostDownAsync();

        JsonElement timeline = default;
        await Eventually.TrueAsync(async () =>
        {
            timeline = await Doctor.GetJsonAsync($"/v1/faults/{rootId}/timeline");
            return timeline.GetProperty("checkpoints").EnumerateArray().All(c => c.GetProperty("ms").ValueKind == JsonValueKind.Number);
        }, "every checkpoint of the timeline");

        Assert.Equal(rootId, timeline.GetProperty("fault_id").GetString());
        var checkpoints = timeline.GetProperty("checkpoints").EnumerateArray().ToList();
        Assert.Equal(
            ["received", "recorded", "found_affected", "marked_host_down", "set_vm_error", "notification_built"],
            checkpoints.Select(c => c.GetProperty("name").GetString()));
        var ms = checkpoints.Select(c => c.GetProperty("ms").GetDouble()).ToList();
        Assert.Equal(0, ms[0]);
        for (var i = 1; i < ms.Count; i++)
            Assert.True(ms[i] >= ms[i - 1], $"{checkpoints[i].GetProperty("name")} ({ms[i]} ms) before {checkpoints[i - 1].GetProperty("name")} ({ms[i - 1]} ms)");
        Assert.Equal(JsonValueKind.Array, timeline.GetProperty("deliveries").ValueKind);

        // A derived fault shows its root's timeline.
        var derivedId = (await Doctor.GetJsonAsync($"/v1/faults/{rootId}")).GetProperty("correlated_fault_ids")[0].GetString();
        var derived = await Doctor.GetJsonAsync($"/v1/faults/{derivedId}/timeline");
        Assert.Equal(rootId, derived.GetProperty("fault_id").GetString());
    }

    [Fact]
    public async Task Timeline_UnknownFault_Returns404()
    {
        await Problem.AssertAsync(await Doctor.GetAsync("/v1/faults/flt-nope/timeline"), 404);
    }

    private async Task<int> CountAsync(string path, string token = Admin) =>
        (await Doctor.GetJsonAsync(path, token)).GetProperty("faults").GetArrayLength();
}
