using System.Collections.Immutable;

namespace Doctor.State;

/// <summary>An immutable one-to-many index (e.g. host → server ids), each value set kept in ordinal order.</summary>
public sealed class MultiIndex
{
    public static readonly MultiIndex Empty = new(ImmutableDictionary<string, ImmutableSortedSet<string>>.Empty.WithComparers(StringComparer.Ordinal));

    private static readonly ImmutableSortedSet<string> None = ImmutableSortedSet<string>.Empty.WithComparer(StringComparer.Ordinal);

    internal MultiIndex(ImmutableDictionary<string, ImmutableSortedSet<string>> map) => Map = map;

    internal ImmutableDictionary<string, ImmutableSortedSet<string>> Map { get; }

    /// <summary>The members under <paramref name="key"/>; empty when none (or when the key is null).</summary>
    public ImmutableSortedSet<string> Get(string? key) =>
        key is not null && Map.TryGetValue(key, out var set) ? set : None;

    public int KeyCount => Map.Count;

    public MultiIndexEditor Edit() => new(this);

    /// <summary>Builds an index in one pass from (key, member) pairs.</summary>
    public static MultiIndex From(IEnumerable<(string Key, string Member)> pairs)
    {
        var groups = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var (key, member) in pairs)
        {
            if (!groups.TryGetValue(key, out var list))
                groups[key] = list = [];
            list.Add(member);
        }

        var map = ImmutableDictionary.CreateBuilder<string, ImmutableSortedSet<string>>(StringComparer.Ordinal);
        foreach (var (key, list) in groups)
            map[key] = None.Union(list);
        return new MultiIndex(map.ToImmutable());
    }

    internal static ImmutableSortedSet<string> EmptySet => None;
}

/// <summary>Mutable view of one <see cref="MultiIndex"/> version.</summary>
public sealed class MultiIndexEditor
{
    private readonly MultiIndex _base;
    private ImmutableDictionary<string, ImmutableSortedSet<string>>.Builder? _map;

    internal MultiIndexEditor(MultiIndex index) => _base = index;

    public ImmutableSortedSet<string> Get(string? key)
    {
        if (_map is null)
            return _base.Get(key);
        return key is not null && _map.TryGetValue(key, out var set) ? set : MultiIndex.EmptySet;
    }

    public void Add(string? key, string member)
    {
        if (key is null)
            return;
        _map ??= _base.Map.ToBuilder();
        _map[key] = Get(key).Add(member);
    }

    public void Remove(string? key, string member)
    {
        if (key is null)
            return;
        var set = Get(key);
        if (!set.Contains(member))
            return;
        _map ??= _base.Map.ToBuilder();
        var smaller = set.Remove(member);
        if (smaller.IsEmpty)
            _map.Remove(key);
        else
            _map[key] = smaller;
    }

    public MultiIndex Build() => _map is null ? _base : new MultiIndex(_map.ToImmutable());
}
