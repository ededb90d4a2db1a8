namespace Doctor.Inspection;

/// <summary>
/// The failure policy in force. The engine reads <see cref="Current"/> once per event; a reload swaps it with one
/// volatile write, so an event is always inspected under one whole policy, never half of two.
/// </summary>
public sealed class PolicySource(FailurePolicy initial)
{
    private volatile FailurePolicy _current = initial;

    public FailurePolicy Current => _current;

    /// <summary>Puts <paramref name="policy"/> in force for every event processed from now on.</summary>
    public void Set(FailurePolicy policy) => _current = policy;
}
