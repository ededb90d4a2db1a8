namespace Doctor.State;

/// <summary>Kinds of persisted row; each maps to one record type.</summary>
public enum RowKind
{
    Host,
    Server,
    Port,
    Fault,
    Subscription,
    Token,
    Device,

    // Values are persisted as integers: new kinds go at the end.
    Silence,
    MaintenanceSession,
    InstanceConstraint,
    InstanceGroupConstraint,
}

/// <summary>One upsert (<see cref="Value"/> set) or delete (null) for the store, in the order the engine made it.</summary>
public readonly record struct RowChange(RowKind Kind, string Id, object? Value);
