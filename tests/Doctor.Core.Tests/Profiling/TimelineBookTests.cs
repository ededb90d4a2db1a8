using Doctor.Profiling;

namespace Doctor.Core.Tests.Profiling;

public class TimelineBookTests
{
    [Fact]
    public void Add_BeyondCapacity_ForgetsTheOldest()
    {
        var book = new TimelineBook(capacity: 2);

        book.Add(new Timeline("flt-1", 1, 2));
        book.Add(new Timeline("flt-2", 1, 2));
        book.Add(new Timeline("flt-3", 1, 2));

        Assert.Null(book.Get("flt-1"));
        Assert.NotNull(book.Get("flt-2"));
        Assert.NotNull(book.Get("flt-3"));
    }

    [Fact]
    public void Add_SameFaultTwice_KeepsTheFirst()
    {
        var book = new TimelineBook();
        var first = new Timeline("flt-1", 1, 2);

        book.Add(first);
        book.Add(new Timeline("flt-1", 5, 6));

        Assert.Same(first, book.Get("flt-1"));
    }

    [Fact]
    public void Timeline_Checkpoints_StartWithReceivedAndRecorded()
    {
        var timeline = new Timeline("flt-1", received: 100, recorded: 200);

        Assert.Equal(100, timeline[Checkpoint.Received]);
        Assert.Equal(200, timeline[Checkpoint.Recorded]);
        Assert.Equal(0, timeline[Checkpoint.NotificationBuilt]);
        Assert.Null(timeline.MillisecondsAt(timeline[Checkpoint.NotificationBuilt]));
    }

    [Fact]
    public void Timeline_Marks_AreMonotonicAfterReceived()
    {
        var timeline = new Timeline("flt-1", System.Diagnostics.Stopwatch.GetTimestamp(), 0);

        timeline.Mark(Checkpoint.FoundAffected);
        timeline.Mark(Checkpoint.NotificationBuilt);

        Assert.True(timeline[Checkpoint.NotificationBuilt] >= timeline[Checkpoint.FoundAffected]);
        Assert.True(timeline.MillisecondsAt(timeline[Checkpoint.FoundAffected]) >= 0);
    }

    [Fact]
    public void Timeline_DeliveredWithoutSent_RecordsBoth()
    {
        var timeline = new Timeline("flt-1", 1, 2);

        timeline.Sent("sub-1");
        timeline.Delivered("sub-1");
        timeline.Delivered("sub-2");

        var (sent, delivered) = timeline.Deliveries["sub-1"];
        Assert.True(delivered >= sent && sent > 0);
        Assert.Equal(timeline.Deliveries["sub-2"].Sent, timeline.Deliveries["sub-2"].Delivered);
    }
}
