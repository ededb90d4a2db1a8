using System.Collections.Immutable;
using Doctor.Faults;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.Notification;
using Doctor.Subscriptions;

namespace Doctor.Control;

/// <summary>What a fault tree is: its type, severity, abstract cause and the raw details it carries.</summary>
internal readonly record struct FaultKind(string FaultType, Severity Severity, string ProbableCause, Effect Effect);

/// <summary>
/// One root fault and every fault derived from it, under construction while an event is applied: the derived faults
/// are recorded as they are found, the root last (it lists them), and the notice collects each resource once.
/// </summary>
internal sealed class Outbreak
{
    private readonly List<NoticeResource> _resources = [];
    private readonly ImmutableArray<string>.Builder _derivedIds = ImmutableArray.CreateBuilder<string>();

    public Outbreak(
        EventContext context, FaultKind kind, ImmutableSortedDictionary<string, string> details, bool byAdmin, string? rootDevice = null,
        string? explainedBy = null)
    {
        Context = context;
        Kind = kind;
        Details = details;
        ByAdmin = byAdmin;
        RootDevice = rootDevice;
        ExplainedBy = explainedBy;
        RootId = context.NextId();
        context.StartTimeline(RootId);
    }

    public EventContext Context { get; }
    public FaultKind Kind { get; }
    public ImmutableSortedDictionary<string, string> Details { get; }
    public bool ByAdmin { get; }

    /// <summary>The device whose failure this is, when the root is a device (silences may name it).</summary>
    public string? RootDevice { get; }

    /// <summary>The active root fault that already explains this one (its owners know): the root lists it among its
    /// correlated faults and nobody is notified again.</summary>
    public string? ExplainedBy { get; }

    public string RootId { get; }
    public int DerivedCount => _derivedIds.Count;

    /// <summary>Records a fault derived from the root on one affected resource and returns it.</summary>
    public Fault Derive(
        ResourceType type, string id, string? projectId, string? host, Effect effect, string? prior,
        bool priorForcedDown = false, FaultKind? kind = null)
    {
        var k = kind ?? Kind;
        var fault = new Fault
        {
            FaultId = Context.NextId(), FaultType = k.FaultType, Severity = k.Severity, ResourceType = type, ResourceId = id,
            ProjectId = projectId, Host = host, EventId = Context.Event.Id, EventTime = Context.Event.Time, RaisedAt = Context.At,
            ProbableCause = k.ProbableCause, IsRootCause = false, CorrelatedFaultIds = [RootId], Details = Details, Effect = effect,
            ByAdmin = ByAdmin, PriorValue = prior, PriorForcedDown = priorForcedDown,
            SuppressedBy = Context.SuppressionFor(host, RootDevice, type, id, k.FaultType),
        };
        Context.State.Faults.Put(fault);
        _derivedIds.Add(fault.FaultId);
        return fault;
    }

    /// <summary>Records the root fault, listing every derived fault (and any <paramref name="alsoCorrelated"/>).</summary>
    public Fault Root(
        ResourceType type, string id, string? projectId, string? host, string? prior, bool priorForcedDown = false,
        IEnumerable<string>? alsoCorrelated = null)
    {
        ImmutableArray<string> correlated = alsoCorrelated is null ? _derivedIds.ToImmutable() : [.. _derivedIds, .. alsoCorrelated];
        if (ExplainedBy is not null)
            correlated = correlated.Add(ExplainedBy);
        var fault = new Fault
        {
            FaultId = RootId, FaultType = Kind.FaultType, Severity = Kind.Severity, ResourceType = type, ResourceId = id,
            ProjectId = projectId, Host = host, EventId = Context.Event.Id, EventTime = Context.Event.Time, RaisedAt = Context.At,
            ProbableCause = Kind.ProbableCause, IsRootCause = true, CorrelatedFaultIds = correlated, Details = Details,
            Effect = Kind.Effect, ByAdmin = ByAdmin, PriorValue = prior, PriorForcedDown = priorForcedDown,
            SuppressedBy = Context.SuppressionFor(host, RootDevice ?? (type == ResourceType.Device ? id : null), type, id, Kind.FaultType),
        };
        Context.State.Faults.Put(fault);
        return fault;
    }

    public void Add(NoticeResource resource) => _resources.Add(resource);

    /// <summary>Puts the root's resource first: consumers read the cause before its consequences.</summary>
    public void AddFirst(NoticeResource resource) => _resources.Insert(0, resource);

    public IReadOnlyList<NoticeResource> Resources => _resources;

    public Notice ToNotice() => new(NotificationType.Fault, Context.Event.Id, [.. _resources], Context.Timeline);
}
