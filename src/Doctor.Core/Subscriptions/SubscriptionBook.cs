using Doctor.State;

namespace Doctor.Subscriptions;

/// <summary>Subscriptions by id and by the project they listen to.</summary>
public sealed class SubscriptionBook
{
    /// <summary>Index key of admin subscriptions without a project (identifiers never hold a NUL).</summary>
    public const string GlobalKey = "\0";

    public static readonly SubscriptionBook Empty = new(Table<Subscription>.Empty, MultiIndex.Empty);

    public SubscriptionBook(Table<Subscription> all, MultiIndex byProject)
    {
        All = all;
        ByProject = byProject;
    }

    public Table<Subscription> All { get; }

    /// <summary>Project id (or <see cref="GlobalKey"/>) → subscription ids.</summary>
    public MultiIndex ByProject { get; }

    public static string KeyOf(Subscription subscription) => subscription.ProjectId ?? GlobalKey;

    public static SubscriptionBook From(IEnumerable<Subscription> subscriptions)
    {
        var list = subscriptions.ToList();
        return new SubscriptionBook(
            Table<Subscription>.From(list.Select(s => KeyValuePair.Create(s.SubscriptionId, s))),
            MultiIndex.From(list.Select(s => (KeyOf(s), s.SubscriptionId))));
    }
}
