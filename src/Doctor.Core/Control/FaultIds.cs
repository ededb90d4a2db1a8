namespace Doctor.Control;

/// <summary>
/// Fault ids derived from the event's log position, so replaying the log after a crash raises the very same
/// ids, and ids sort in raise order (fixed-width lower-case hex).
/// </summary>
public struct FaultIds(long seq)
{
    private int _next;

    public string Next() => $"flt-{seq:x12}-{_next++:x6}";
}
