using System.Text.Json;
using Doctor.Testing;
using Doctor.OpenStack.Sync;
using Doctor.OpenStack.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Doctor.OpenStack.Tests.Sync;

/// <summary>
/// <see cref="CloudSync"/> in the running service: notifications applied while a reconciliation is reading the cloud are
/// not undone when its (older) snapshot lands.
/// </summary>
public sealed class CloudSyncTests : IAsyncLifetime
{
    private FakeCloud _cloud = null!;
    private OpenStackDoctor _doctor = null!;

    private CloudSync Sync => _doctor.App.Services.GetRequiredService<CloudSync>();

    public async Task InitializeAsync()
    {
        _cloud = await FakeCloud.StartAsync();
        _cloud.AddCompute("compute-1", "svc-1");
        _cloud.AddCompute("compute-2", "svc-2");
        _cloud.AddServer("vm-1", "tenant-a", "compute-1");
        _cloud.AddServer("vm-2", "tenant-a", "compute-1");
        _cloud.AddPort("port-2", "vm-2", "tenant-a", "compute-1");
        _doctor = await OpenStackDoctor.StartAsync(_cloud);
    }

    public async Task DisposeAsync()
    {
        _cloud.Intercept = null;
        await _doctor.DisposeAsync();
        await _cloud.DisposeAsync();
    }

    private async Task<List<string>> ServerIdsAsync() =>
        [.. (await _doctor.GetJsonAsync("/v1/servers")).GetProperty("servers").EnumerateArray().Select(s => s.GetProperty("id").GetString()!)];

    [Fact]
    public async Task RequestReconcile_NeverPeriodic_OnePassAtOnce()
    {
        // ReconcileSeconds is 0 here (only the snapshot at start), as a reconnect to RabbitMQ may find it: its request still
        // gets a pass of the loop, which brings what no notification told.
        _cloud.AddServer("vm-9", "tenant-b", "compute-2");
        var passes = await PassesAsync();

        Sync.RequestReconcile();

        await Eventually.TrueAsync(async () => (await ServerIdsAsync()).Contains("vm-9"), "the requested pass to add vm-9");
        // The map changes inside the pass, the counter right after it.
        await Eventually.TrueAsync(async () => await PassesAsync() > passes, "the pass to be counted");
        Assert.Equal(passes + 1, await PassesAsync());
        Assert.Equal(1, (await _doctor.GetJsonAsync("/v1/openstack")).GetProperty("reconciliation").GetProperty("repaired_total").GetInt64());
    }

    [Fact]
    public async Task RequestReconcile_WhileAPassRuns_FoldedIntoOneMorePass()
    {
        // The first requested pass hangs in its read of the servers; the requests made meanwhile give one more pass, not one
        // each and never one beside the running pass.
        var reads = 0;
        var inRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var concurrent = 0;
        var maxConcurrent = 0;
        _cloud.Intercept = async (_, call) =>
        {
            if (!call.Path.EndsWith("/servers/detail", StringComparison.Ordinal))
                return false;
            var now = Interlocked.Increment(ref concurrent);
            InterlockedMax(ref maxConcurrent, now);
            if (Interlocked.Increment(ref reads) == 1)
            {
                inRead.TrySetResult();
                await release.Task;
            }

            Interlocked.Decrement(ref concurrent);
            return false;
        };
        var passes = await PassesAsync();

        Sync.RequestReconcile();
        await inRead.Task.WaitAsync(Eventually.Limit);
        for (var i = 0; i < 5; i++)
            Sync.RequestReconcile();
        release.SetResult();

        await Eventually.TrueAsync(async () => await PassesAsync() == passes + 2, "the running pass and one more");
        // One more request still works (the loop waits again), and it is the only pass it causes.
        Sync.RequestReconcile();
        await Eventually.TrueAsync(async () => await PassesAsync() == passes + 3, "the pass of the last request");
        Assert.Equal(3, Volatile.Read(ref reads));
        Assert.Equal(1, Volatile.Read(ref maxConcurrent));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    private async Task<long> PassesAsync() =>
        (await _doctor.GetJsonAsync("/v1/openstack")).GetProperty("reconciliation").GetProperty("passes").GetInt64();

    [Fact]
    public async Task Reconcile_NotificationsAppliedWhileTheCloudWasRead_NotUndone()
    {
        // The read of the servers hangs until the notifications are in; it still shows the cloud as it was before them.
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _cloud.Intercept = async (_, call) =>
        {
            if (call.Path.EndsWith("/servers/detail", StringComparison.Ordinal))
            {
                reading.TrySetResult();
                await release.Task;
            }

            return false;
        };
        var reconcile = _doctor.ReconcileAsync();
        await reading.Task.WaitAsync(Eventually.Limit);

        // Meanwhile the cloud tells: vm-3 was booted on compute-2, vm-1 moved to compute-2, vm-2 and its port were deleted.
        await Sync.ApplyAsync([new CloudChange.ServerSeen("vm-3", "vm-3-name", "tenant-a", "compute-2")], "instance.create.end");
        await Sync.ApplyAsync([new CloudChange.ServerSeen("vm-1", null, null, "compute-2")], "instance.update");
        await Sync.ApplyAsync([new CloudChange.ServerGone("vm-2")], "instance.delete.end");
        await Sync.ApplyAsync([new CloudChange.PortGone("port-2")], "port.delete.end");
        // The read answers from before the notifications: the fake's lists were not changed.
        _cloud.Intercept = null;
        release.SetResult();
        await reconcile;

        Assert.Equal(["vm-1", "vm-3"], (await ServerIdsAsync()).Order(StringComparer.Ordinal));
        Assert.Equal("compute-2", (await _doctor.GetJsonAsync("/v1/servers/vm-1")).GetProperty("host").GetString());
        await OpenStackDoctor.ProblemAsync(await _doctor.GetAsync("/v1/ports/port-2"), 404);
    }

    // ---- a server evacuated off a failed host ------------------------------------------------------------------------------

    private async Task<Receiver> OwnerAsync(string project)
    {
        var receiver = await Receiver.StartAsync();
        await OpenStackDoctor.JsonAsync(await _doctor.PostAsync("/v1/subscriptions",
            new Dictionary<string, object> { ["callback_url"] = receiver.Url(project), ["project_id"] = project }), 201);
        return receiver;
    }

    private static JsonElement Notification(Receiver receiver, int index) => JsonDocument.Parse(receiver.Calls[index].Body).RootElement;

    private async Task<string> StateAsync(string path) => (await _doctor.GetJsonAsync(path)).GetProperty("state").GetString()!;

    [Fact]
    public async Task Notification_ServerEvacuatedOffTheFailedHost_OwnerToldItIsBack_HostStaysDown()
    {
        await using var owner = await OwnerAsync("tenant-a");
        await _doctor.EventAsync("compute.host.down", ("hostname", "compute-1"));
        await Eventually.TrueAsync(() => owner.Calls.Count == 1, "the fault notification");

        // Nova evacuates vm-2 to compute-2 (instance.update/rebuild end), then Neutron rebinds its port.
        await Sync.ApplyAsync([new CloudChange.ServerSeen("vm-2", null, null, "compute-2")], "instance.rebuild.end");

        await Eventually.TrueAsync(() => owner.Calls.Count == 2, "the owner told vm-2 is back");
        var back = Notification(owner, 1);
        Assert.Equal("fault_cleared", back.GetProperty("notification_type").GetString());
        var resources = back.GetProperty("resources").EnumerateArray().ToList();
        Assert.Equal(["port-2", "vm-2"], resources.Select(r => r.GetProperty("resource_id").GetString()!).Order(StringComparer.Ordinal));
        var server = resources.Single(r => r.GetProperty("resource_id").GetString() == "vm-2");
        Assert.Equal(("normal", "UP"), (server.GetProperty("state").GetString(), server.GetProperty("host_status").GetString()));
        Assert.Equal("normal", await StateAsync("/v1/servers/vm-2"));
        // Neutron had no data plane status for the port; Doctor set DOWN, then ACTIVE again, and its map follows that.
        await Eventually.TrueAsync(() => (string?)_cloud.Ports.First(p => (string?)p["id"] == "port-2")["data_plane_status"] == "ACTIVE", "Neutron's port-2 ACTIVE");
        await Eventually.TrueAsync(async () => (await _doctor.GetJsonAsync("/v1/ports/port-2")).GetProperty("data_plane_status").GetString() == "ACTIVE",
            "Doctor's port-2 ACTIVE after its call to Neutron");
        // vm-1 is still on the failed host, which stays down; the move is in the event log as Doctor's own event.
        Assert.Equal("error", await StateAsync("/v1/servers/vm-1"));
        Assert.Equal("down", await StateAsync("/v1/hosts/compute-1"));
        // Its outcome is stored with the engine's next state write, which may come after the owner was told.
        JsonElement moved = default;
        await Eventually.TrueAsync(async () =>
        {
            moved = Assert.Single((await _doctor.GetJsonAsync("/v1/events?type=doctor.server.moved")).GetProperty("events").EnumerateArray());
            return moved.GetProperty("status").GetString() != "pending";
        }, "the move's outcome to be stored");
        Assert.Equal(("inventory", "processed"), (moved.GetProperty("origin").GetString(), moved.GetProperty("status").GetString()));

        // A repeat of the same notification changes nothing and tells nobody again.
        await Sync.ApplyAsync([new CloudChange.ServerSeen("vm-2", null, null, "compute-2")], "instance.update");
        await _doctor.EventAsync("compute.host.up", ("hostname", "compute-1"));
        await Eventually.TrueAsync(() => owner.Calls.Count == 3, "the recovery notification");
        Assert.Equal(["vm-1"], Notification(owner, 2).GetProperty("resources").EnumerateArray()
            .Select(r => r.GetProperty("resource_id").GetString()!));
    }

    [Fact]
    public async Task Reconcile_EvacuationTheNotificationsMissed_ClearsItToo()
    {
        await using var owner = await OwnerAsync("tenant-a");
        await _doctor.EventAsync("compute.host.down", ("hostname", "compute-1"));
        await Eventually.TrueAsync(() => owner.Calls.Count == 1, "the fault notification");

        _cloud.Servers.First(server => (string?)server["id"] == "vm-1")["OS-EXT-SRV-ATTR:host"] = "compute-2"; // evacuated while no notification came
        await _doctor.ReconcileAsync();

        await Eventually.TrueAsync(() => owner.Calls.Count == 2, "the owner told vm-1 is back");
        Assert.Equal(["vm-1"], Notification(owner, 1).GetProperty("resources").EnumerateArray().Select(r => r.GetProperty("resource_id").GetString()!));
        Assert.Equal("normal", await StateAsync("/v1/servers/vm-1"));
        Assert.Equal("error", await StateAsync("/v1/servers/vm-2"));
    }

    [Fact]
    public async Task Notification_ServerMovedToAnotherFailedHost_StaysInError_NobodyToldAgain()
    {
        await using var owner = await OwnerAsync("tenant-a");
        await _doctor.EventAsync("compute.host.down", ("hostname", "compute-1"));
        await _doctor.EventAsync("compute.host.down", ("hostname", "compute-2"));
        await Eventually.TrueAsync(() => owner.Calls.Count == 1, "the fault notification");

        await Sync.ApplyAsync([new CloudChange.ServerSeen("vm-2", null, null, "compute-2")], "instance.update");

        Assert.Equal("error", await StateAsync("/v1/servers/vm-2"));
        Assert.Empty((await _doctor.GetJsonAsync("/v1/events?type=doctor.server.moved")).GetProperty("events").EnumerateArray());
        Assert.Single(owner.Calls);
    }

    [Fact]
    public async Task Notification_ServerBootedAndDeleted_MapFollowsAndCounts()
    {
        await Sync.ApplyAsync([new CloudChange.ServerSeen("vm-9", "new", "tenant-b", "compute-2")], "instance.create.end");
        Assert.Contains("vm-9", await ServerIdsAsync());

        await Sync.ApplyAsync([new CloudChange.ServerGone("vm-9")], "instance.delete.end");
        Assert.DoesNotContain("vm-9", await ServerIdsAsync());

        var notifications = (await _doctor.GetJsonAsync("/v1/openstack")).GetProperty("notifications");
        Assert.Equal((2L, 2L), (notifications.GetProperty("applied").GetInt64(), notifications.GetProperty("map_changes").GetInt64()));
    }
}
