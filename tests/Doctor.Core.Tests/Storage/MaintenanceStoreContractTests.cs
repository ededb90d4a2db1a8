using System.Collections.Immutable;
using System.Text.Json;
using Doctor.Core.Tests.Support;
using Doctor.Maintenance;
using Doctor.State;
using Doctor.Storage;
using Doctor.Testing;

namespace Doctor.Core.Tests.Storage;

/// <summary>Maintenance sessions and FEAT03 constraints survive a restart, on every store.</summary>
public abstract class MaintenanceStoreContractTests(StoreBackend backend) : IDisposable
{
    private readonly ManualTimeProvider _clock = new(TestMap.Start.AddMinutes(5));

    public void Dispose() => backend.Dispose();

    [Fact]
    public async Task Persist_SessionAndConstraintsWithEveryField_LoadIdenticalAndDeleteStaysDeleted()
    {
        var full = new MaintenanceSession
        {
            SessionId = "0190b000-0000-7000-8000-000000000001", State = SessionState.PlannedMaintenance, Phase = SessionPhase.Actions,
            Hosts = ["compute-1", "compute-2"], MaintenanceAt = TestMap.Start.AddTicks(1234567), CreatedAt = TestMap.Start, UpdatedAt = TestMap.Start.AddMinutes(1),
            Metadata = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("migration_seconds", "0.5")]),
            Timers = new MaintenanceTimers(60, 0.5, 2), ReplyAt = TestMap.Start.AddMinutes(2), CurrentHost = "compute-2", HostDoneAt = TestMap.Start.AddMinutes(3),
            Projects = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("app", new ProjectReply
            {
                InstanceIds = ["vm-1", "vm-2"], Listening = true, Reply = "ACK_PLANNED_MAINTENANCE", RepliedAt = TestMap.Start.AddSeconds(30),
                InstanceActions = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("vm-1", "OWN_ACTION")]),
            })]),
            Involved = ["app", "other"],
            Actions = [new InstanceAction("vm-1", "app", "MIGRATE") { StartedAt = TestMap.Start, DueAt = TestMap.Start.AddSeconds(1), FromHost = "compute-2", ToHost = "compute-1" }],
            HostRecords = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("compute-1", new HostRecord(HostProgress.Maintained) { StartedAt = TestMap.Start, MaintainedAt = TestMap.Start.AddSeconds(5) })]),
            History = [new HistoryEntry(TestMap.Start, "MAINTENANCE", "created")],
            Reason = "not yet", Messages = 7,
        };
        var gone = new MaintenanceSession { SessionId = "0190b000-0000-7000-8000-000000000002", Timers = MaintenanceTimers.Defaults };
        var store = backend.Create(_clock);
        await store.LoadAsync(CancellationToken.None);
        var instance = new InstanceConstraint
        {
            InstanceId = "vm-1", ProjectId = "app", GroupId = "pair", InstanceName = "act", MaxInterruptionTime = 3, MigrationType = "LIVE_MIGRATE",
            ResourceMitigation = true, LeadTime = 30, UpdatedAt = TestMap.Start,
        };
        var group = new InstanceGroupConstraint
        {
            GroupId = "pair", ProjectId = "app", GroupName = "the pair", AntiAffinityGroup = false, MaxInstancesPerHost = 2, MaxImpactedMembers = 1,
            RecoveryTime = 10, ResourceMitigation = false, UpdatedAt = TestMap.Start,
        };
        store.Persist(new ChangeBatch(
            [
                new RowChange(RowKind.MaintenanceSession, full.SessionId, full), new RowChange(RowKind.MaintenanceSession, gone.SessionId, gone),
                new RowChange(RowKind.InstanceConstraint, instance.InstanceId, instance), new RowChange(RowKind.InstanceGroupConstraint, group.GroupId, group),
            ], [], 0));
        var delete = new ChangeBatch([new RowChange(RowKind.MaintenanceSession, gone.SessionId, null)], [], 0, durable: true);
        store.Persist(delete);
        await Eventually.Within(delete.Committed, "the sessions commit");
        await store.DisposeAsync();

        await using var reopened = backend.Create(_clock);
        var loaded = await reopened.LoadAsync(CancellationToken.None);

        var session = Assert.Single(loaded.State.Maintenance.All.After(null));
        Assert.Equal(JsonSerializer.Serialize(full, StoreJson.Default.MaintenanceSession), JsonSerializer.Serialize(session, StoreJson.Default.MaintenanceSession));
        Assert.Equal("OWN_ACTION", session.Projects["app"].InstanceActions["vm-1"]);
        Assert.True(session.IsActive);
        Assert.Equal(instance, loaded.State.Constraints.Instances.Get("vm-1"));
        Assert.Equal(group, loaded.State.Constraints.Groups.Get("pair"));
    }
}
