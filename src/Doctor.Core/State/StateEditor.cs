using System.Collections.Immutable;
using Doctor.Access;
using Doctor.Faults;
using Doctor.Inventory;
using Doctor.Maintenance;
using Doctor.Notification;
using Doctor.Silences;
using Doctor.Subscriptions;

namespace Doctor.State;

/// <summary>
/// The engine's working copy of one <see cref="DoctorState"/> for one unit of work (an event or a command):
/// either all of it becomes the next version, or, if the work throws, none of it does.
/// </summary>
public sealed class StateEditor
{
    private readonly DoctorState _base;
    private ResourceMapEditor? _map;
    private FaultBookEditor? _faults;
    private SubscriptionBookEditor? _subscriptions;
    private TokenBookEditor? _tokens;
    private SilenceBookEditor? _silences;
    private MaintenanceBookEditor? _maintenance;
    private ConstraintBookEditor? _constraints;

    public StateEditor(DoctorState state, DateTimeOffset now)
    {
        _base = state;
        Now = now;
    }

    /// <summary>The clock reading for this unit of work (commands); events use their recorded time instead.</summary>
    public DateTimeOffset Now { get; }

    /// <summary>Row changes in the order they were made; the store applies them in that order.</summary>
    public List<RowChange> Changes { get; } = [];

    public long ProcessedSeq { get; set; }

    /// <summary>Notices a command produced (maintenance messages); the engine publishes them with its batch.</summary>
    public List<Notice> Notices { get; } = [];

    /// <summary>What a command's maintenance steps ask of the cloud; the engine hands them to its maintenance controller
    /// with its batch.</summary>
    public List<MaintenanceCall> MaintenanceCalls { get; } = [];

    /// <summary>The version this editor started from (read-only queries that need no edits).</summary>
    public DoctorState Base => _base;

    public ResourceMapEditor Map => _map ??= new ResourceMapEditor(_base.Map, Changes);
    public FaultBookEditor Faults => _faults ??= new FaultBookEditor(_base.Faults, Changes);
    public SubscriptionBookEditor Subscriptions => _subscriptions ??= new SubscriptionBookEditor(_base.Subscriptions, Changes);
    public TokenBookEditor Tokens => _tokens ??= new TokenBookEditor(_base.Tokens, Changes);
    public SilenceBookEditor Silences => _silences ??= new SilenceBookEditor(_base.Silences, Changes);
    public MaintenanceBookEditor Maintenance => _maintenance ??= new MaintenanceBookEditor(_base.Maintenance, Changes);
    public ConstraintBookEditor Constraints => _constraints ??= new ConstraintBookEditor(_base.Constraints, Changes);

    public DoctorState Build() => new(
        _map?.Build() ?? _base.Map,
        _faults?.Build() ?? _base.Faults,
        _subscriptions?.Build() ?? _base.Subscriptions,
        _tokens?.Build() ?? _base.Tokens,
        Math.Max(_base.ProcessedSeq, ProcessedSeq))
    {
        Silences = _silences?.Build() ?? _base.Silences,
        Maintenance = _maintenance?.Build() ?? _base.Maintenance,
        Constraints = _constraints?.Build() ?? _base.Constraints,
    };
}

/// <summary>Mutable view of a <see cref="FaultBook"/>.</summary>
public sealed class FaultBookEditor
{
    private readonly List<RowChange> _changes;
    private readonly TableEditor<Fault> _active;
    private readonly TableEditor<Fault> _cleared;
    private readonly ActiveFaultIndexEditor _byResource;
    private readonly Table<Fault> _clearedBase;

    internal FaultBookEditor(FaultBook book, List<RowChange> changes)
    {
        _changes = changes;
        _active = book.Active.Edit();
        _cleared = book.Cleared.Edit();
        _clearedBase = book.Cleared;
        _byResource = book.ActiveByResource.Edit();
    }

    public Fault? Get(string faultId) => _active.Get(faultId) ?? _cleared.Get(faultId);

    /// <summary>Active faults on a resource, in id (raise) order. A struct: the fault path asks this for every
    /// resource it touches, and a foreach over it allocates nothing.</summary>
    public ActiveFaults ActiveOn(ResourceType type, string id) => new(_byResource.Get(type, id), _active);

    /// <summary>Records a new or changed fault; a cleared fault moves from the active set to the history.</summary>
    public void Put(Fault fault)
    {
        if (fault.IsActive)
        {
            if (_active.Get(fault.FaultId) is null)
                _byResource.Add(fault.ResourceType, fault.ResourceId, fault.FaultId);
            _active.Put(fault.FaultId, fault);
        }
        else
        {
            if (_active.Remove(fault.FaultId))
                _byResource.Remove(fault.ResourceType, fault.ResourceId, fault.FaultId);
            _cleared.Put(fault.FaultId, fault);
        }

        _changes.Add(new RowChange(RowKind.Fault, fault.FaultId, fault));
    }

    /// <summary>Drops the oldest cleared faults beyond <paramref name="keep"/> (at most <paramref name="most"/> per call); returns how many.</summary>
    public int Evict(int keep, int most)
    {
        var excess = Math.Min(_cleared.Count - keep, most);
        if (excess <= 0)
            return 0;
        foreach (var id in Ordered.After(_clearedBase.Order, null).Take(excess).ToList())
        {
            _cleared.Remove(id);
            _changes.Add(new RowChange(RowKind.Fault, id, null));
        }

        return excess;
    }

    public FaultBook Build() => new(_active.Build(), _cleared.Build(), _byResource.Build());
}

/// <summary>The active faults on one resource, enumerated without allocating.</summary>
public readonly struct ActiveFaults : IEnumerable<Fault>
{
    private readonly ImmutableArray<string> _ids;
    private readonly TableEditor<Fault> _active;

    internal ActiveFaults(ImmutableArray<string> ids, TableEditor<Fault> active)
    {
        _ids = ids;
        _active = active;
    }

    public int Count => _ids.Length;

    public Enumerator GetEnumerator() => new(_ids, _active);

    IEnumerator<Fault> IEnumerable<Fault>.GetEnumerator() => GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public struct Enumerator : IEnumerator<Fault>
    {
        private readonly ImmutableArray<string> _ids;
        private readonly TableEditor<Fault> _active;
        private int _index;

        internal Enumerator(ImmutableArray<string> ids, TableEditor<Fault> active)
        {
            _ids = ids;
            _active = active;
            _index = -1;
            Current = null!;
        }

        public Fault Current { get; private set; }

        readonly object System.Collections.IEnumerator.Current => Current;

        public bool MoveNext()
        {
            if (++_index >= _ids.Length)
                return false;
            Current = _active.Get(_ids[_index])!;
            return true;
        }

        public void Reset() => _index = -1;

        public readonly void Dispose()
        {
        }
    }
}

/// <summary>Mutable view of a <see cref="SubscriptionBook"/>.</summary>
public sealed class SubscriptionBookEditor
{
    private readonly List<RowChange> _changes;
    private readonly TableEditor<Subscription> _all;
    private readonly MultiIndexEditor _byProject;

    internal SubscriptionBookEditor(SubscriptionBook book, List<RowChange> changes)
    {
        _changes = changes;
        _all = book.All.Edit();
        _byProject = book.ByProject.Edit();
    }

    public Subscription? Get(string id) => _all.Get(id);

    public void Put(Subscription subscription)
    {
        Remove(subscription.SubscriptionId, logged: false);
        _all.Put(subscription.SubscriptionId, subscription);
        _byProject.Add(SubscriptionBook.KeyOf(subscription), subscription.SubscriptionId);
        _changes.Add(new RowChange(RowKind.Subscription, subscription.SubscriptionId, subscription));
    }

    public bool Remove(string id) => Remove(id, logged: true);

    private bool Remove(string id, bool logged)
    {
        var old = _all.Get(id);
        if (old is null)
            return false;
        _all.Remove(id);
        _byProject.Remove(SubscriptionBook.KeyOf(old), id);
        if (logged)
            _changes.Add(new RowChange(RowKind.Subscription, id, null));
        return true;
    }

    public SubscriptionBook Build() => new(_all.Build(), _byProject.Build());
}

/// <summary>Mutable view of a <see cref="TokenBook"/>.</summary>
public sealed class TokenBookEditor
{
    private readonly List<RowChange> _changes;
    private readonly TableEditor<Token> _all;
    private readonly TableEditor<Token> _byHash;

    internal TokenBookEditor(TokenBook book, List<RowChange> changes)
    {
        _changes = changes;
        _all = book.All.Edit();
        _byHash = book.ByHash.Edit();
    }

    public Token? Get(string tokenId) => _all.Get(tokenId);

    public void Put(Token token)
    {
        if (_all.Get(token.TokenId) is { } old)
            _byHash.Remove(old.Hash);
        _all.Put(token.TokenId, token);
        _byHash.Put(token.Hash, token);
        _changes.Add(new RowChange(RowKind.Token, token.TokenId, token));
    }

    public bool Remove(string tokenId)
    {
        var old = _all.Get(tokenId);
        if (old is null)
            return false;
        _all.Remove(tokenId);
        _byHash.Remove(old.Hash);
        _changes.Add(new RowChange(RowKind.Token, tokenId, null));
        return true;
    }

    public TokenBook Build() => new(_all.Build(), _byHash.Build());
}

/// <summary>Mutable view of a <see cref="SilenceBook"/>.</summary>
public sealed class SilenceBookEditor
{
    private readonly List<RowChange> _changes;
    private readonly SilenceBook _base;
    private readonly TableEditor<Silence> _all;
    private bool _edited;

    internal SilenceBookEditor(SilenceBook book, List<RowChange> changes)
    {
        _changes = changes;
        _base = book;
        _all = book.All.Edit();
    }

    public int Count => _all.Count;

    public Silence? Get(string silenceId) => _all.Get(silenceId);

    public void Put(Silence silence)
    {
        _all.Put(silence.SilenceId, silence);
        _edited = true;
        _changes.Add(new RowChange(RowKind.Silence, silence.SilenceId, silence));
    }

    public bool Remove(string silenceId)
    {
        if (!_all.Remove(silenceId))
            return false;
        _edited = true;
        _changes.Add(new RowChange(RowKind.Silence, silenceId, null));
        return true;
    }

    /// <summary>The same book when nothing changed, so readers of <see cref="SilenceBook.Find"/> keep its array.</summary>
    public SilenceBook Build() => _edited ? new SilenceBook(_all.Build()) : _base;
}
