using Doctor.Testing;
namespace Doctor.OpenStack.Tests.Maintenance;

/// <summary>Maintenance migrations carried out in a fake Nova over loopback HTTP, on a manual clock.</summary>
public sealed class NovaMigratorTests : IAsyncLifetime
{
    private NovaMaintenanceRig _rig = null!;

    public async Task InitializeAsync() => _rig = await NovaMaintenanceRig.StartAsync();

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    [Fact]
    public async Task Migrate_ColdMigration_CallsMigrateToTheTargetConfirmsAndReportsTheTarget()
    {
        _rig.Nova.AddServer("vm-1", "fake-a");
        var call = _rig.Call("vm-1", "MIGRATE", "fake-a", "fake-b");

        var report = await _rig.MigrateAsync(call);

        Assert.True(report.Succeeded, report.Detail);
        Assert.Equal(("s-1", "vm-1", call.StartedAt, "fake-b"), (report.SessionId, report.InstanceId, report.StartedAt, report.Host));
        Assert.Contains("ACTIVE on fake-b", report.Detail);
        Assert.Equal(["POST migrate fake-b vm-1 (compute 2.56)", "POST confirmResize vm-1 (compute 2.56)"], _rig.Nova.Calls);
        Assert.Equal(("ACTIVE", null, "fake-b"), _rig.Nova.ServerOf("vm-1"));
    }

    [Fact]
    public async Task Migrate_LiveMigration_CallsMigrateLiveAndNeedsNoConfirm()
    {
        _rig.Nova.AddServer("vm-1", "fake-a");

        var report = await _rig.MigrateAsync(_rig.Call("vm-1", "LIVE_MIGRATE", "fake-a", "fake-b"));

        Assert.True(report.Succeeded, report.Detail);
        Assert.Equal("fake-b", report.Host);
        Assert.Contains("live migration", report.Detail);
        Assert.Equal(["POST os-migrateLive fake-b vm-1 (compute 2.56)"], _rig.Nova.Calls);
    }

    [Fact]
    public async Task Migrate_SchedulerFindsNoHost_FailsWithNovasReasonFromTheInstanceAction()
    {
        _rig.Nova.AddServer("vm-1", "fake-a", Behaviour.NoValidHost);

        var report = await _rig.MigrateAsync(_rig.Call("vm-1", "MIGRATE", "fake-a", "fake-b"));

        Assert.False(report.Succeeded);
        Assert.Null(report.Host);
        Assert.Contains("Nova left the server on fake-a", report.Detail);
        Assert.Contains("No valid host was found", report.Detail);
        Assert.Contains("GET instance action req-1", _rig.Nova.Calls); // the request id of the migrate call names Nova's record
    }

    [Fact]
    public async Task Migrate_NovaRefusesTheCall_FailsAtOnceWithItsMessage()
    {
        _rig.Nova.AddServer("vm-1", "fake-a", Behaviour.Refused);

        var report = await _rig.MigrateAsync(_rig.Call("vm-1", "LIVE_MIGRATE", "fake-a", "fake-x"));

        Assert.False(report.Succeeded);
        Assert.Contains("Nova refused the live migration to fake-x", report.Detail);
        Assert.Contains("400", report.Detail);
        Assert.Contains("Compute host fake-x could not be found.", report.Detail);
        Assert.Single(_rig.Nova.Calls); // a 4xx is not retried
    }

    [Fact]
    public async Task Migrate_ServerEndsInError_FailsWithTheFault()
    {
        _rig.Nova.AddServer("vm-1", "fake-a", Behaviour.Error);

        var report = await _rig.MigrateAsync(_rig.Call("vm-1", "LIVE_MIGRATE", "fake-a", "fake-b"));

        Assert.False(report.Succeeded);
        Assert.Contains("Nova put the server in ERROR", report.Detail);
        Assert.Contains("disk copy failed", report.Detail);
    }

    [Fact]
    public async Task Migrate_NeverEnds_FailsAtTheTimeoutSayingWhereNovaIs()
    {
        _rig.Nova.AddServer("vm-1", "fake-a", Behaviour.Stuck);
        var call = _rig.Call("vm-1", "MIGRATE", "fake-a", "fake-b");

        var report = await _rig.MigrateAsync(call);

        Assert.False(report.Succeeded);
        Assert.Contains("did not complete within 30 s", report.Detail);
        Assert.Contains("RESIZE, task_state resize_prep, on fake-a", report.Detail);
        Assert.True(_rig.Clock.GetUtcNow() >= call.StartedAt.AddSeconds(30));
        Assert.True(_rig.Clock.GetUtcNow() < call.StartedAt.AddSeconds(30.3)); // the last wait ends at the deadline, not after it
    }

    [Fact]
    public async Task Migrate_NothingHeardOfTheServer_ReadsLessAndLessOften_UpToTheLongestWait()
    {
        _rig.Nova.AddServer("vm-1", "fake-a", Behaviour.Stuck);

        await _rig.MigrateAsync(_rig.Call("vm-1", "LIVE_MIGRATE", "fake-a", "fake-b"));

        // 30 s at 0.25 s would be 120 reads; waits of 0.25, 0.5, 1, then 2 s: 1 + 3 + ~14.
        Assert.InRange(_rig.Nova.Reads, 15, 20);
        Assert.Equal(0, _rig.Changes.Waiting);
    }

    [Fact]
    public async Task Migrate_EachNotificationAboutTheServer_ReadsItAtOnce_DoneWithoutWaitingForThePoll()
    {
        _rig.Nova.AddServer("vm-1", "fake-a"); // live: MIGRATING, then ACTIVE on the target, one step per read
        var started = _rig.Clock.GetUtcNow();
        var run = Task.Run(() => _rig.Migrator.RunAsync(_rig.Call("vm-1", "LIVE_MIGRATE", "fake-a", "fake-b"), false, CancellationToken.None));

        // The clock never moves: only the notifications the sync would pass on make the migrator read Nova again.
        for (var i = 0; i < 2_000 && !run.IsCompleted; i++)
        {
            if (_rig.Clock.PendingTimers > 0)
                _rig.Changes.Changed("vm-1");
            await Task.WhenAny(run, Task.Delay(2));
        }

        var report = await Eventually.Within(run, "the migration to end");
        Assert.True(report.Succeeded, report.Detail);
        Assert.Equal("fake-b", report.Host);
        Assert.Equal(started, _rig.Clock.GetUtcNow());
        Assert.Equal(0, _rig.Changes.Waiting); // nothing kept for a server nobody follows
    }

    [Fact]
    public async Task Migrate_NovaUnavailableForAMoment_RetriesTheCall()
    {
        _rig.Nova.AddServer("vm-1", "fake-a", Behaviour.Unavailable);

        var report = await _rig.MigrateAsync(_rig.Call("vm-1", "MIGRATE", "fake-a", "fake-b"));

        Assert.True(report.Succeeded, report.Detail);
        Assert.Equal(2, _rig.Nova.Calls.Count(c => c.StartsWith("POST migrate", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Migrate_AnswerLostAfterNovaAcceptedIt_FollowsTheMigrationInsteadOfAskingAgain()
    {
        _rig.Nova.AddServer("vm-1", "fake-a", Behaviour.AnswerLost);

        var report = await _rig.MigrateAsync(_rig.Call("vm-1", "MIGRATE", "fake-a", "fake-b"));

        Assert.True(report.Succeeded, report.Detail);
        Assert.Single(_rig.Nova.Calls, c => c.StartsWith("POST migrate", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Migrate_StoppedServer_IsColdMigratedAndEndsStoppedOnTheTarget()
    {
        _rig.Nova.AddServer("vm-1", "fake-a", status: "SHUTOFF");

        var report = await _rig.MigrateAsync(_rig.Call("vm-1", "MIGRATE", "fake-a", "fake-b"));

        Assert.True(report.Succeeded, report.Detail);
        Assert.Contains("SHUTOFF on fake-b", report.Detail);
        Assert.Equal(("SHUTOFF", null, "fake-b"), _rig.Nova.ServerOf("vm-1"));
    }

    [Fact]
    public async Task Migrate_NovaConflictThatDoesNotPass_FailsWithItsMessageAfterTheAttempts()
    {
        _rig.Nova.AddServer("vm-1", "fake-a", status: "SHUTOFF"); // a stopped server cannot be live migrated

        var report = await _rig.MigrateAsync(_rig.Call("vm-1", "LIVE_MIGRATE", "fake-a", "fake-b"));

        Assert.False(report.Succeeded);
        Assert.Contains("Nova refused the live migration to fake-b", report.Detail);
        Assert.Contains("409", report.Detail);
        Assert.Contains("vm_state stopped", report.Detail);
        Assert.Equal(3, _rig.Nova.Calls.Count); // Doctor:OpenStack:ActionAttempts (3 here): a 409 may pass, so it is retried
    }

    [Fact]
    public async Task Migrate_ServerDeletedMeanwhile_Fails()
    {
        var report = await _rig.MigrateAsync(_rig.Call("vm-gone", "MIGRATE", "fake-a", "fake-b"));

        Assert.False(report.Succeeded);
        Assert.Contains("404", report.Detail);
    }

    [Fact]
    public async Task Resume_AlreadyOnTheTarget_ReportsDoneWithoutAnyCall()
    {
        _rig.Nova.AddServer("vm-1", "fake-b");

        var report = await _rig.MigrateAsync(_rig.Call("vm-1", "LIVE_MIGRATE", "fake-a", "fake-b"), resume: true);

        Assert.True(report.Succeeded, report.Detail);
        Assert.Empty(_rig.Nova.Calls);
    }

    [Fact]
    public async Task Resume_WaitingInVerifyResize_ConfirmsWithoutMigratingAgain()
    {
        _rig.Nova.AddServer("vm-1", "fake-b", status: "VERIFY_RESIZE");

        var report = await _rig.MigrateAsync(_rig.Call("vm-1", "MIGRATE", "fake-a", "fake-b"), resume: true);

        Assert.True(report.Succeeded, report.Detail);
        Assert.Equal(["POST confirmResize vm-1 (compute 2.56)"], _rig.Nova.Calls);
    }

    [Fact]
    public async Task Resume_CallNeverReachedNova_StartsTheMigration()
    {
        _rig.Nova.AddServer("vm-1", "fake-a");

        var report = await _rig.MigrateAsync(_rig.Call("vm-1", "MIGRATE", "fake-a", "fake-b"), resume: true);

        Assert.True(report.Succeeded, report.Detail);
        Assert.Equal("POST migrate fake-b vm-1 (compute 2.56)", _rig.Nova.Calls[0]);
    }
}
