using System.Collections.Immutable;

namespace Doctor.State;

/// <summary>
/// An immutable keyed collection with a stable (ordinal) order for paging. Readers share it without locks;
/// the engine derives the next version through <see cref="TableEditor{T}"/>.
/// </summary>
public sealed class Table<T>
    where T : class
{
    public static readonly Table<T> Empty = new(
        ImmutableDictionary<string, T>.Empty.WithComparers(StringComparer.Ordinal),
        ImmutableSortedSet<string>.Empty.WithComparer(StringComparer.Ordinal));

    internal Table(ImmutableDictionary<string, T> byId, ImmutableSortedSet<string> order)
    {
        ById = byId;
        Order = order;
    }

    internal ImmutableDictionary<string, T> ById { get; }
    internal ImmutableSortedSet<string> Order { get; }

    public int Count => ById.Count;

    public T? Get(string id) => ById.GetValueOrDefault(id);

    public bool Contains(string id) => ById.ContainsKey(id);

    /// <summary>Items in key order, starting after <paramref name="marker"/> (which need not exist).</summary>
    public IEnumerable<T> After(string? marker)
    {
        foreach (var id in Ordered.After(Order, marker))
            yield return ById[id];
    }

    public TableEditor<T> Edit() => new(this);

    /// <summary>Builds a table in one pass; used when loading the store at start.</summary>
    public static Table<T> From(IEnumerable<KeyValuePair<string, T>> items)
    {
        var byId = ImmutableDictionary.CreateBuilder<string, T>(StringComparer.Ordinal);
        byId.AddRange(items);
        // Union into an empty set sorts once and builds the balanced tree in one pass (not n rebalancing inserts).
        var order = Empty.Order.Union(byId.Keys);
        return new Table<T>(byId.ToImmutable(), order);
    }
}

/// <summary>Mutable view of one <see cref="Table{T}"/> version; builders are created on first write.</summary>
public sealed class TableEditor<T>
    where T : class
{
    private readonly Table<T> _base;
    private ImmutableDictionary<string, T>.Builder? _byId;
    private ImmutableSortedSet<string>.Builder? _order;

    internal TableEditor(Table<T> table) => _base = table;

    public int Count => _byId?.Count ?? _base.Count;

    public T? Get(string id) => _byId is null ? _base.Get(id) : _byId.GetValueOrDefault(id);

    public void Put(string id, T item)
    {
        _byId ??= _base.ById.ToBuilder();
        if (!_byId.ContainsKey(id))
        {
            _order ??= _base.Order.ToBuilder();
            _order.Add(id);
        }

        _byId[id] = item;
    }

    public bool Remove(string id)
    {
        _byId ??= _base.ById.ToBuilder();
        if (!_byId.Remove(id))
            return false;
        _order ??= _base.Order.ToBuilder();
        _order.Remove(id);
        return true;
    }

    /// <summary>Every key in order (used by whole-map replacement).</summary>
    public IReadOnlyList<string> Keys() => [.. (IEnumerable<string>?)_order ?? _base.Order];

    public Table<T> Build() =>
        _byId is null ? _base : new Table<T>(_byId.ToImmutable(), _order?.ToImmutable() ?? _base.Order);
}

/// <summary>Paging over ordinal sorted sets.</summary>
public static class Ordered
{
    /// <summary>Members after <paramref name="marker"/> in order; a marker that is not a member starts where it would be.</summary>
    public static IEnumerable<string> After(ImmutableSortedSet<string> set, string? marker)
    {
        var start = 0;
        if (marker is not null)
        {
            var index = set.IndexOf(marker);
            start = index >= 0 ? index + 1 : ~index;
        }

        for (var i = start; i < set.Count; i++)
            yield return set[i];
    }
}
