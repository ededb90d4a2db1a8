using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Doctor.Access;
using Doctor.Control;
using Doctor.Core.Tests.Support;
using Doctor.Events;
using Doctor.Faults;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.Notification;
using Doctor.Profiling;
using Doctor.State;
using Doctor.Subscriptions;
using Doctor.Testing;
using Doctor.Testing.Properties;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;

namespace Doctor.Core.Tests.Properties;

/// <summary>
/// Property tests over random clouds, subscriptions and fault/recovery sequences, through the real
/// <see cref="FaultProcessor"/> and <see cref="Notifier"/> (SPEC §5): no tenant notification carries another
/// project's resource, a resource without a project, a host name or raw event details; and every subscription whose
/// project (and filter) an event affects gets exactly one notification for it, naming exactly the affected resources.
/// </summary>
public class TenantIsolationProperties(ITestOutputHelper output)
{
    /// <summary>Cases per run: each is a whole scenario (up to 14 events); 1,000 take about a second.</summary>
    public const int Cases = 1000;

    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Notifications_NeverLeakAndReachEachAffectedOwnerExactlyOnce()
    {
        var seed = PropertySeed.FromEnvironment();
        output.WriteLine($"property seed {seed} ({PropertySeed.Variable} replays it), {Cases} cases");
        var totals = new Totals();
        var property = Prop.ForAll(Arb.From(CloudScenario.Generator()), scenario => Run(scenario, totals));
        Check.One(PropertySeed.Config(seed, Cases), property);
        output.WriteLine($"{totals.Events} events, {totals.Notifications} notifications ({totals.Tenant} to tenants) checked");
        Assert.True(totals.Tenant > Cases, "the generator should produce tenant notifications in most cases");
    }

    /// <summary>What the cases exercised, so a generator that stopped producing faults does not pass silently.</summary>
    private sealed class Totals
    {
        public int Events;
        public int Notifications;
        public int Tenant;
    }

    private static void Run(CloudScenario scenario, Totals totals)
    {
        var state = new DoctorState(
            ResourceMap.From(
                scenario.Hosts.Select(h => new Host { Name = h.Name, UpdatedAt = Start }),
                scenario.Servers.Select(s => new Server
                {
                    Id = s.Id, Name = s.Id + "-name", ProjectId = s.Project, Host = s.Host, UpdatedAt = Start,
                    State = ServerStates.TryParse(s.State, out var st) ? st : ServerState.Normal,
                }),
                scenario.Ports.Select(p => new Port
                {
                    Id = p.Id, ServerId = p.ServerId, ProjectId = p.Project, Host = p.Host, NetworkId = "net-1", UpdatedAt = Start,
                    DataPlaneUp = p.DataPlane switch { "ACTIVE" => true, "DOWN" => false, _ => null },
                })),
            FaultBook.Empty,
            SubscriptionBook.From(scenario.Subscriptions.Select(ToSubscription)),
            TokenBook.Empty,
            0);
        var sink = new CapturingDeliverySink();
        var notifier = new Notifier(sink, new ManualTimeProvider(Start));
        var processor = new FaultProcessor(new PolicySource(FailurePolicy.Default), new TimelineBook());
        var model = new ScenarioModel(scenario);

        for (var i = 0; i < scenario.Steps.Count; i++)
        {
            var step = scenario.Steps[i];
            var e = ToEvent(step, $"raw-evt-{i + 1}");
            var at = Start.AddSeconds(i + 1);
            var editor = new StateEditor(state, at) { ProcessedSeq = i + 1 };
            var result = processor.Process(editor, new EventRecord(i + 1, e, at, 0, 0));
            state = editor.Build();
            var before = sink.Items.Count;
            if (result.Notice is { } notice)
                notifier.Publish([notice], state);
            var sent = sink.Items.Skip(before).ToList();
            totals.Events++;
            totals.Notifications += sent.Count;
            totals.Tenant += sent.Count(d => !d.Subscription.IsGlobal);

            var expected = model.Apply(step);
            var context = $"step {i + 1} ({step.Kind} {step.Target})";
            foreach (var (subscription, delivery) in sent)
            {
                if (!subscription.IsGlobal)
                    AssertTenantView(scenario, subscription, delivery, context);
            }

            foreach (var spec in scenario.Subscriptions)
            {
                var mine = sent.Where(d => d.Subscription.SubscriptionId == spec.Id).ToList();
                var wanted = expected is null ? [] : ScenarioModel.For(spec, expected);
                if (wanted.Count == 0)
                {
                    Assert.True(mine.Count == 0, $"{context}: {spec.Id} got a notification although nothing it wants was affected");
                    continue;
                }

                Assert.True(mine.Count == 1, $"{context}: {spec.Id} got {mine.Count} notifications, expected exactly one");
                var body = JsonDocument.Parse(mine[0].Delivery.Body).RootElement;
                Assert.Equal(expected!.Type, body.GetProperty("notification_type").GetString());
                var got = body.GetProperty("resources").EnumerateArray()
                    .Select(r => $"{r.GetProperty("resource_type").GetString()} {r.GetProperty("resource_id").GetString()}").Order(StringComparer.Ordinal).ToList();
                var want = wanted.Select(r => $"{r.Type} {r.Id}").Order(StringComparer.Ordinal).ToList();
                Assert.True(want.SequenceEqual(got), $"{context}: {spec.Id} expected [{string.Join(", ", want)}] got [{string.Join(", ", got)}]");
            }
        }
    }

    /// <summary>What a tenant may see (SPEC §5): its own virtual resources, host_id only, no raw details, own correlations.</summary>
    private static void AssertTenantView(CloudScenario scenario, Subscription subscription, Delivery delivery, string context)
    {
        var text = Encoding.UTF8.GetString(delivery.Body);
        Assert.False(text.Contains(CloudScenario.HostMarker, StringComparison.Ordinal), $"{context}: a host name reached {subscription.SubscriptionId}: {text}");
        Assert.False(text.Contains(CloudScenario.RawMarker, StringComparison.Ordinal), $"{context}: raw event data reached {subscription.SubscriptionId}: {text}");

        var body = JsonDocument.Parse(delivery.Body).RootElement;
        Assert.Equal(subscription.ProjectId, body.GetProperty("project_id").GetString());
        var faultIds = new HashSet<string>(StringComparer.Ordinal);
        foreach (var resource in body.GetProperty("resources").EnumerateArray())
        {
            foreach (var fault in resource.GetProperty("faults").EnumerateArray())
                faultIds.Add(fault.GetProperty("fault_id").GetString()!);
        }

        foreach (var resource in body.GetProperty("resources").EnumerateArray())
        {
            var id = resource.GetProperty("resource_id").GetString()!;
            var type = resource.GetProperty("resource_type").GetString();
            Assert.True(type is "server" or "port", $"{context}: a {type} reached tenant subscription {subscription.SubscriptionId}");
            Assert.True(scenario.Exists(id), $"{context}: unknown resource {id}");
            Assert.True(scenario.OwnerOf(id) == subscription.ProjectId,
                $"{context}: {id} (project {scenario.OwnerOf(id) ?? "none"}) reached {subscription.ProjectId}'s subscription");
            Assert.False(resource.TryGetProperty("host", out _), $"{context}: host field in a tenant notification");
            Assert.False(resource.TryGetProperty("project_id", out _), $"{context}: project_id field on a tenant resource");
            var host = type == "server" ? scenario.Servers.First(s => s.Id == id).Host : scenario.Ports.First(p => p.Id == id).Host;
            var hostId = resource.GetProperty("host_id");
            Assert.Equal(HostIdentity.For(subscription.ProjectId, host), hostId.ValueKind == JsonValueKind.Null ? null : hostId.GetString());
            foreach (var fault in resource.GetProperty("faults").EnumerateArray())
            {
                Assert.Empty(fault.GetProperty("details").EnumerateObject());
                foreach (var correlated in fault.GetProperty("correlated_fault_ids").EnumerateArray())
                    Assert.Contains(correlated.GetString()!, faultIds);
            }
        }
    }

    private static Subscription ToSubscription(SubscriptionSpec spec)
    {
        var f = spec.Filter;
        return new Subscription
        {
            SubscriptionId = spec.Id,
            CallbackUrl = "http://127.0.0.1:9/" + spec.Id,
            ProjectId = spec.Project,
            CreatedAt = Start,
            Filter = f is null ? SubscriptionFilter.All : new SubscriptionFilter
            {
                ResourceTypes = f.ResourceTypes is null ? null : [.. f.ResourceTypes.Select(t => ResourceTypes.TryParse(t, out var r) ? r : throw new ArgumentException(t))],
                ResourceIds = f.ResourceIds is null ? null : [.. f.ResourceIds],
                FaultTypes = f.FaultTypes is null ? null : [.. f.FaultTypes],
                MinSeverity = f.MinSeverity is null ? null : Severities.TryParse(f.MinSeverity, out var s) ? s : throw new ArgumentException(f.MinSeverity),
                NotificationTypes = f.NotificationTypes is null ? null : [.. f.NotificationTypes.Select(t => NotificationTypes.TryParse(t, out var n) ? n : throw new ArgumentException(t))],
            },
        };
    }

    /// <summary>The event as a monitor posts it (raw details carry the leak marker), or the admin's state change as the API records it.</summary>
    private static RawEvent ToEvent(StepSpec step, string id)
    {
        var details = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        if (step.IsAdmin)
        {
            details["hostname"] = step.Target;
            details["reason"] = "raw-reason: replacing a DIMM";
            if (step.Kind == StepKind.Disable)
                details["status"] = "disabled";
            else
                details["forced_down"] = step.Kind == StepKind.ForceDown ? "true" : "false";
            return new RawEvent { Id = id, Time = Start, Type = InternalEventTypes.HostState, Details = details.ToImmutable(), Origin = EventOrigin.Admin };
        }

        details[step.TargetDetail] = step.Target;
        details["source"] = "raw-src-ipmi-7";
        details["cause"] = "raw-cause: BMC reports PSU2 lost";
        return new RawEvent { Id = id, Time = Start, Type = step.EventType, Details = details.ToImmutable() };
    }
}
