using Doctor.State;

namespace Doctor.Silences;

/// <summary>Every silence by id (pending, active and expired alike, until an admin deletes it).</summary>
public sealed class SilenceBook
{
    public static readonly SilenceBook Empty = new(Table<Silence>.Empty);

    // The engine asks once per fault and silences change rarely: a flat array in id order makes the scan a loop
    // over references instead of a walk of the sorted tree.
    private readonly Silence[] _ordered;

    public SilenceBook(Table<Silence> all)
    {
        All = all;
        _ordered = all.Count == 0 ? [] : [.. all.After(null)];
    }

    public Table<Silence> All { get; }

    /// <summary>
    /// The first silence (by id) active at <paramref name="at"/> (<c>StartsAt &lt;= at &lt; EndsAt</c>) whose every
    /// set matcher matches <paramref name="subject"/>; null if none. Ids are time-ordered, so the first is the oldest.
    /// </summary>
    public Silence? Find(DateTimeOffset at, in SilenceSubject subject)
    {
        foreach (var silence in _ordered)
        {
            if (silence.IsActiveAt(at) && silence.Matchers.Matches(subject))
                return silence;
        }

        return null;
    }

    public static SilenceBook From(IEnumerable<Silence> silences) =>
        new(Table<Silence>.From(silences.Select(s => KeyValuePair.Create(s.SilenceId, s))));
}
