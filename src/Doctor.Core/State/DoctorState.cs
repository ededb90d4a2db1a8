using Doctor.Access;
using Doctor.Faults;
using Doctor.Inventory;
using Doctor.Maintenance;
using Doctor.Silences;
using Doctor.Subscriptions;

namespace Doctor.State;

/// <summary>
/// Everything the engine owns, as one immutable version. The engine publishes a new version after each
/// batch; API readers take the current one and never block it.
/// </summary>
public sealed record DoctorState(
    ResourceMap Map,
    FaultBook Faults,
    SubscriptionBook Subscriptions,
    TokenBook Tokens,
    long ProcessedSeq)
{
    public static readonly DoctorState Empty = new(ResourceMap.Empty, FaultBook.Empty, SubscriptionBook.Empty, TokenBook.Empty, 0);

    /// <summary>Admin silences. An init property rather than a positional one, so the many places that build a
    /// state without silences need no change.</summary>
    public SilenceBook Silences { get; init; } = SilenceBook.Empty;

    /// <summary>Maintenance sessions (SPEC §6).</summary>
    public MaintenanceBook Maintenance { get; init; } = MaintenanceBook.Empty;

    /// <summary>ETSI FEAT03 instance and instance-group constraints (SPEC §6).</summary>
    public ConstraintBook Constraints { get; init; } = ConstraintBook.Empty;
}
