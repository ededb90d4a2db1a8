using System.Text.Json.Nodes;
using Doctor.OpenStack.Actions;
using Doctor.OpenStack.Tests.Infrastructure;
using Doctor.Profiling;
using Doctor.Testing;
using Microsoft.AspNetCore.Http;

namespace Doctor.OpenStack.Tests.Actions;

/// <summary>
/// <see cref="ActionRunner"/> against a fake Nova and Neutron: bounded calls in flight, per-target order, retries of
/// what may pass and not of what will not, a newer decision ending an older one's retries, Nova's refusal to un-force a
/// host with finished evacuations, and every outcome on the fault's timeline. Backoff and the un-force pace run on a
/// manual clock; nothing here waits on the wall clock except for background work to happen.
/// </summary>
public sealed partial class ActionRunnerTests : IAsyncLifetime
{
    private const string Refusal = "Unable to force up host compute-1 as 'done' evacuation migration records remain associated with the host. Ensure the compute service has been restarted, allowing these records to be cleaned up.";

    private readonly ManualTimeProvider _time = new();
    private FakeCloud _cloud = null!;
    private CloudClients _clients = null!;

    private ActionRunner Runner => _clients.Runner;

    public async Task InitializeAsync()
    {
        _cloud = await FakeCloud.StartAsync(_time);
        _cloud.AddCompute("compute-1", "svc-1");
        _cloud.AddCompute("compute-2", "svc-2");
        _cloud.AddServer("vm-1", "tenant-a", "compute-1");
        for (var i = 0; i < 12; i++)
            _cloud.AddPort($"port-{i}", "vm-1", "tenant-a", "compute-1");
        _clients = new CloudClients(_cloud, o =>
        {
            o.ActionConcurrency = 3;
            o.ActionAttempts = 4;
            o.UnforceRetrySeconds = 10;
        });
    }

    public async Task DisposeAsync()
    {
        _cloud.Intercept = null;
        await _clients.DisposeAsync();
        await _cloud.DisposeAsync();
    }

    private static ControllerAction ForceDown(string host, bool down, Timeline? timeline = null) =>
        new(ActionKind.ForceDown, host, down ? "true" : "false", host == "compute-1" ? "svc-1" : "svc-2", timeline);

    private static ControllerAction DataPlane(string port, string status) => new(ActionKind.DataPlaneStatus, port, status, null, null);

    private IReadOnlyList<bool> ForcedDownCalls(string serviceId = "svc-1") =>
        [.. _cloud.CallsTo("PUT", "/os-services/" + serviceId).Select(c => c.Json!["forced_down"]!.GetValue<bool>())];

    private static Timeline NewTimeline(string faultId = "flt-1") => new(faultId, 1, 2);

    /// <summary>Answers the matching requests with <paramref name="status"/> and <paramref name="body"/> while <paramref name="when"/> says so.</summary>
    private void Answer(Func<CloudCall, bool> when, int status, string body = "{}") => _cloud.Intercept = async (context, call) =>
    {
        if (!when(call))
            return false;
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
        return true;
    };

    private static bool IsForceDown(CloudCall c, bool value) =>
        c.Method == "PUT" && c.Path.Contains("/os-services/", StringComparison.Ordinal) && c.Json?["forced_down"]?.GetValue<bool>() == value;

    private async Task IdleAsync()
    {
        var idle = Runner.WhenIdleAsync();
        await Eventually.AdvanceUntilAsync(_time, () => idle.IsCompleted, "every call to finish", TimeSpan.FromSeconds(1));
        await idle;
    }

    // ---- memory per target ----------------------------------------------------------------------------------------------

    [Fact]
    public async Task Finished_CallsForManyTargets_LeaveOnlyWhatARecoveryNeeds()
    {
        for (var i = 0; i < 12; i++)
            _ = Runner.Enqueue(DataPlane($"port-{i}", "DOWN"));
        _ = Runner.Enqueue(ForceDown("compute-1", true));
        await IdleAsync();

        // Kept: the 12 ports' DOWN (their recovery must set ACTIVE even if Doctor's own value went back to unknown) and
        // when compute-1's force-down ended (reconciliation compares it with its read). Nothing else.
        Assert.Equal(13, Runner.Tracked);
        Assert.Equal("DOWN", Runner.LastDecided(ActionKind.DataPlaneStatus, "port-3"));
        Assert.NotNull(Runner.LastFinished(ActionKind.ForceDown, "compute-1"));
        Assert.False(Runner.IsBusy(ActionKind.ForceDown, "compute-1"));

        for (var i = 0; i < 12; i++)
            _ = Runner.Enqueue(DataPlane($"port-{i}", "ACTIVE"));
        _ = Runner.Enqueue(ForceDown("compute-1", false));
        await IdleAsync();

        Assert.Equal(1, Runner.Tracked); // compute-1's last finish only
        Assert.Null(Runner.LastDecided(ActionKind.DataPlaneStatus, "port-3"));
        Assert.Equal([true, false], ForcedDownCalls());
    }

    // ---- concurrency and order ----------------------------------------------------------------------------------------

    [Fact]
    public async Task Enqueue_ManyTargets_NeverMoreThanActionConcurrencyInFlight()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inFlight = 0;
        var most = 0;
        _cloud.Intercept = async (_, call) =>
        {
            if (call.Method != "PUT")
                return false;
            var now = Interlocked.Increment(ref inFlight);
            lock (gate)
                most = Math.Max(most, now);
            await gate.Task;
            Interlocked.Decrement(ref inFlight);
            return false; // the fake answers
        };

        for (var i = 0; i < 12; i++)
            _ = Runner.Enqueue(DataPlane($"port-{i}", "DOWN"));
        await Eventually.TrueAsync(() => Volatile.Read(ref inFlight) == 3, "three calls in flight");
        Assert.Equal(3, _cloud.CallsTo("PUT", "/v2.0/ports/").Count); // the fourth waits for a slot
        gate.SetResult();
        await IdleAsync();

        Assert.Equal(3, most);
        Assert.Equal(12, _cloud.CallsTo("PUT", "/v2.0/ports/").Count);
        Assert.All(_cloud.Ports, p => Assert.Equal("DOWN", (string?)p["data_plane_status"]));
        Assert.Equal((12L, 0L, 0L), (Runner.Counts.Succeeded, Runner.Counts.Failed, Runner.Counts.Pending));
    }

    [Fact]
    public async Task Enqueue_ServerAndPortSlotsFull_HostForceDownDoesNotWait()
    {
        // Found by `doctor bench openstack` at 50 VMs: with one pool of slots a host's force-down sometimes queued behind
        // its servers' reset-states and reached Nova 4–5 s late. A host's calls have slots of their own.
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _cloud.Intercept = async (_, call) =>
        {
            if (call.Path.Contains("/v2.0/ports/", StringComparison.Ordinal))
                await gate.Task;
            return false;
        };

        for (var i = 0; i < 12; i++)
            _ = Runner.Enqueue(DataPlane($"port-{i}", "DOWN"));
        await Eventually.TrueAsync(() => _cloud.CallsTo("PUT", "/v2.0/ports/").Count == 3, "the three slots taken by port calls");
        _ = Runner.Enqueue(ForceDown("compute-1", true));

        await Eventually.TrueAsync(() => (bool)_cloud.Service("compute-1")["forced_down"]!, "compute-1 forced down while nine port calls wait");
        Assert.Equal(3, _cloud.CallsTo("PUT", "/v2.0/ports/").Count);
        gate.SetResult();
        await IdleAsync();
        Assert.Equal(12, _cloud.CallsTo("PUT", "/v2.0/ports/").Count);
    }

    [Fact]
    public async Task ActionAttemptsOne_NoRetries_CallFailsAfterOneAttempt()
    {
        // ActionAttempts = 1 is a valid setting; Polly's retry strategy refuses MaxRetryAttempts = 0, which made the runner's
        // constructor throw and OpenStack mode fail to start.
        await using var clients = new CloudClients(_cloud, o => o.ActionAttempts = 1);
        Answer(c => IsForceDown(c, true), 503, """{"error": "busy"}""");

        await clients.Runner.Enqueue(ForceDown("compute-1", true)).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([true], ForcedDownCalls());
        Assert.Equal((0L, 1L), (clients.Runner.Counts.Succeeded, clients.Runner.Counts.Failed));
    }

    [Fact]
    public async Task Enqueue_DownThenUpForOneHost_ArriveInThatOrder()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _cloud.Intercept = async (_, call) =>
        {
            if (IsForceDown(call, true))
                await gate.Task;
            return false;
        };

        _ = Runner.Enqueue(ForceDown("compute-1", true));
        await Eventually.TrueAsync(() => ForcedDownCalls().Count == 1, "the force-down to reach Nova");
        _ = Runner.Enqueue(ForceDown("compute-1", false));
        Assert.True(Runner.IsBusy(ActionKind.ForceDown, "compute-1"));
        gate.SetResult();
        await IdleAsync();

        Assert.Equal([true, false], ForcedDownCalls());
        Assert.False((bool)_cloud.Service("compute-1")["forced_down"]!);
        Assert.False(Runner.IsBusy(ActionKind.ForceDown, "compute-1"));
    }

    [Fact]
    public async Task Enqueue_DecisionsForTwoHosts_OneHostsSlowCallDoesNotHoldTheOther()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _cloud.Intercept = async (_, call) =>
        {
            if (call.Path.EndsWith("/svc-1", StringComparison.Ordinal))
                await gate.Task;
            return false;
        };

        _ = Runner.Enqueue(ForceDown("compute-1", true));
        _ = Runner.Enqueue(ForceDown("compute-2", true));

        await Eventually.TrueAsync(() => (bool)_cloud.Service("compute-2")["forced_down"]!, "compute-2 forced down while compute-1's call hangs");
        gate.SetResult();
        await IdleAsync();
        Assert.True((bool)_cloud.Service("compute-1")["forced_down"]!);
    }

    [Fact]
    public async Task Enqueue_ThreeQuickDecisions_TheLastOneWinsAndOrderHolds()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _cloud.Intercept = async (_, call) =>
        {
            if (IsForceDown(call, true) && ForcedDownCalls().Count == 1)
                await gate.Task;
            return false;
        };

        _ = Runner.Enqueue(ForceDown("compute-1", true));
        await Eventually.TrueAsync(() => ForcedDownCalls().Count == 1, "the first call to reach Nova");
        _ = Runner.Enqueue(ForceDown("compute-1", false));
        _ = Runner.Enqueue(ForceDown("compute-1", true));
        gate.SetResult();
        await IdleAsync();

        // The middle decision was replaced before it started: it is never sent, and the last one arrives last.
        Assert.Equal([true, true], ForcedDownCalls());
        Assert.True((bool)_cloud.Service("compute-1")["forced_down"]!);
    }

    [Fact]
    public async Task Enqueue_DecisionReplacedWhileWaitingForASlot_NeverSent()
    {
        _clients.Options.ActionConcurrency = 1;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _cloud.Intercept = async (_, call) =>
        {
            if (call.Path.EndsWith("/os-services/svc-2", StringComparison.Ordinal))
                await gate.Task;
            return false;
        };

        _ = Runner.Enqueue(ForceDown("compute-2", true)); // holds the only host slot
        await Eventually.TrueAsync(() => ForcedDownCalls("svc-2").Count == 1, "the slot to be taken");
        _ = Runner.Enqueue(ForceDown("compute-1", true));
        _ = Runner.Enqueue(ForceDown("compute-1", false));
        gate.SetResult();
        await IdleAsync();

        Assert.Equal([false], ForcedDownCalls());
    }

    // ---- retries ------------------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(409)]
    [InlineData(429)]
    public async Task Call_TransientErrors_RetriedUntilItSucceeds(int status)
    {
        var failures = 2;
        _cloud.Intercept = async (context, call) =>
        {
            if (!IsForceDown(call, true) || Interlocked.Decrement(ref failures) < 0)
                return false;
            await FakeCloud.WriteAsync(context, status, new JsonObject { ["computeFault"] = new JsonObject { ["message"] = "try again" } });
            return true;
        };
        var timeline = NewTimeline();

        _ = Runner.Enqueue(ForceDown("compute-1", true, timeline));
        await IdleAsync();

        Assert.Equal([true, true, true], ForcedDownCalls());
        Assert.Equal((1L, 0L), (Runner.Counts.Succeeded, Runner.Counts.Failed));
        var call = Assert.Single(timeline.ControllerCalls);
        Assert.Equal(("nova.force_down=true", "compute-1", true), (call.Action, call.Target, call.Succeeded));
    }

    [Fact]
    public async Task Call_AlwaysFailing_GivenUpAfterActionAttemptsAndRecorded()
    {
        Answer(c => IsForceDown(c, true), 500, """{"computeFault":{"code":500,"message":"Unexpected API Error."}}""");
        var timeline = NewTimeline();

        _ = Runner.Enqueue(ForceDown("compute-1", true, timeline));
        await IdleAsync();

        Assert.Equal(4, ForcedDownCalls().Count);
        Assert.Equal((0L, 1L, 0L), (Runner.Counts.Succeeded, Runner.Counts.Failed, Runner.Counts.Pending));
        var call = Assert.Single(timeline.ControllerCalls);
        Assert.False(call.Succeeded);
        Assert.Contains("500", call.Error);
        Assert.Contains("Unexpected API Error", call.Error);
    }

    [Fact]
    public async Task Call_Timeout_Retried()
    {
        _clients.Options.CallTimeoutSeconds = 1;
        var hung = 0;
        _cloud.Intercept = async (context, call) =>
        {
            if (!IsForceDown(call, true) || Interlocked.Increment(ref hung) > 1)
                return false;
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, context.RequestAborted); // never answers; the client gives up
            }
            catch (OperationCanceledException)
            {
            }

            return true;
        };
        var timeline = NewTimeline();

        _ = Runner.Enqueue(ForceDown("compute-1", true, timeline));
        await IdleAsync();

        Assert.True(ForcedDownCalls().Count >= 2, "the call that got no answer was tried again");
        Assert.True(Assert.Single(timeline.ControllerCalls).Succeeded);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(422)]
    public async Task Call_ClientErrors_NotRetried(int status)
    {
        Answer(c => IsForceDown(c, true), status, $$$"""{"badRequest":{"code":{{{status}}},"message":"Invalid input for field/attribute forced_down."}}""");
        var timeline = NewTimeline();

        _ = Runner.Enqueue(ForceDown("compute-1", true, timeline));
        await IdleAsync();

        Assert.Single(ForcedDownCalls());
        Assert.Equal(1L, Runner.Counts.Failed);
        var call = Assert.Single(timeline.ControllerCalls);
        Assert.False(call.Succeeded);
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), call.Error);
    }

    [Fact]
    public async Task Enqueue_NewerDecisionWhileTheOlderRetries_EndsTheRetriesAtOnce()
    {
        // Nova keeps failing the force-down; the host recovers meanwhile. The recovery must not wait for the force-down's
        // backoff (here it never elapses: the clock does not move).
        Answer(c => IsForceDown(c, true), 503, """{"computeFault":{"message":"busy"}}""");
        var first = NewTimeline("flt-down");

        _ = Runner.Enqueue(ForceDown("compute-1", true, first));
        await Eventually.TrueAsync(() => ForcedDownCalls().Count == 1, "the first attempt");
        var up = Runner.Enqueue(ForceDown("compute-1", false));

        await Eventually.TrueAsync(() => up.IsCompleted, "the newer decision to run without the clock moving");
        Assert.Equal([true, false], ForcedDownCalls());
        Assert.False((bool)_cloud.Service("compute-1")["forced_down"]!);
        var replaced = Assert.Single(first.ControllerCalls);
        Assert.False(replaced.Succeeded);
        Assert.Contains("newer decision", replaced.Error);
        Assert.Equal((1L, 0L, 0L), (Runner.Counts.Succeeded, Runner.Counts.Failed, Runner.Counts.Pending));
    }

    // ---- what is sent -------------------------------------------------------------------------------------------------

    [Fact]
    public async Task Calls_SendWhatNovaAndNeutronExpect()
    {
        var timeline = NewTimeline();

        _ = Runner.Enqueue(ForceDown("compute-1", true, timeline));
        _ = Runner.Enqueue(new ControllerAction(ActionKind.ResetState, "vm-1", "error", null, timeline));
        _ = Runner.Enqueue(new ControllerAction(ActionKind.DataPlaneStatus, "port-3", "DOWN", null, timeline));
        _ = Runner.Enqueue(new ControllerAction(ActionKind.ServiceStatus, "compute-2", "disabled", "svc-2", timeline));
        await IdleAsync();

        var force = Assert.Single(_cloud.CallsTo("PUT", "/os-services/svc-1"));
        Assert.Equal("""{"forced_down":true}""", force.Body);
        Assert.Equal("compute 2.53", force.Header("OpenStack-API-Version"));
        Assert.StartsWith("svc-", force.Header("X-Auth-Token"));
        var reset = Assert.Single(_cloud.CallsTo("POST", "/servers/vm-1/action"));
        Assert.Equal("""{"os-resetState":{"state":"error"}}""", reset.Body);
        var port = Assert.Single(_cloud.CallsTo("PUT", "/v2.0/ports/port-3"));
        Assert.Equal("""{"port":{"data_plane_status":"DOWN"}}""", port.Body);
        Assert.Null(port.Header("OpenStack-API-Version"));
        var status = Assert.Single(_cloud.CallsTo("PUT", "/os-services/svc-2"));
        Assert.Equal("disabled", status.Json!["status"]!.GetValue<string>());
        Assert.Equal(4, timeline.ControllerCalls.Count);
        Assert.All(timeline.ControllerCalls, c => Assert.True(c.Succeeded, c.Error));
    }

    private ControllerAction Reset(string server, string state) => new(ActionKind.ResetState, server, state, null, null);

    private IReadOnlyList<string> Resets(string server) =>
        [.. _cloud.CallsTo("POST", $"/servers/{server}/action").Select(c => c.Json!["os-resetState"]!["state"]!.GetValue<string>())];

    [Theory]
    [InlineData("SHUTOFF")]
    [InlineData("PAUSED")]
    [InlineData("ERROR")]
    [InlineData("BUILD")]
    public async Task ResetState_ServerNotActiveInNova_LeftAloneAtTheFaultAndAtTheRecovery(string status)
    {
        _cloud.AddServer("vm-x", "tenant-a", "compute-1", status: status);

        _ = Runner.Enqueue(Reset("vm-x", "error"));
        await IdleAsync();
        _ = Runner.Enqueue(Reset("vm-x", "active"));
        await IdleAsync();

        Assert.Empty(Resets("vm-x"));
        Assert.Equal(2L, Runner.Counts.Succeeded);
    }

    [Fact]
    public async Task ResetState_ActiveServer_ToErrorAndBack()
    {
        _cloud.Intercept = (_, call) =>
        {
            if (call.Method == "POST" && call.Path.EndsWith("/vm-1/action", StringComparison.Ordinal))
                _cloud.Servers.Single(s => (string?)s["id"] == "vm-1")["status"] = call.Json!["os-resetState"]!["state"]!.GetValue<string>().ToUpperInvariant();
            return Task.FromResult(false);
        };

        _ = Runner.Enqueue(Reset("vm-1", "error"));
        await IdleAsync();
        _ = Runner.Enqueue(Reset("vm-1", "active"));
        await IdleAsync();

        Assert.Equal(["error", "active"], Resets("vm-1"));
    }

    [Fact]
    public async Task ResetState_ActiveAfterARestart_ServerInErrorResetAsBefore()
    {
        // A new runner (Doctor restarted between the fault and the recovery) has no memory: a server in ERROR goes back to active.
        _cloud.AddServer("vm-e", "tenant-a", "compute-1", status: "ERROR");

        _ = Runner.Enqueue(Reset("vm-e", "active"));
        await IdleAsync();

        Assert.Equal(["active"], Resets("vm-e"));
    }

    [Fact]
    public async Task ResetState_ServerDeletedMeanwhile_NoCallNoFailure()
    {
        _ = Runner.Enqueue(Reset("vm-gone", "error"));
        await IdleAsync();

        Assert.Empty(_cloud.CallsTo("POST", "/action"));
        Assert.Equal((1L, 0L), (Runner.Counts.Succeeded, Runner.Counts.Failed));
    }

    [Fact]
    public async Task DisposeAsync_WhileACallRetries_StopsWithoutThrowing()
    {
        Answer(c => IsForceDown(c, true), 503);
        var run = Runner.Enqueue(ForceDown("compute-1", true));
        await Eventually.TrueAsync(() => ForcedDownCalls().Count == 1, "the first attempt");

        await Runner.DisposeAsync();

        await Eventually.TrueAsync(() => run.IsCompleted, "the run to end");
        Assert.Equal(0L, Runner.Counts.Pending);
    }
}
