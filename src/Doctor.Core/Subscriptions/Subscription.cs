using System.Collections.Immutable;
using Doctor.Faults;
using Doctor.Inventory;

namespace Doctor.Subscriptions;

/// <summary>A consumer's webhook and what it wants to hear about (SPEC §5).</summary>
public sealed record Subscription
{
    public required string SubscriptionId { get; init; }
    public required string CallbackUrl { get; init; }

    /// <summary>HMAC key for <c>X-Doctor-Signature</c>; never returned by the API. Clear in memory only: the store
    /// seals it (AES-GCM) before it reaches <c>state.db</c>.</summary>
    public string? Secret { get; init; }

    public SubscriptionFilter Filter { get; init; } = SubscriptionFilter.All;

    /// <summary>The project whose resources it receives; null for an admin subscription to everything.</summary>
    public string? ProjectId { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>The token that created it (so a project caller sees only its project's subscriptions anyway).</summary>
    public string? CreatedBy { get; init; }

    /// <summary>Whether it may see physical resources and raw details: only admin subscriptions without a project.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsGlobal => ProjectId is null;
}

/// <summary>Optional narrowing of a subscription; an absent list means "any".</summary>
public sealed record SubscriptionFilter
{
    public static readonly SubscriptionFilter All = new();

    public ImmutableArray<ResourceType>? ResourceTypes { get; init; }
    public ImmutableArray<string>? ResourceIds { get; init; }
    public ImmutableArray<string>? FaultTypes { get; init; }
    public Severity? MinSeverity { get; init; }
    public ImmutableArray<NotificationType>? NotificationTypes { get; init; }

    public bool Admits(NotificationType type) => NotificationTypes is not { } types || types.Contains(type);

    public bool Admits(ResourceType type, string resourceId) =>
        (ResourceTypes is not { } types || types.Contains(type)) &&
        (ResourceIds is not { } ids || ids.Contains(resourceId, StringComparer.Ordinal));

    public bool Admits(Fault fault)
    {
        if (MinSeverity is { } min && fault.Severity < min)
            return false;
        if (FaultTypes is not { } patterns)
            return true;
        foreach (var pattern in patterns)
        {
            if (Glob.IsMatch(pattern, fault.FaultType))
                return true;
        }

        return false;
    }
}
