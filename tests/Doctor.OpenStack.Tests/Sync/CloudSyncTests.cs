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
