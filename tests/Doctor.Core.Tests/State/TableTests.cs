using System.Collections.Immutable;
using Doctor.State;

namespace Doctor.Core.Tests.State;

public class TableTests
{
    private sealed record Item(string Id, int Value);

    private static Table<Item> Sample(params string[] ids) =>
        Table<Item>.From(ids.Select((id, i) => KeyValuePair.Create(id, new Item(id, i))));

    [Fact]
    public void After_NullMarker_ListsEveryItemInOrdinalOrder()
    {
        var table = Sample("b", "a", "C", "aa");

        Assert.Equal(["C", "a", "aa", "b"], table.After(null).Select(i => i.Id));
    }

    [Fact]
    public void After_ExistingMarker_StartsRightAfterIt()
    {
        var table = Sample("a", "b", "c", "d");

        Assert.Equal(["c", "d"], table.After("b").Select(i => i.Id));
    }

    [Fact]
    public void After_AbsentMarker_StartsWhereItWouldBe()
    {
        // A deleted marker must not restart or end the listing.
        var table = Sample("a", "c", "e");

        Assert.Equal(["c", "e"], table.After("b").Select(i => i.Id));
    }

    [Fact]
    public void After_LastOrBeyondMarker_IsEmpty()
    {
        var table = Sample("a", "b");

        Assert.Empty(table.After("b"));
        Assert.Empty(table.After("zzz"));
    }

    [Fact]
    public void After_PagingWithLastIdAsMarker_VisitsEveryItemOnce()
    {
        var ids = Enumerable.Range(0, 25).Select(i => $"id-{i:D3}").Reverse().ToArray();
        var table = Sample(ids);
        var seen = new List<string>();
        string? marker = null;
        while (true)
        {
            var page = table.After(marker).Take(10).ToList();
            if (page.Count == 0)
                break;
            seen.AddRange(page.Select(i => i.Id));
            marker = page[^1].Id;
        }

        Assert.Equal(ids.Order(StringComparer.Ordinal), seen);
    }

    [Fact]
    public void GetAndContains_KnownAndUnknownIds_AnswerAccordingly()
    {
        var table = Sample("a");

        Assert.Equal(new Item("a", 0), table.Get("a"));
        Assert.Null(table.Get("A"));
        Assert.True(table.Contains("a"));
        Assert.False(table.Contains("b"));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void Editor_PutAndRemove_LeaveTheBaseVersionUnchanged()
    {
        var table = Sample("a", "b");
        var editor = table.Edit();

        editor.Put("c", new Item("c", 9));
        editor.Put("a", new Item("a", 42));
        editor.Remove("b");
        var next = editor.Build();

        Assert.Equal(["a", "b"], table.After(null).Select(i => i.Id));
        Assert.Equal(0, table.Get("a")!.Value);
        Assert.Equal(["a", "c"], next.After(null).Select(i => i.Id));
        Assert.Equal(42, next.Get("a")!.Value);
        Assert.Equal(2, next.Count);
    }

    [Fact]
    public void Editor_PutExistingId_ReplacesWithoutDuplicatingItInTheOrder()
    {
        var editor = Sample("a").Edit();

        editor.Put("a", new Item("a", 1));
        editor.Put("a", new Item("a", 2));

        Assert.Equal(["a"], editor.Keys());
        Assert.Equal(2, editor.Build().Get("a")!.Value);
    }

    [Fact]
    public void Editor_ReadsItsOwnWrites()
    {
        var editor = Sample("a").Edit();

        editor.Put("b", new Item("b", 1));
        editor.Remove("a");

        Assert.Null(editor.Get("a"));
        Assert.Equal(1, editor.Get("b")!.Value);
        Assert.Equal(1, editor.Count);
        Assert.Equal(["b"], editor.Keys());
    }

    [Fact]
    public void Editor_RemoveUnknown_ReturnsFalse()
    {
        var editor = Sample("a").Edit();

        Assert.False(editor.Remove("zz"));
        Assert.Equal(["a"], editor.Build().After(null).Select(i => i.Id));
    }

    [Fact]
    public void Editor_NoWrites_BuildsTheSameVersion()
    {
        var table = Sample("a");

        Assert.Same(table, table.Edit().Build());
    }

    [Fact]
    public void OrderedAfter_MarkerBetweenMembers_StartsAtTheNextMember()
    {
        var set = ImmutableSortedSet.Create(StringComparer.Ordinal, "host-1", "host-3", "host-5");

        Assert.Equal(["host-1", "host-3", "host-5"], Ordered.After(set, null));
        Assert.Equal(["host-5"], Ordered.After(set, "host-3"));
        Assert.Equal(["host-3", "host-5"], Ordered.After(set, "host-2"));
        Assert.Equal(["host-1", "host-3", "host-5"], Ordered.After(set, ""));
        Assert.Empty(Ordered.After(set, "host-6"));
    }
}
