using Doctor.Faults;
using Doctor.Inspection;
using Doctor.Inventory;
using Doctor.State;

namespace Doctor.Core.Tests.Faults;

public sealed class FaultRetentionTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static Fault Fault(int n, bool cleared) => new()
    {
        FaultId = $"flt-{n:x12}-000000", FaultType = "compute.host.down", Severity = Severity.Critical, ResourceType = ResourceType.Host,
        ResourceId = $"h{n}", EventId = $"e{n}", EventTime = At, RaisedAt = At, ProbableCause = "host failure", Effect = Effect.HostDown,
        IsRootCause = true, ClearedAt = cleared ? At.AddMinutes(1) : null,
    };

    private static DoctorState With(params Fault[] faults) => DoctorState.Empty with { Faults = FaultBook.From(faults) };

    [Fact]
    public void Evict_MoreClearedThanKept_DropsTheOldestClearedOnlyAndLogsDeletes()
    {
        var state = With(Fault(1, true), Fault(2, false), Fault(3, true), Fault(4, true), Fault(5, true));
        var editor = new StateEditor(state, At);

        var dropped = editor.Faults.Evict(keep: 2, most: 10);
        var next = editor.Build();

        Assert.Equal(2, dropped);
        Assert.Equal(["flt-000000000004-000000", "flt-000000000005-000000"], next.Faults.Cleared.After(null).Select(f => f.FaultId));
        Assert.NotNull(next.Faults.All.Get("flt-000000000002-000000")); // active faults are never dropped
        Assert.Null(next.Faults.All.Get("flt-000000000001-000000"));
        Assert.Equal(
            [(RowKind.Fault, "flt-000000000001-000000"), (RowKind.Fault, "flt-000000000003-000000")],
            editor.Changes.Where(c => c.Value is null).Select(c => (c.Kind, c.Id)));
        Assert.Equal(5, state.Faults.All.Count); // the old version is untouched
    }

    [Fact]
    public void Evict_AtMostPerCall_LeavesTheRestForLater()
    {
        var editor = new StateEditor(With(Fault(1, true), Fault(2, true), Fault(3, true), Fault(4, true)), At);
        Assert.Equal(1, editor.Faults.Evict(keep: 1, most: 1));
        Assert.Equal(3, editor.Build().Faults.Cleared.Count);
    }

    [Fact]
    public void Evict_WithinLimit_DropsNothing()
    {
        var editor = new StateEditor(With(Fault(1, true), Fault(2, false)), At);
        Assert.Equal(0, editor.Faults.Evict(keep: 1, most: 10));
        Assert.Empty(editor.Changes);
    }

    [Fact]
    public void All_MergesActiveAndClearedInIdOrder()
    {
        var book = With(Fault(3, false), Fault(1, true), Fault(4, true), Fault(2, false)).Faults;

        Assert.Equal([1, 2, 3, 4], book.All.After(null).Select(f => int.Parse(f.ResourceId[1..], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal([3, 4], book.All.After("flt-000000000002-000000").Select(f => int.Parse(f.ResourceId[1..], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(4, book.All.Count);
    }

    [Fact]
    public void Put_ClearingAFault_MovesItFromActiveToCleared()
    {
        var editor = new StateEditor(With(Fault(1, false)), At);
        editor.Faults.Put(Fault(1, true));
        var book = editor.Build().Faults;

        Assert.Equal(0, book.Active.Count);
        Assert.Equal(1, book.Cleared.Count);
        Assert.True(book.ActiveByResource.Get(Keys.Resource(ResourceType.Host, "h1")).IsEmpty);
    }
}
