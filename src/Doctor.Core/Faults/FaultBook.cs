using Doctor.State;

namespace Doctor.Faults;

/// <summary>Every fault, in id order (ids grow with the event sequence), plus the active faults per resource.</summary>
public sealed class FaultBook
{
    public static readonly FaultBook Empty = new(Table<Fault>.Empty, MultiIndex.Empty);

    public FaultBook(Table<Fault> all, MultiIndex activeByResource)
    {
        All = all;
        ActiveByResource = activeByResource;
    }

    public Table<Fault> All { get; }

    /// <summary>Resource key (<see cref="Keys.Resource"/>) → ids of its active faults.</summary>
    public MultiIndex ActiveByResource { get; }

    public static FaultBook From(IEnumerable<Fault> faults)
    {
        var list = faults.ToList();
        return new FaultBook(
            Table<Fault>.From(list.Select(f => KeyValuePair.Create(f.FaultId, f))),
            MultiIndex.From(list.Where(f => f.IsActive).Select(f => (f.ResourceKey, f.FaultId))));
    }
}
