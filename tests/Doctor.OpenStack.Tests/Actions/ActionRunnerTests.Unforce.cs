using System.Text.Json.Nodes;
using Doctor.OpenStack.Actions;
using Doctor.OpenStack.Tests.Infrastructure;
using Doctor.Profiling;
using Doctor.Testing;
using Microsoft.AspNetCore.Http;

namespace Doctor.OpenStack.Tests.Actions;

/// <summary><see cref="ActionRunner"/>: Nova refusing to un-force a host with finished evacuations.</summary>
public sealed partial class ActionRunnerTests
{
    // ---- Nova's un-force refusal ------------------------------------------------------------------------------------------

    private void RefuseUnforce(int times)
    {
        var left = times;
        _cloud.Intercept = async (context, call) =>
        {
            if (!IsForceDown(call, false) || Interlocked.Decrement(ref left) < 0)
                return false;
            await FakeCloud.WriteAsync(context, 400, new JsonObject { ["badRequest"] = new JsonObject { ["code"] = 400, ["message"] = Refusal } });
            return true;
        };
    }

    [Fact]
    public async Task Unforce_RefusedForFinishedEvacuations_AskedAgainEveryUnforceRetrySecondsAndListedUntilItSucceeds()
    {
        RefuseUnforce(3);
        var timeline = NewTimeline();

        var run = Runner.Enqueue(ForceDown("compute-1", false, timeline));
        await Eventually.TrueAsync(() => Runner.Counts.WaitingToUnforce.ContainsKey("compute-1"), "compute-1 listed as waiting to un-force");

        Assert.Contains("evacuation", Runner.Counts.WaitingToUnforce["compute-1"]);
        Assert.Single(ForcedDownCalls()); // a refusal is not one of the quick retries
        Assert.Equal(1L, Runner.Counts.Pending);
        _time.Advance(TimeSpan.FromSeconds(9));
        await Task.Delay(20);
        Assert.Single(ForcedDownCalls()); // not before UnforceRetrySeconds
        await Eventually.AdvanceUntilAsync(_time, () => ForcedDownCalls().Count == 2, "the second attempt", TimeSpan.FromSeconds(1));
        await Eventually.AdvanceUntilAsync(_time, () => run.IsCompleted, "the un-force to succeed", TimeSpan.FromSeconds(10));

        Assert.Equal([false, false, false, false], ForcedDownCalls());
        Assert.Empty(Runner.Counts.WaitingToUnforce);
        Assert.Equal((1L, 0L, 0L), (Runner.Counts.Succeeded, Runner.Counts.Failed, Runner.Counts.Pending));
        var calls = timeline.ControllerCalls.ToList();
        Assert.Equal(2, calls.Count); // the first refusal (once, not per attempt) and the success
        Assert.False(calls[0].Succeeded);
        Assert.Contains("restarts", calls[0].Error);
        Assert.True(calls[1].Succeeded);
    }

    [Fact]
    public async Task Unforce_RefusedLongerThanUnforceGiveUpHours_GivenUp()
    {
        _clients.Options.UnforceGiveUpHours = 0.01; // 36 s
        RefuseUnforce(int.MaxValue);
        var timeline = NewTimeline();

        var run = Runner.Enqueue(ForceDown("compute-1", false, timeline));
        await Eventually.AdvanceUntilAsync(_time, () => run.IsCompleted, "the un-force to be given up", TimeSpan.FromSeconds(10));

        Assert.Empty(Runner.Counts.WaitingToUnforce);
        Assert.Equal((0L, 1L), (Runner.Counts.Succeeded, Runner.Counts.Failed));
        Assert.Contains("given up", timeline.ControllerCalls.Last().Error);
        Assert.InRange(ForcedDownCalls().Count, 4, 6);
    }

    [Fact]
    public async Task Unforce_WaitingWhenTheHostFailsAgain_TheForceDownGoesAtOnceAndTheWaitingEnds()
    {
        RefuseUnforce(int.MaxValue);

        _ = Runner.Enqueue(ForceDown("compute-1", false));
        await Eventually.TrueAsync(() => Runner.Counts.WaitingToUnforce.ContainsKey("compute-1"), "the refusal");
        var down = Runner.Enqueue(ForceDown("compute-1", true));

        await Eventually.TrueAsync(() => down.IsCompleted, "the force-down without waiting for the un-force pace");
        Assert.Equal([false, true], ForcedDownCalls());
        Assert.Empty(Runner.Counts.WaitingToUnforce);
        Assert.Equal(0L, Runner.Counts.Pending);
    }

    [Fact]
    public async Task Unforce_OtherBadRequest_FailsAtOnceNotListed()
    {
        Answer(c => IsForceDown(c, false), 400, """{"badRequest":{"code":400,"message":"Invalid input for field/attribute forced_down."}}""");

        _ = Runner.Enqueue(ForceDown("compute-1", false));
        await IdleAsync();

        Assert.Single(ForcedDownCalls());
        Assert.Empty(Runner.Counts.WaitingToUnforce);
        Assert.Equal(1L, Runner.Counts.Failed);
    }
}
