namespace Doctor.Acceptance.Faults;

/// <summary>
/// The tests that hold the service to a time bound run alone, after the others: on a 2-core machine a neighbour
/// test starting its own `doctor serve` (JIT, SQLite, Kestrel) would otherwise be timed together with the fault.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Timed
{
    public const string Name = "timed end to end";
}
