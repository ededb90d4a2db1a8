using System.Collections.Immutable;
using Doctor.Inventory;

namespace Doctor.Faults;

/// <summary>
/// Resource → ids of its active faults, in id (raise) order. One dictionary per resource type keyed by the resource
/// id, so a lookup builds no key string, and a small array per resource (it rarely holds more than two faults), so a
/// raise on thousands of resources allocates one array each instead of a sorted set's tree.
/// </summary>
public sealed class ActiveFaultIndex
{
    private static readonly int TypeCount = Enum.GetValues<ResourceType>().Length;

    private static readonly ImmutableDictionary<string, ImmutableArray<string>> NoIds =
        ImmutableDictionary<string, ImmutableArray<string>>.Empty.WithComparers(StringComparer.Ordinal);

    public static readonly ActiveFaultIndex Empty = new([.. Enumerable.Repeat(NoIds, TypeCount)]);

    internal ActiveFaultIndex(ImmutableDictionary<string, ImmutableArray<string>>[] byType) => ByType = byType;

    internal ImmutableDictionary<string, ImmutableArray<string>>[] ByType { get; }

    /// <summary>Ids of the active faults on a resource, in id order; empty when none.</summary>
    public ImmutableArray<string> Get(ResourceType type, string id) =>
        ByType[(int)type].TryGetValue(id, out var ids) ? ids : [];

    /// <summary>Ids of the active faults on the resource with key <paramref name="key"/> (<see cref="Keys.Resource"/>), as
    /// the sorted set this index used to hold (readers off the fault path).</summary>
    public ImmutableSortedSet<string> Get(string key)
    {
        var colon = key.IndexOf(':');
        var ids = colon > 0 && ResourceTypes.TryParse(key[..colon], out var type) ? Get(type, key[(colon + 1)..]) : [];
        return ImmutableSortedSet.Create(StringComparer.Ordinal, ids.AsSpan());
    }

    /// <summary>Resources with at least one active fault.</summary>
    public int KeyCount => ByType.Sum(d => d.Count);

    public ActiveFaultIndexEditor Edit() => new(this);

    /// <summary>Builds the index in one pass from active faults.</summary>
    public static ActiveFaultIndex From(IEnumerable<Fault> faults)
    {
        var groups = new Dictionary<(ResourceType, string), List<string>>();
        foreach (var fault in faults)
        {
            if (!groups.TryGetValue((fault.ResourceType, fault.ResourceId), out var list))
                groups[(fault.ResourceType, fault.ResourceId)] = list = [];
            list.Add(fault.FaultId);
        }

        var builders = Enumerable.Range(0, TypeCount).Select(_ => NoIds.ToBuilder()).ToArray();
        foreach (var ((type, id), list) in groups)
        {
            list.Sort(StringComparer.Ordinal);
            builders[(int)type][id] = [.. list];
        }

        return new ActiveFaultIndex([.. builders.Select(b => b.ToImmutable())]);
    }
}

/// <summary>Mutable view of one <see cref="ActiveFaultIndex"/> version; a type's builder is created on its first write.</summary>
public sealed class ActiveFaultIndexEditor
{
    private readonly ActiveFaultIndex _base;
    private readonly ImmutableDictionary<string, ImmutableArray<string>>.Builder?[] _builders;

    internal ActiveFaultIndexEditor(ActiveFaultIndex index)
    {
        _base = index;
        _builders = new ImmutableDictionary<string, ImmutableArray<string>>.Builder?[index.ByType.Length];
    }

    public ImmutableArray<string> Get(ResourceType type, string id)
    {
        if (_builders[(int)type] is not { } builder)
            return _base.Get(type, id);
        return builder.TryGetValue(id, out var ids) ? ids : [];
    }

    public void Add(ResourceType type, string id, string faultId)
    {
        var ids = Get(type, id);
        var at = ids.IsEmpty || string.CompareOrdinal(ids[^1], faultId) < 0 ? ids.Length : ids.BinarySearch(faultId, StringComparer.Ordinal);
        if (at < 0)
            at = ~at;
        else if (at < ids.Length && ids[at] == faultId)
            return;
        Builder(type)[id] = ids.Insert(at, faultId);
    }

    public void Remove(ResourceType type, string id, string faultId)
    {
        var ids = Get(type, id);
        var at = ids.IndexOf(faultId, StringComparer.Ordinal);
        if (at < 0)
            return;
        if (ids.Length == 1)
            Builder(type).Remove(id);
        else
            Builder(type)[id] = ids.RemoveAt(at);
    }

    public ActiveFaultIndex Build()
    {
        if (Array.TrueForAll(_builders, b => b is null))
            return _base;
        var byType = new ImmutableDictionary<string, ImmutableArray<string>>[_builders.Length];
        for (var i = 0; i < byType.Length; i++)
            byType[i] = _builders[i]?.ToImmutable() ?? _base.ByType[i];
        return new ActiveFaultIndex(byType);
    }

    private ImmutableDictionary<string, ImmutableArray<string>>.Builder Builder(ResourceType type) =>
        _builders[(int)type] ??= _base.ByType[(int)type].ToBuilder();
}
