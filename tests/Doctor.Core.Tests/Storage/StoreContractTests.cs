using System.Collections.Immutable;
using Doctor.Core.Tests.Support;
using Doctor.Events;
using Doctor.Inventory;
using Doctor.Silences;
using Doctor.State;
using Doctor.Storage;
using Doctor.Testing;

namespace Doctor.Core.Tests.Storage;

/// <summary>What every <see cref="IDoctorStore"/> must do; run over SQLite and over PostgreSQL.</summary>
public abstract class StoreContractTests(StoreBackend backend) : IDisposable
{
    private readonly ManualTimeProvider _clock = new(TestMap.Start.AddMinutes(5));

    public void Dispose() => backend.Dispose();

    private async Task<(IDoctorStore Store, LoadedState Loaded)> OpenAsync()
    {
        var store = backend.Create(_clock);
        var loaded = await store.LoadAsync(CancellationToken.None);
        return (store, loaded);
    }

    private static Task<AppendResult> Append(IDoctorStore store, params RawEvent[] events) =>
        Eventually.Within(store.AppendAsync(events, 1, CancellationToken.None), "the append");

    private static RawEvent Monitored(string id, string monitor, string number) =>
        TestMap.Event("compute.host.down", id, ("hostname", "compute-1"), ("monitor_id", monitor), ("monitor_event_id", number));

    [Fact]
    public async Task LoadAsync_NewDirectory_IsNewAndEmpty()
    {
        var (store, loaded) = await OpenAsync();
        await using var _ = store;

        Assert.True(loaded.IsNew);
        Assert.Empty(loaded.Unprocessed);
        Assert.Equal(0, loaded.State.ProcessedSeq);
        Assert.Equal(0, loaded.State.Map.Hosts.Count);
    }

    [Fact]
    public async Task LoadAsync_ExistingDirectory_IsNotNew()
    {
        var (first, _) = await OpenAsync();
        await first.DisposeAsync();

        var (second, loaded) = await OpenAsync();
        await using var _ = second;

        Assert.False(loaded.IsNew);
    }

    [Fact]
    public async Task AppendAsync_NewEvents_AnswersTheirIdsAndLogPositionsInOrder()
    {
        var (store, _) = await OpenAsync();
        await using var __ = store;

        var result = await Append(store, TestMap.HostEvent("compute.host.down", "compute-1", "e-1"), TestMap.HostEvent("compute.host.up", "compute-1", "e-2"));

        Assert.Equal(["e-1", "e-2"], result.EventIds);
        Assert.Equal([1L, 2L], result.Recorded.Select(r => r.Seq));
        Assert.All(result.Recorded, r => Assert.Equal(_clock.GetUtcNow(), r.RecordedAt));
    }

    [Fact]
    public async Task AppendAsync_Completed_EventIsReadableWithoutTheWriter()
    {
        var (store, _) = await OpenAsync();
        await using var __ = store;

        await Append(store, TestMap.HostEvent("compute.host.down", "compute-1", "e-1"));
        var stored = await store.GetEventAsync("e-1", CancellationToken.None);

        Assert.NotNull(stored);
        Assert.Equal("compute.host.down", stored.Event.Type);
        Assert.Equal(EventStatus.Pending, stored.Status);
        Assert.Equal(_clock.GetUtcNow(), stored.RecordedAt);
    }

    [Fact]
    public async Task AppendAsync_Completed_SurvivesAReopenAsUnprocessed()
    {
        var (store, _) = await OpenAsync();
        var original = TestMap.Event("power.pdu.down", "e-1", ("device_id", "pdu-7"), ("temp", "91.5")) with
        {
            RelatedTo = ["e-0"],
            Time = new DateTimeOffset(2026, 1, 31, 12, 0, 0, TimeSpan.Zero).AddTicks(1234567),
        };
        await Append(store, original);
        await store.DisposeAsync();

        var (reopened, loaded) = await OpenAsync();
        await using var _ = reopened;

        var record = Assert.Single(loaded.Unprocessed);
        Assert.Equal(1, record.Seq);
        Assert.Equal(original.Id, record.Event.Id);
        Assert.Equal(original.Time, record.Event.Time);
        Assert.Equal(original.Details, record.Event.Details);
        Assert.Equal(["e-0"], record.Event.RelatedTo.ToArray());
        Assert.Equal(_clock.GetUtcNow(), record.RecordedAt);
        Assert.Equal(0, record.ReceivedTicks); // the clock of the first process is gone
    }

    [Fact]
    public async Task AppendAsync_AdminEvent_KeepsItsOriginAcrossAReopen()
    {
        var (store, _) = await OpenAsync();
        await Append(store, TestMap.AdminHostState("compute-1", "e-admin", forcedDown: "true"));
        await store.DisposeAsync();

        var (reopened, loaded) = await OpenAsync();
        await using var _ = reopened;

        Assert.Equal(EventOrigin.Admin, Assert.Single(loaded.Unprocessed).Event.Origin);
    }

    [Fact]
    public async Task AppendAsync_SameIdTwice_OneRecordAndTheSameAnswer()
    {
        var (store, _) = await OpenAsync();
        await using var __ = store;

        var first = await Append(store, TestMap.HostEvent("compute.host.down", "compute-1", "e-1"));
        var again = await Append(store, TestMap.HostEvent("compute.host.down", "compute-2", "e-1"));

        Assert.Equal(first.EventIds, again.EventIds);
        Assert.Empty(again.Recorded);
        var all = await store.ListEventsAsync(new EventQuery(null, null, null, 100), CancellationToken.None);
        Assert.Equal("compute-1", Assert.Single(all).Event.Detail("hostname"));
    }

    [Fact]
    public async Task AppendAsync_SameIdTwiceInOneRequest_RecordedOnce()
    {
        var (store, _) = await OpenAsync();
        await using var __ = store;
        var e = TestMap.HostEvent("compute.host.down", "compute-1", "e-1");

        var result = await Append(store, e, e);

        Assert.Equal(["e-1", "e-1"], result.EventIds);
        Assert.Single(result.Recorded);
    }

    [Fact]
    public async Task AppendAsync_SameMonitorEventWithAnotherId_AnswersWithTheFirstId()
    {
        var (store, _) = await OpenAsync();
        await using var __ = store;

        await Append(store, Monitored("e-1", "monitor-a", "17"));
        var again = await Append(store, Monitored("e-retry", "monitor-a", "17"));

        Assert.Equal(["e-1"], again.EventIds);
        Assert.Empty(again.Recorded);
        Assert.Null(await store.GetEventAsync("e-retry", CancellationToken.None));
    }

    [Fact]
    public async Task AppendAsync_SameNumberFromAnotherMonitor_IsANewEvent()
    {
        var (store, _) = await OpenAsync();
        await using var __ = store;

        await Append(store, Monitored("e-1", "monitor-a", "17"));
        var other = await Append(store, Monitored("e-2", "monitor-b", "17"));

        Assert.Equal(["e-2"], other.EventIds);
        Assert.Single(other.Recorded);
    }

    [Fact]
    public async Task AppendAsync_RepeatInBulk_OnlyTheNewOnesAreRecorded()
    {
        var (store, _) = await OpenAsync();
        await using var __ = store;
        await Append(store, TestMap.HostEvent("compute.host.down", "compute-1", "e-1"));

        var result = await Append(store,
            TestMap.HostEvent("compute.host.down", "compute-1", "e-0"),
            TestMap.HostEvent("compute.host.down", "compute-1", "e-1"),
            TestMap.HostEvent("compute.host.down", "compute-1", "e-2"));

        Assert.Equal(["e-0", "e-1", "e-2"], result.EventIds);
        Assert.Equal(["e-0", "e-2"], result.Recorded.Select(r => r.Event.Id));
    }

    [Fact]
    public async Task AppendAsync_Committed_TellsTheSinkBeforeAnswering()
    {
        var (store, _) = await OpenAsync();
        await using var __ = store;
        var seen = new List<long>();
        store.OnCommitted(records =>
        {
            lock (seen)
                seen.AddRange(records.Select(r => r.Seq));
        });

        await Append(store, TestMap.HostEvent("compute.host.down", "compute-1", "e-1"), TestMap.HostEvent("compute.host.down", "compute-2", "e-2"));
        await Append(store, TestMap.HostEvent("compute.host.down", "compute-1", "e-1")); // a repeat is not handed on

        lock (seen)
            Assert.Equal([1L, 2L], seen);
    }

    [Fact]
    public async Task AppendAsync_Concurrent_EveryEventRecordedOnceInSomeOrder()
    {
        var (store, _) = await OpenAsync();
        await using var __ = store;

        var appends = Enumerable.Range(0, 50).Select(i => store.AppendAsync([TestMap.HostEvent("compute.host.down", "compute-1", $"e-{i:D2}")], 1, CancellationToken.None));
        var results = await Eventually.Within(Task.WhenAll(appends), "50 concurrent appends");

        Assert.Equal(Enumerable.Range(1, 50).Select(i => (long)i), results.SelectMany(r => r.Recorded).Select(r => r.Seq).Order());
        var all = await store.ListEventsAsync(new EventQuery(null, null, null, 1000), CancellationToken.None);
        Assert.Equal(50, all.Count);
    }

    [Fact]
    public async Task AppendAsync_BeforeLoadOrAfterDispose_RefusedAsUnavailable()
    {
        var store = backend.Create(_clock);
        Assert.Throws<StoreUnavailableException>(() => { _ = store.AppendAsync([TestMap.HostEvent("t", "h", "e-1")], 1, CancellationToken.None); });

        await store.LoadAsync(CancellationToken.None);
        await store.DisposeAsync();

        Assert.Throws<StoreUnavailableException>(() => { _ = store.AppendAsync([TestMap.HostEvent("t", "h", "e-1")], 1, CancellationToken.None); });
    }

    [Fact]
    public async Task GetEventAsync_UnknownId_ReturnsNull()
    {
        var (store, _) = await OpenAsync();
        await using var __ = store;

        Assert.Null(await store.GetEventAsync("e-404", CancellationToken.None));
    }

    [Fact]
    public async Task ListEventsAsync_Filters_ByTypeSinceMarkerAndLimit()
    {
        var (store, _) = await OpenAsync();
        await using var __ = store;
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await Append(store,
            TestMap.HostEvent("compute.host.down", "compute-1", "e-1") with { Time = t0 },
            TestMap.HostEvent("compute.host.up", "compute-1", "e-2") with { Time = t0.AddMinutes(1) },
            TestMap.HostEvent("compute.host.down", "compute-2", "e-3") with { Time = t0.AddMinutes(2) },
            TestMap.HostEvent("compute.host.down", "compute-1", "e-4") with { Time = t0.AddMinutes(3) });

        async Task<string[]> Ids(EventQuery query) =>
            [.. (await store.ListEventsAsync(query, CancellationToken.None)).Select(e => e.Event.Id)];

        Assert.Equal(["e-1", "e-2", "e-3", "e-4"], await Ids(new EventQuery(null, null, null, 100)));
        Assert.Equal(["e-1", "e-3", "e-4"], await Ids(new EventQuery("compute.host.down", null, null, 100)));
        Assert.Equal(["e-3", "e-4"], await Ids(new EventQuery(null, t0.AddMinutes(2), null, 100)));
        Assert.Equal(["e-3", "e-4"], await Ids(new EventQuery("compute.host.down", t0.AddSeconds(30), null, 100)));
        Assert.Equal(["e-1", "e-2"], await Ids(new EventQuery(null, null, null, 2)));
        Assert.Equal(["e-3", "e-4"], await Ids(new EventQuery(null, null, "e-2", 2)));
        Assert.Equal(["e-3", "e-4"], await Ids(new EventQuery("compute.host.down", null, "e-2", 100)));
        Assert.Equal(["e-4"], await Ids(new EventQuery("compute.host.down", null, "e-3", 1)));
        Assert.Empty(await Ids(new EventQuery(null, null, "e-4", 100)));
    }

    [Fact]
    public async Task ListEventsAsync_SinceWithOffset_ComparesInstantsNotText()
    {
        var (store, _) = await OpenAsync();
        await using var __ = store;
        await Append(store, TestMap.HostEvent("compute.host.down", "compute-1", "e-1") with { Time = new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.Zero) });

        var since = new DateTimeOffset(2026, 1, 1, 11, 0, 0, TimeSpan.FromHours(2)); // 09:00 UTC

        Assert.Single(await store.ListEventsAsync(new EventQuery(null, since, null, 100), CancellationToken.None));
    }

    [Fact]
    public async Task Persist_Committed_StateAndOutcomesSurviveAReopen()
    {
        var (store, _) = await OpenAsync();
        var appended = await Append(store, TestMap.HostEvent("compute.host.down", "compute-1", "e-1"), TestMap.HostEvent("x.y", "compute-1", "e-2"));
        var host = TestMap.Host("compute-9") with
        {
            Maintenance = new HostMaintenance(MaintenanceState.InMaintenance, "session-1", TestMap.Start),
            Metadata = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("rack", "r12")]),
        };
        var batch = new ChangeBatch(
            [new RowChange(RowKind.Host, host.Name, host)],
            [new EventOutcome(1, EventStatus.Processed, ["flt-1"], null), new EventOutcome(2, EventStatus.Ignored, [], "no policy rule")],
            processedSeq: 2,
            durable: true);
        store.Persist(batch);
        await Eventually.Within(batch.Committed, "the state commit");
        await store.DisposeAsync();

        var (reopened, loaded) = await OpenAsync();
        await using var _ = reopened;

        var back = loaded.State.Map.Hosts.Get("compute-9")!;
        Assert.Equal(host.Maintenance, back.Maintenance);
        Assert.Equal(host.Metadata, back.Metadata);
        Assert.Equal(host.UpdatedAt, back.UpdatedAt);
        Assert.Equal(HostStatus.Maintenance, back.Status);
        Assert.Equal(2, loaded.State.ProcessedSeq);
        Assert.Empty(loaded.Unprocessed);
        var events = await reopened.ListEventsAsync(new EventQuery(null, null, null, 100), CancellationToken.None);
        Assert.Equal([EventStatus.Processed, EventStatus.Ignored], events.Select(e => e.Status));
        Assert.Equal(["flt-1"], events[0].FaultIds);
        Assert.Equal("no policy rule", events[1].Reason);
        Assert.Equal(appended.Recorded.Select(r => r.Seq), events.Select(e => e.Seq));
    }

    [Fact]
    public async Task Persist_DeleteRow_IsGoneAfterAReopen()
    {
        var (store, _) = await OpenAsync();
        var put = new ChangeBatch([new RowChange(RowKind.Host, "compute-1", TestMap.Host("compute-1")), new RowChange(RowKind.Host, "compute-2", TestMap.Host("compute-2"))], [], 0);
        var delete = new ChangeBatch([new RowChange(RowKind.Host, "compute-1", null)], [], 0, durable: true);
        store.Persist(put);
        store.Persist(delete);
        await Eventually.Within(delete.Committed, "the delete");
        await store.DisposeAsync();

        var (reopened, loaded) = await OpenAsync();
        await using var _ = reopened;

        Assert.Equal(["compute-2"], loaded.State.Map.Hosts.After(null).Select(h => h.Name));
    }

    [Fact]
    public async Task Persist_Silences_SurviveAReopenAndADeleteStaysDeleted()
    {
        var (store, _) = await OpenAsync();
        var kept = new Silence
        {
            SilenceId = "0190a000-0000-7000-8000-000000000001",
            Matchers = new SilenceMatchers { Hostname = "compute-*", DeviceId = "tor-1", ResourceId = "vm-a?", FaultType = "network.switch.*" },
            StartsAt = TestMap.Start.AddTicks(1234567), EndsAt = TestMap.Start.AddHours(2), Comment = "rack 12 re-cabling\nticket OPS-1",
            CreatedBy = "tok-1", CreatedAt = TestMap.Start,
        };
        var sparse = new Silence
        {
            SilenceId = "0190a000-0000-7000-8000-000000000002", Matchers = new SilenceMatchers { FaultType = "compute.host.down" },
            StartsAt = TestMap.Start, EndsAt = TestMap.Start.AddMinutes(5), CreatedAt = TestMap.Start,
        };
        var gone = sparse with { SilenceId = "0190a000-0000-7000-8000-000000000003" };
        var put = new ChangeBatch(
            [new RowChange(RowKind.Silence, kept.SilenceId, kept), new RowChange(RowKind.Silence, sparse.SilenceId, sparse), new RowChange(RowKind.Silence, gone.SilenceId, gone)],
            [], 0);
        var delete = new ChangeBatch([new RowChange(RowKind.Silence, gone.SilenceId, null)], [], 0, durable: true);
        store.Persist(put);
        store.Persist(delete);
        await Eventually.Within(delete.Committed, "the silences commit");
        await store.DisposeAsync();

        var (reopened, loaded) = await OpenAsync();
        await using var _ = reopened;

        Assert.Equal([kept, sparse], loaded.State.Silences.All.After(null));
        Assert.Null(loaded.State.Silences.All.Get(gone.SilenceId));
        Assert.Equal(kept.SilenceId, loaded.State.Silences.Find(TestMap.Start.AddHours(1), new SilenceSubject("compute-7", "tor-1", "vm-a1", "network.switch.down"))?.SilenceId);
    }

    [Fact]
    public async Task Persist_AfterDispose_FailsTheBatch()
    {
        var (store, _) = await OpenAsync();
        await store.DisposeAsync();
        var batch = new ChangeBatch([new RowChange(RowKind.Host, "compute-1", TestMap.Host("compute-1"))], [], 0);

        store.Persist(batch);

        await Assert.ThrowsAsync<StoreUnavailableException>(() => batch.Committed);
    }

    [Fact]
    public async Task LoadAsync_DataFromANewerDoctor_RefusesToStart()
    {
        var (store, _) = await OpenAsync();
        await store.DisposeAsync();
        await backend.MarkNewerSchemaAsync();

        var newer = backend.Create(_clock);
        await using var _ = newer;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => newer.LoadAsync(CancellationToken.None));
        Assert.Contains("newer", error.Message);
    }
}
