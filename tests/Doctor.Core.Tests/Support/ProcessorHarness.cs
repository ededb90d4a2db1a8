using Doctor.Control;
using Doctor.Events;
using Doctor.Inspection;
using Doctor.Profiling;
using Doctor.State;

namespace Doctor.Core.Tests.Support;

/// <summary>Drives a <see cref="FaultProcessor"/> the way the engine does: one editor per event, in log order.</summary>
public sealed class ProcessorHarness(DoctorState state)
{
    private long _seq;

    public ProcessorHarness() : this(TestMap.State())
    {
    }

    public DoctorState State { get; set; } = state;
    public TimelineBook Timelines { get; } = new();
    public FailurePolicy Policy { get; set; } = FailurePolicy.Default;
    public FaultProcessor Processor => new(new PolicySource(Policy), Timelines);
    public IReadOnlyList<RowChange> LastChanges { get; private set; } = [];

    /// <summary>When the next event is recorded; also its faults' raised_at.</summary>
    public DateTimeOffset Now { get; set; } = TestMap.Start.AddMinutes(2);

    public long LastSeq => _seq;

    public ProcessResult Apply(RawEvent e, long receivedTicks = 0) => ApplyAt(++_seq, e, receivedTicks);

    /// <summary>Applies <paramref name="e"/> as the event at log position <paramref name="seq"/>.</summary>
    public ProcessResult ApplyAt(long seq, RawEvent e, long receivedTicks = 0)
    {
        _seq = Math.Max(_seq, seq);
        var editor = new StateEditor(State, Now) { ProcessedSeq = seq };
        var result = Processor.Process(editor, new EventRecord(seq, e, Now, receivedTicks, receivedTicks == 0 ? 0 : receivedTicks + 1));
        State = editor.Build();
        LastChanges = editor.Changes;
        return result;
    }
}
