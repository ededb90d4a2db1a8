using Doctor.State;

namespace Doctor.Maintenance;

/// <summary>Maintenance sessions by id.</summary>
public sealed class MaintenanceBook(Table<MaintenanceSession> all)
{
    public static readonly MaintenanceBook Empty = new(Table<MaintenanceSession>.Empty);

    public Table<MaintenanceSession> All { get; } = all;

    /// <summary>Whether a session is still running (the clock has work to do).</summary>
    public bool AnyActive => All.After(null).Any(s => s.IsActive);

    public static MaintenanceBook From(IEnumerable<MaintenanceSession> sessions) =>
        new(Table<MaintenanceSession>.From(sessions.Select(s => KeyValuePair.Create(s.SessionId, s))));
}

/// <summary>Mutable view of a <see cref="MaintenanceBook"/>.</summary>
public sealed class MaintenanceBookEditor
{
    private readonly List<RowChange> _changes;
    private readonly MaintenanceBook _base;
    private readonly TableEditor<MaintenanceSession> _all;
    private bool _edited;

    internal MaintenanceBookEditor(MaintenanceBook book, List<RowChange> changes)
    {
        _changes = changes;
        _base = book;
        _all = book.All.Edit();
    }

    public MaintenanceSession? Get(string sessionId) => _all.Get(sessionId);

    public IReadOnlyList<string> Ids() => _all.Keys();

    public void Put(MaintenanceSession session)
    {
        _all.Put(session.SessionId, session);
        _edited = true;
        _changes.Add(new RowChange(RowKind.MaintenanceSession, session.SessionId, session));
    }

    public bool Remove(string sessionId)
    {
        if (!_all.Remove(sessionId))
            return false;
        _edited = true;
        _changes.Add(new RowChange(RowKind.MaintenanceSession, sessionId, null));
        return true;
    }

    public MaintenanceBook Build() => _edited ? new MaintenanceBook(_all.Build()) : _base;
}
