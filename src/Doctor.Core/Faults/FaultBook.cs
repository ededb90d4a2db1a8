using Doctor.State;

namespace Doctor.Faults;

/// <summary>
/// Every fault, split in two: the active ones (small, touched on every raise) and the cleared history (large,
/// touched only when a fault clears or is evicted). Keeping the hot set small keeps a raise cheap however long
/// the service has run; the history is bounded by retention.
/// </summary>
public sealed class FaultBook
{
    public static readonly FaultBook Empty = new(Table<Fault>.Empty, Table<Fault>.Empty, ActiveFaultIndex.Empty);

    public FaultBook(Table<Fault> active, Table<Fault> cleared, ActiveFaultIndex activeByResource)
    {
        Active = active;
        Cleared = cleared;
        ActiveByResource = activeByResource;
    }

    public Table<Fault> Active { get; }
    public Table<Fault> Cleared { get; }

    /// <summary>Resource → ids of its active faults.</summary>
    public ActiveFaultIndex ActiveByResource { get; }

    /// <summary>Active and cleared faults as one id-ordered collection.</summary>
    public FaultTable All => new(this);

    public static FaultBook From(IEnumerable<Fault> faults)
    {
        var list = faults.ToList();
        return new FaultBook(
            Table<Fault>.From(list.Where(f => f.IsActive).Select(f => KeyValuePair.Create(f.FaultId, f))),
            Table<Fault>.From(list.Where(f => !f.IsActive).Select(f => KeyValuePair.Create(f.FaultId, f))),
            ActiveFaultIndex.From(list.Where(f => f.IsActive)));
    }
}

/// <summary>Read view over both halves of a <see cref="FaultBook"/>, in id (= raise) order.</summary>
public readonly struct FaultTable(FaultBook book)
{
    public int Count => book.Active.Count + book.Cleared.Count;

    public Fault? Get(string id) => book.Active.Get(id) ?? book.Cleared.Get(id);

    public bool Contains(string id) => book.Active.Contains(id) || book.Cleared.Contains(id);

    /// <summary>Faults after <paramref name="marker"/>, merging the two ordered halves.</summary>
    public IEnumerable<Fault> After(string? marker)
    {
        using var active = book.Active.After(marker).GetEnumerator();
        using var cleared = book.Cleared.After(marker).GetEnumerator();
        var hasActive = active.MoveNext();
        var hasCleared = cleared.MoveNext();
        while (hasActive || hasCleared)
        {
            if (hasActive && (!hasCleared || string.CompareOrdinal(active.Current.FaultId, cleared.Current.FaultId) < 0))
            {
                yield return active.Current;
                hasActive = active.MoveNext();
            }
            else
            {
                yield return cleared.Current;
                hasCleared = cleared.MoveNext();
            }
        }
    }
}
