namespace Doctor.Silences;

/// <summary>
/// An admin silence, Alertmanager-style (SPEC §4): faults that match it while it is active are still recorded and
/// shown to admin subscribers marked suppressed, but never sent to tenants.
/// </summary>
public sealed record Silence
{
    public required string SilenceId { get; init; }
    public required SilenceMatchers Matchers { get; init; }

    /// <summary>First instant it applies (inclusive).</summary>
    public required DateTimeOffset StartsAt { get; init; }

    /// <summary>First instant it no longer applies (exclusive): a silence of [t, t+1h) is over at t+1h.</summary>
    public required DateTimeOffset EndsAt { get; init; }

    public string? Comment { get; init; }

    /// <summary>The token that created it, so an operator can tell who muted what.</summary>
    public string? CreatedBy { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public bool IsActiveAt(DateTimeOffset at) => StartsAt <= at && at < EndsAt;

    /// <summary>Where <paramref name="now"/> falls in the window; derived at read time, never stored.</summary>
    public SilenceState StateAt(DateTimeOffset now) =>
        now < StartsAt ? SilenceState.Pending : now < EndsAt ? SilenceState.Active : SilenceState.Expired;
}

/// <summary>
/// What a silence mutes. Every field is a <see cref="Subscriptions.Glob"/> pattern (<c>*</c>, <c>?</c>; a value
/// without them matches exactly); an unset field matches anything, a set one must match, and it never matches a
/// subject that lacks that field.
/// </summary>
public sealed record SilenceMatchers
{
    public string? Hostname { get; init; }
    public string? DeviceId { get; init; }
    public string? ResourceId { get; init; }
    public string? FaultType { get; init; }

    /// <summary>A silence without any matcher would mute everything by accident; the API refuses it.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsEmpty => Hostname is null && DeviceId is null && ResourceId is null && FaultType is null;

    public bool Matches(in SilenceSubject subject) =>
        Match(Hostname, subject.Hostname) && Match(DeviceId, subject.DeviceId) &&
        Match(ResourceId, subject.ResourceId) && Match(FaultType, subject.FaultType);

    private static bool Match(string? pattern, string? value) =>
        pattern is null || value is not null && Subscriptions.Glob.IsMatch(pattern, value);
}

/// <summary>What the engine asks about a fault: where it is and what it is.</summary>
/// <param name="Hostname">The host the faulty resource is on (or is), if any.</param>
/// <param name="DeviceId">The device at the root of the fault, if any.</param>
public readonly record struct SilenceSubject(string? Hostname, string? DeviceId, string ResourceId, string FaultType);

/// <summary>Where a silence's window stands at a given instant.</summary>
public enum SilenceState
{
    Pending,
    Active,
    Expired,
}

/// <summary>Wire names of <see cref="SilenceState"/>.</summary>
public static class SilenceStates
{
    public static string Name(this SilenceState state) => state switch
    {
        SilenceState.Pending => "pending",
        SilenceState.Active => "active",
        _ => "expired",
    };

    public static bool TryParse(string? text, out SilenceState state)
    {
        switch (text)
        {
            case "pending": state = SilenceState.Pending; return true;
            case "active": state = SilenceState.Active; return true;
            case "expired": state = SilenceState.Expired; return true;
            default: state = default; return false;
        }
    }
}
