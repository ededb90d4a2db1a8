using Doctor.Notification;
using Doctor.OpenStack.Actions;
using Doctor.OpenStack.Sync;
using Doctor.OpenStack.Tests.Infrastructure;
using Doctor.State;

namespace Doctor.OpenStack.Tests.Actions;

/// <summary><see cref="ControllerActions"/>: the owners' notifier first, the cloud's corrections queued behind it.</summary>
public sealed class ControllerActionsTests : IAsyncLifetime
{
    private readonly Engine _engine = new();
    private FakeCloud _cloud = null!;
    private CloudClients _clients = null!;

    public async Task InitializeAsync()
    {
        _cloud = await FakeCloud.StartAsync();
        _cloud.AddCompute("compute-1", "svc-1");
        foreach (var port in new[] { "port-a1", "port-a2", "port-b1", "port-a3" })
            _cloud.AddPort(port, "vm", "tenant-a", "compute-1");
        _clients = new CloudClients(_cloud);
    }

    public async Task DisposeAsync()
    {
        await _clients.DisposeAsync();
        await _cloud.DisposeAsync();
    }

    /// <summary>A notifier that notes what the runner had been given when it was called.</summary>
    private sealed class Owners(ActionRunner runner) : INoticeSink
    {
        public List<long> PendingWhenCalled { get; } = [];

        public void Publish(IReadOnlyList<Notice> notices, DoctorState state) => PendingWhenCalled.Add(runner.Counts.Pending);
    }

    [Fact]
    public async Task Publish_HostDown_NotifierBeforeAnyCallIsQueued()
    {
        var status = new CloudStatus();
        status.SetDataPlane(true);
        var owners = new Owners(_clients.Runner);
        var sink = new ControllerActions(owners, _clients.Runner, _clients.Options, status, _engine.Timelines);

        sink.Publish([_engine.HostDown("compute-1")], _engine.State);
        await _clients.Runner.WhenIdleAsync();

        Assert.Equal([0L], owners.PendingWhenCalled);
        Assert.Single(_cloud.CallsTo("PUT", "/os-services/svc-1"));
        Assert.Equal(4, _cloud.CallsTo("PUT", "/v2.0/ports/").Count);
    }

    [Fact]
    public async Task Publish_NeutronWithoutTheExtension_NoPortCalls()
    {
        var status = new CloudStatus();
        status.SetDataPlane(false);
        var sink = new ControllerActions(new Owners(_clients.Runner), _clients.Runner, _clients.Options, status, _engine.Timelines);

        sink.Publish([_engine.HostDown("compute-1")], _engine.State);
        await _clients.Runner.WhenIdleAsync();

        Assert.Single(_cloud.Writes);
    }

    [Fact]
    public async Task Publish_NoNoticeNoCall()
    {
        var sink = new ControllerActions(new Owners(_clients.Runner), _clients.Runner, _clients.Options, new CloudStatus(), _engine.Timelines);

        sink.Publish([], _engine.State);
        await _clients.Runner.WhenIdleAsync();

        Assert.Empty(_cloud.Calls);
    }
}
