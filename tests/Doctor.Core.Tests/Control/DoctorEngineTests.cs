using System.Text.Json;
using Doctor.Access;
using Doctor.Core.Tests.Support;
using Doctor.Events;
using Doctor.Faults;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.Notification;
using Doctor.State;
using Doctor.Storage;
using Doctor.Storage.Sqlite;
using Doctor.Subscriptions;
using Doctor.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace Doctor.Core.Tests.Control;

public sealed class DoctorEngineTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly ManualTimeProvider _clock = new(TestMap.Start.AddMinutes(5));

    public void Dispose() => _dir.Dispose();

    private Task<EngineHarness> StartAsync(string? path = null) => EngineHarness.StartAsync(path ?? _dir.Path, _clock);

    /// <summary>Records events in the log with no engine attached: what a crash between "202" and processing leaves.</summary>
    private async Task AppendWithoutEngineAsync(string path, params RawEvent[] events)
    {
        var store = new SqliteStore(path, _clock, NullLogger<SqliteStore>.Instance);
        await store.LoadAsync(CancellationToken.None);
        await Eventually.Within(store.AppendAsync(events, 1, CancellationToken.None), "the append");
        await store.DisposeAsync();
    }

    private static RawEvent Down(string host, string id) => TestMap.HostEvent("compute.host.down", host, id);

    private static RawEvent Up(string host, string id) => TestMap.HostEvent("compute.host.up", host, id);

    private static async Task<StoredEvent> SettledAsync(IDoctorStore store, string id)
    {
        StoredEvent? stored = null;
        await Eventually.TrueAsync(
            async () => (stored = await store.GetEventAsync(id, CancellationToken.None)) is { Status: not EventStatus.Pending },
            $"the outcome of {id} to be recorded");
        return stored!;
    }

    [Fact]
    public async Task StartAsync_NewDirectory_IsReadyOnANewStore()
    {
        await using var doctor = await StartAsync();

        Assert.True(doctor.Engine.IsReady);
        Assert.True(doctor.Engine.IsNewStore);
        Assert.Equal(0, doctor.State.Map.Hosts.Count);
    }

    [Fact]
    public async Task ExecuteAsync_Command_ReturnsItsResultAndPublishesTheNewState()
    {
        await using var doctor = await StartAsync();
        var before = doctor.State;

        var result = await doctor.ExecuteAsync(editor =>
        {
            editor.Map.PutHost(TestMap.Host("compute-1"));
            return editor.Now;
        });

        Assert.Equal(_clock.GetUtcNow(), result);
        Assert.NotNull(doctor.State.Map.Hosts.Get("compute-1"));
        Assert.Null(before.Map.Hosts.Get("compute-1")); // readers holding the old version are unaffected
    }

    [Fact]
    public async Task ExecuteAsync_CommandThrows_FaultsAndKeepsNoneOfItsEdits()
    {
        await using var doctor = await StartAsync();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => doctor.ExecuteAsync<bool>(editor =>
        {
            editor.Map.PutHost(TestMap.Host("compute-1"));
            throw new InvalidOperationException("validation failed late");
        }));

        Assert.Equal("validation failed late", error.Message);
        Assert.Null(doctor.State.Map.Hosts.Get("compute-1"));
        Assert.True(await doctor.ExecuteAsync(editor => editor.Map.Host("compute-1") is null)); // the engine carries on
    }

    [Fact]
    public async Task ExecuteAsync_Completed_ChangeIsAlreadyOnDisk()
    {
        await using var doctor = await StartAsync();

        await doctor.ExecuteAsync(editor =>
        {
            editor.Tokens.Put(new Token { TokenId = "tok-1", Hash = TokenSecrets.HashOf("secret"), Role = Role.Monitor, CreatedAt = editor.Now });
            return true;
        });

        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_dir.Path, "state.db")};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM records WHERE kind = $kind AND id = 'tok-1'";
        command.Parameters.AddWithValue("$kind", (int)RowKind.Token);
        Assert.Equal(1L, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task PostAsync_HostDown_AppliesTheFaultAndHandsOneNoticeToTheNotifier()
    {
        await using var doctor = await StartAsync();
        await doctor.SeedAsync();

        await doctor.PostAsync(Down("compute-1", "e-1"));

        Assert.False(doctor.State.Map.Hosts.Get("compute-1")!.Up);
        Assert.Equal(ServerState.Error, doctor.State.Map.Servers.Get("vm-b1")!.State);
        Assert.False(doctor.State.Map.Ports.Get("port-a1")!.DataPlaneUp);
        var notice = Assert.Single(doctor.Notices.Notices);
        Assert.Equal("e-1", notice.EventId);
        Assert.Equal(8, notice.Resources.Length);
        Assert.NotNull(notice.Timeline); // a live event is profiled
        Assert.Equal(1, doctor.State.ProcessedSeq);
    }

    [Fact]
    public async Task PostAsync_SameEventTwice_ProcessedOnce()
    {
        await using var doctor = await StartAsync();
        await doctor.SeedAsync();

        await doctor.PostAsync(Down("compute-1", "e-1"));
        await doctor.PostAsync(Up("compute-1", "e-2"));
        var repeat = await doctor.PostAsync(Down("compute-1", "e-1"));

        Assert.Empty(repeat.Recorded);
        Assert.True(doctor.State.Map.Hosts.Get("compute-1")!.Up);
        Assert.Equal(2, doctor.Notices.Notices.Count);
        Assert.Equal(8, doctor.State.Faults.All.Count);
    }

    [Fact]
    public async Task WhenProcessedAsync_FutureSeq_CompletesOnlyOnceApplied()
    {
        await using var doctor = await StartAsync();
        await doctor.SeedAsync();

        var waiting = doctor.Engine.WhenProcessedAsync(1);
        Assert.False(waiting.IsCompleted);
        await doctor.Store.AppendAsync([Down("compute-1", "e-1")], 1, CancellationToken.None);

        await Eventually.Within(waiting, "event 1 to be processed");
        Assert.False(doctor.State.Map.Hosts.Get("compute-1")!.Up);
    }

    [Fact]
    public async Task WhenProcessedAsync_AlreadyProcessed_IsCompleted()
    {
        await using var doctor = await StartAsync();
        await doctor.PostAsync(Down("compute-404", "e-1"));

        Assert.True(doctor.Engine.WhenProcessedAsync(1).IsCompleted);
        Assert.True(doctor.Engine.WhenProcessedAsync(0).IsCompleted);
    }

    [Fact]
    public async Task ListEventsAsync_AfterProcessing_ShowsWhatBecameOfEachEvent()
    {
        await using var doctor = await StartAsync();
        await doctor.SeedAsync();

        await doctor.PostAsync(Down("compute-1", "e-down"), TestMap.HostEvent("compute.host.warp.core", "compute-1", "e-odd"), Up("compute-2", "e-up"));

        var down = await SettledAsync(doctor.Store, "e-down");
        var odd = await SettledAsync(doctor.Store, "e-odd");
        var up = await SettledAsync(doctor.Store, "e-up");
        var root = Assert.Single(doctor.State.Faults.All.After(null), f => f.IsRootCause);
        Assert.Equal(EventStatus.Processed, down.Status);
        Assert.Equal([root.FaultId], down.FaultIds);
        Assert.Equal(EventStatus.Ignored, odd.Status);
        Assert.Contains("no policy rule", odd.Reason);
        Assert.Equal(EventStatus.Ignored, up.Status);
        Assert.Empty(up.FaultIds);
    }

    [Fact]
    public async Task Restart_ReloadsTheMapFaultsTokensAndSubscriptions()
    {
        var filter = new SubscriptionFilter { ResourceTypes = [ResourceType.Server], MinSeverity = Severity.Major, FaultTypes = ["compute.host.*"] };
        await using (var first = await StartAsync())
        {
            await first.SeedAsync();
            await first.ExecuteAsync(editor =>
            {
                editor.Tokens.Put(new Token { TokenId = "tok-1", Hash = TokenSecrets.HashOf("s3cret"), Role = Role.Project, ProjectId = TestMap.ProjectA, CreatedAt = editor.Now });
                editor.Subscriptions.Put(TestMap.Subscription("sub-1", TestMap.ProjectA, filter, secret: "hmac-key"));
                return true;
            });
            await first.PostAsync(Down("compute-1", "e-1"));
        }

        await using var second = await StartAsync();

        var state = second.State;
        Assert.False(second.Engine.IsNewStore);
        Assert.Equal(1, state.ProcessedSeq);
        Assert.False(state.Map.Hosts.Get("compute-1")!.Up);
        Assert.True(state.Map.Hosts.Get("compute-1")!.ForcedDown);
        Assert.Equal(ServerState.Error, state.Map.Servers.Get("vm-a1")!.State);
        Assert.Equal(["vm-a1", "vm-a2", "vm-a3", "vm-b1"], state.Map.ServersByHost.Get("compute-1"));
        Assert.Equal(["port-a1", "port-a2", "port-b1"], state.Map.PortsByHost.Get("compute-1"));
        Assert.False(state.Map.Ports.Get("port-b1")!.DataPlaneUp);
        Assert.Equal(8, state.Faults.All.After(null).Count(f => f.IsActive));
        Assert.Equal(7, Assert.Single(state.Faults.All.After(null), f => f.IsRootCause).CorrelatedFaultIds.Length);
        var token = state.Tokens.Find("s3cret");
        Assert.Equal(("tok-1", Role.Project, TestMap.ProjectA), (token?.TokenId, token?.Role, token?.ProjectId));
        var subscription = state.Subscriptions.All.Get("sub-1")!;
        Assert.Equal("hmac-key", subscription.Secret);
        Assert.Equal([ResourceType.Server], subscription.Filter.ResourceTypes!.Value.ToArray());
        Assert.Equal(Severity.Major, subscription.Filter.MinSeverity);
        Assert.Equal(["compute.host.*"], subscription.Filter.FaultTypes!.Value.ToArray());
        Assert.Null(subscription.Filter.NotificationTypes);
        Assert.Equal(["sub-1"], state.Subscriptions.ByProject.Get(TestMap.ProjectA));
        Assert.Empty(second.Notices.Notices); // nothing was left to replay
    }

    [Fact]
    public async Task Restart_FaultsRecoveredAfterARestart_RestoreThePriorStates()
    {
        await using (var first = await StartAsync())
        {
            await first.SeedAsync();
            await first.PostAsync(Down("compute-1", "e-1"));
        }

        await using var second = await StartAsync();
        await second.PostAsync(Up("compute-1", "e-2"));

        Assert.True(second.State.Map.Hosts.Get("compute-1")!.Up);
        Assert.Equal(ServerState.Normal, second.State.Map.Servers.Get("vm-a1")!.State);
        Assert.Equal(ServerState.Error, second.State.Map.Servers.Get("vm-a3")!.State);
        Assert.True(second.State.Map.Ports.Get("port-a1")!.DataPlaneUp);
        Assert.DoesNotContain(second.State.Faults.All.After(null), f => f.IsActive);
    }

    [Fact]
    public async Task Restart_EventsRecordedButNotProcessed_ReplayedToTheSameFinalState()
    {
        var events = new[]
        {
            Down("compute-1", "e-1"),
            TestMap.HostEvent("compute.host.nic.down", "compute-2", "e-2"),
            TestMap.Event("compute.instance.down", "e-3", ("server_id", "vm-a4")),
            Up("compute-1", "e-4"),
        };
        using var liveDir = new TempDirectory();
        string[] live;
        await using (var doctor = await StartAsync(liveDir.Path))
        {
            await doctor.SeedAsync();
            foreach (var e in events)
                await doctor.PostAsync(e);
            live = StateSummary.Of(doctor.State);
        }

        await using (var seeded = await StartAsync())
            await seeded.SeedAsync();
        await AppendWithoutEngineAsync(_dir.Path, events);
        await using var replayed = await StartAsync();

        Assert.Equal(live, StateSummary.Of(replayed.State));
        Assert.Equal(4, replayed.State.ProcessedSeq);
        Assert.Equal(["e-1", "e-2", "e-3", "e-4"], replayed.Notices.Notices.Select(n => n.EventId));
        Assert.All(replayed.Notices.Notices, n => Assert.Null(n.Timeline));
    }

    [Fact]
    public async Task Restart_OnlyEventsAfterTheCheckpointAreReplayed()
    {
        await using (var first = await StartAsync())
        {
            await first.SeedAsync();
            await first.PostAsync(Down("compute-1", "e-1"));
        }

        await AppendWithoutEngineAsync(_dir.Path, Down("compute-2", "e-2"));
        await using var second = await StartAsync();

        Assert.Equal("e-2", Assert.Single(second.Notices.Notices).EventId);
        Assert.False(second.State.Map.Hosts.Get("compute-2")!.Up);
        Assert.Equal(2, second.State.Faults.All.After(null).Count(f => f.IsRootCause));
    }

    [Fact]
    public async Task ListEventsAsync_RecordedButNotYetProcessed_IsPendingUntilReplayed()
    {
        await using (var seeded = await StartAsync())
            await seeded.SeedAsync();
        await AppendWithoutEngineAsync(_dir.Path, Down("compute-1", "e-1"));

        var store = new SqliteStore(_dir.Path, _clock, NullLogger<SqliteStore>.Instance);
        await store.LoadAsync(CancellationToken.None);
        var pending = await store.GetEventAsync("e-1", CancellationToken.None);
        await store.DisposeAsync();
        await using var doctor = await StartAsync();

        Assert.Equal(EventStatus.Pending, pending!.Status);
        Assert.Empty(pending.FaultIds);
        var settled = await SettledAsync(doctor.Store, "e-1");
        Assert.Equal(EventStatus.Processed, settled.Status);
        Assert.Single(settled.FaultIds);
    }

    [Fact]
    public async Task Restart_NewEventsAfterARestart_GetNewFaultIds()
    {
        await using (var first = await StartAsync())
        {
            await first.SeedAsync();
            await first.PostAsync(Down("compute-1", "e-1"));
        }

        await using var second = await StartAsync();
        await second.PostAsync(Down("compute-2", "e-2"));

        var faults = second.State.Faults.All.After(null).ToList();
        Assert.Equal(8 + 3, faults.Count);
        Assert.Equal(faults.Count, faults.Select(f => f.FaultId).Distinct().Count());
        Assert.Equal(2, second.State.ProcessedSeq);
    }

    [Fact]
    public async Task AppendAsync_AfterTheEngineStopped_StillAcknowledgedAndProcessedOnTheNextStart()
    {
        // The service stops the engine before the store; an event committed in between is durable and must be
        // acknowledged, then processed at the next start.
        var doctor = await StartAsync();
        await doctor.SeedAsync();
        await doctor.Engine.DisposeAsync();

        var result = await Eventually.Within(doctor.Store.AppendAsync([Down("compute-1", "e-late")], 1, CancellationToken.None), "the append");
        await doctor.Store.DisposeAsync();
        await using var next = await StartAsync();

        Assert.Equal(["e-late"], result.EventIds);
        Assert.False(next.State.Map.Hosts.Get("compute-1")!.Up);
    }

    [Fact]
    public async Task ExecuteAsync_AfterDispose_RefusedAsUnavailable()
    {
        var doctor = await StartAsync();
        await doctor.DisposeAsync();

        await Assert.ThrowsAsync<StoreUnavailableException>(() => doctor.Engine.ExecuteAsync(_ => true));
    }

    [Fact]
    public async Task PostAsync_HostDown_EachOwnerReceivesOneSignedNotificationWithAllItsServers()
    {
        // The whole northbound path: log → engine → notifier → webhook, as a VNF manager sees it.
        using var consumers = new FakeCallbackHandler();
        using var client = new HttpClient(consumers) { Timeout = Timeout.InfiniteTimeSpan };
        EngineHarness? doctor = null;
        var dispatcher = new WebhookDispatcher(client, _clock, new DeliveryOptions(), id => doctor?.State.Subscriptions.All.Get(id), NullLogger<WebhookDispatcher>.Instance);
        await using var _ = dispatcher;
        doctor = await EngineHarness.StartAsync(_dir.Path, _clock, new Notifier(dispatcher, _clock));
        await using var __ = doctor;
        await doctor.SeedAsync();
        await doctor.ExecuteAsync(editor =>
        {
            editor.Subscriptions.Put(TestMap.Subscription("sub-a", TestMap.ProjectA, secret: "key-a"));
            editor.Subscriptions.Put(TestMap.Subscription("sub-b", TestMap.ProjectB, secret: "key-b"));
            return true;
        });

        await doctor.PostAsync(Down("compute-1", "e-1"));
        await Eventually.TrueAsync(() => consumers.Received.Count == 2, "both owners to be notified");

        var toA = Assert.Single(consumers.To("/sub-a"));
        var toB = Assert.Single(consumers.To("/sub-b"));
        Assert.True(Signatures.Verify("key-a", toA.Body, toA.Signature));
        Assert.True(Signatures.Verify("key-b", toB.Body, toB.Signature));
        Assert.False(Signatures.Verify("key-a", toB.Body, toB.Signature));
        Assert.Equal(NotificationIds.For("e-1", "sub-a", "fault"), toA.NotificationId);
        string[] Resources(ReceivedCallback r) =>
            [.. JsonDocument.Parse(r.Body).RootElement.GetProperty("resources").EnumerateArray().Select(e => e.GetProperty("resource_id").GetString()!)];
        Assert.Equal(["vm-a1", "vm-a2", "vm-a3", "port-a1", "port-a2"], Resources(toA));
        Assert.Equal(["vm-b1", "port-b1"], Resources(toB));
    }

    [Fact]
    public async Task PostAsync_RepeatedWarnings_EscalateWhenThreeFallInTheWindowAndAReplayEscalatesAlike()
    {
        // compute.host.temperature.high: warning, aggregated (3 within 60 s) by the built-in policy. Reports at 0, 40
        // and 90 s leave only two in any window; the fourth at 95 s makes three (40, 90, 95).
        var offsets = new[] { 0, 40, 90, 95 };
        RawEvent Warning(int i) => TestMap.HostEvent("compute.host.temperature.high", "compute-1", $"t-{i}");
        string[] live;
        using (var liveDir = new TempDirectory())
        {
            var clock = new ManualTimeProvider(TestMap.Start);
            await using var doctor = await EngineHarness.StartAsync(liveDir.Path, clock);
            await doctor.SeedAsync();
            for (var i = 0; i < offsets.Length; i++)
            {
                clock.Advance(TimeSpan.FromSeconds(offsets[i] - (i == 0 ? 0 : offsets[i - 1])));
                await doctor.PostAsync(Warning(i));
                var escalated = doctor.State.Faults.All.After(null).Any(f => f.FaultType == PolicyDefaults.EscalatedFaultType);
                Assert.Equal(i == offsets.Length - 1, escalated);
            }

            Assert.False(doctor.State.Map.Hosts.Get("compute-1")!.Up);
            live = StateSummary.Of(doctor.State);
        }

        // The same reports recorded at the same times but applied only at the next start: the same escalation.
        var replayClock = new ManualTimeProvider(TestMap.Start);
        await using (var seeded = await EngineHarness.StartAsync(_dir.Path, replayClock))
            await seeded.SeedAsync();
        var store = new SqliteStore(_dir.Path, replayClock, NullLogger<SqliteStore>.Instance);
        await store.LoadAsync(CancellationToken.None);
        for (var i = 0; i < offsets.Length; i++)
        {
            replayClock.Advance(TimeSpan.FromSeconds(offsets[i] - (i == 0 ? 0 : offsets[i - 1])));
            await Eventually.Within(store.AppendAsync([Warning(i)], 1, CancellationToken.None), "the append");
        }

        await store.DisposeAsync();
        await using var replayed = await EngineHarness.StartAsync(_dir.Path, replayClock);

        Assert.Equal(live, StateSummary.Of(replayed.State));
    }
}
