using Doctor.State;

namespace Doctor.Maintenance;

/// <summary>An instance's maintenance constraints (ETSI FEAT03, <c>/v1/instance/{id}</c>).</summary>
public sealed record InstanceConstraint
{
    public required string InstanceId { get; init; }
    public string? ProjectId { get; init; }
    public string? GroupId { get; init; }
    public string? InstanceName { get; init; }

    /// <summary>Seconds the instance may be out of service (recorded; the embedded controller's moves take <c>migration_seconds</c>).</summary>
    public int? MaxInterruptionTime { get; init; }

    /// <summary>The action used when the app manager names none: MIGRATE, LIVE_MIGRATE or OWN_ACTION.</summary>
    public string? MigrationType { get; init; }

    public bool? ResourceMitigation { get; init; }

    /// <summary>Seconds of notice the instance needs before an action on it starts (pushes <c>actions_at</c>).</summary>
    public int? LeadTime { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>A server group's maintenance constraints (ETSI FEAT03, <c>/v1/instance_group/{id}</c>).</summary>
public sealed record InstanceGroupConstraint
{
    public required string GroupId { get; init; }
    public string? ProjectId { get; init; }
    public string? GroupName { get; init; }

    /// <summary>False lets members share a host (up to <see cref="MaxInstancesPerHost"/>); the default keeps them apart.</summary>
    public bool AntiAffinityGroup { get; init; } = true;

    public int? MaxInstancesPerHost { get; init; }

    /// <summary>Most members impacted (being acted on) at once; 0: none may be.</summary>
    public int? MaxImpactedMembers { get; init; }

    /// <summary>Seconds to wait after one member's action before the next member may be impacted.</summary>
    public int? RecoveryTime { get; init; }

    public bool? ResourceMitigation { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>How many members one host may hold: 1 for an anti-affinity group.</summary>
    public int PerHost => AntiAffinityGroup ? 1 : MaxInstancesPerHost ?? int.MaxValue;
}

/// <summary>The constraint records by id.</summary>
public sealed class ConstraintBook(Table<InstanceConstraint> instances, Table<InstanceGroupConstraint> groups)
{
    public static readonly ConstraintBook Empty = new(Table<InstanceConstraint>.Empty, Table<InstanceGroupConstraint>.Empty);

    public Table<InstanceConstraint> Instances { get; } = instances;
    public Table<InstanceGroupConstraint> Groups { get; } = groups;

    public static ConstraintBook From(IEnumerable<InstanceConstraint> instances, IEnumerable<InstanceGroupConstraint> groups) => new(
        Table<InstanceConstraint>.From(instances.Select(i => KeyValuePair.Create(i.InstanceId, i))),
        Table<InstanceGroupConstraint>.From(groups.Select(g => KeyValuePair.Create(g.GroupId, g))));
}

/// <summary>Mutable view of a <see cref="ConstraintBook"/>.</summary>
public sealed class ConstraintBookEditor
{
    private readonly List<RowChange> _changes;
    private readonly ConstraintBook _base;
    private readonly TableEditor<InstanceConstraint> _instances;
    private readonly TableEditor<InstanceGroupConstraint> _groups;
    private bool _edited;

    internal ConstraintBookEditor(ConstraintBook book, List<RowChange> changes)
    {
        _changes = changes;
        _base = book;
        _instances = book.Instances.Edit();
        _groups = book.Groups.Edit();
    }

    public InstanceConstraint? Instance(string id) => _instances.Get(id);
    public InstanceGroupConstraint? Group(string id) => _groups.Get(id);

    public void PutInstance(InstanceConstraint record)
    {
        _instances.Put(record.InstanceId, record);
        _edited = true;
        _changes.Add(new RowChange(RowKind.InstanceConstraint, record.InstanceId, record));
    }

    public bool RemoveInstance(string id)
    {
        if (!_instances.Remove(id))
            return false;
        _edited = true;
        _changes.Add(new RowChange(RowKind.InstanceConstraint, id, null));
        return true;
    }

    public void PutGroup(InstanceGroupConstraint record)
    {
        _groups.Put(record.GroupId, record);
        _edited = true;
        _changes.Add(new RowChange(RowKind.InstanceGroupConstraint, record.GroupId, record));
    }

    public bool RemoveGroup(string id)
    {
        if (!_groups.Remove(id))
            return false;
        _edited = true;
        _changes.Add(new RowChange(RowKind.InstanceGroupConstraint, id, null));
        return true;
    }

    public ConstraintBook Build() => _edited ? new ConstraintBook(_instances.Build(), _groups.Build()) : _base;
}
