using System.Collections.Immutable;
using Doctor.Faults;
using Doctor.Inventory;
using Doctor.Serialization;
using Doctor.Server.Http;
using Doctor.Server.Inventory;
using Doctor.Subscriptions;

namespace Doctor.Server.Subscriptions;

using Host = Doctor.Inventory.Host;
using Server = Doctor.Inventory.Server;

/// <summary>Input of <c>POST /v1/subscriptions</c>.</summary>
public sealed record SubscriptionInput(string? CallbackUrl, string? Secret, FilterInput? Filter, string? ProjectId);

/// <summary>The optional filter of a subscription.</summary>
public sealed record FilterInput(
    List<string?>? ResourceTypes, List<string?>? ResourceIds, List<string?>? FaultTypes, string? MinSeverity, List<string?>? NotificationTypes);

/// <summary>The filter as the API shows it back.</summary>
public sealed record FilterView(
    IReadOnlyList<string>? ResourceTypes, IReadOnlyList<string>? ResourceIds, IReadOnlyList<string>? FaultTypes, string? MinSeverity, IReadOnlyList<string>? NotificationTypes)
{
    public static FilterView Of(SubscriptionFilter f) => new(
        f.ResourceTypes?.Select(t => t.Name()).ToList(), f.ResourceIds, f.FaultTypes, f.MinSeverity?.Name(),
        f.NotificationTypes?.Select(t => t.Name()).ToList());
}

/// <summary>A subscription without its secret.</summary>
public sealed record SubscriptionView(string SubscriptionId, string CallbackUrl, FilterView Filter, string? ProjectId, bool Signed, string CreatedAt)
{
    public static SubscriptionView Of(Subscription s) =>
        new(s.SubscriptionId, s.CallbackUrl, FilterView.Of(s.Filter), s.ProjectId, s.Secret is not null, Rfc3339.Format(s.CreatedAt));
}

/// <summary>Validation of subscription input; nothing here touches the state.</summary>
public static class SubscriptionValidation
{
    private const int MaxFilterEntries = 1000;

    public static SubscriptionFilter ToFilter(FilterInput? input)
    {
        if (input is null)
            return SubscriptionFilter.All;
        return new SubscriptionFilter
        {
            ResourceTypes = List(input.ResourceTypes, "filter.resource_types", text =>
                ResourceTypes.TryParse(text, out var t) ? t : throw Bad("filter.resource_types", "resource_types entries must be server, port, host or device")),
            ResourceIds = List(input.ResourceIds, "filter.resource_ids", text => InventoryValidation.Identifier(text, "filter.resource_ids", required: true)!),
            FaultTypes = List(input.FaultTypes, "filter.fault_types", text => InventoryValidation.Identifier(text, "filter.fault_types", required: true)!),
            MinSeverity = input.MinSeverity is null ? null
                : Severities.TryParse(input.MinSeverity, out var s) ? s
                : throw Bad("filter.min_severity", "min_severity must be critical, major, minor, warning or indeterminate"),
            NotificationTypes = List(input.NotificationTypes, "filter.notification_types", text =>
                NotificationTypes.TryParse(text, out var t) ? t : throw Bad("filter.notification_types", "notification_types entries must be fault, fault_cleared or maintenance")),
        };
    }

    public static string? Secret(string? secret)
    {
        if (secret is null)
            return null;
        if (secret.Length is < 16 or > 256)
            throw Bad("secret", "secret must be 16–256 characters");
        return secret;
    }

    private static ImmutableArray<T>? List<T>(List<string?>? input, string field, Func<string, T> parse)
    {
        if (input is null)
            return null;
        if (input.Count > MaxFilterEntries)
            throw Bad(field, $"{field} holds at most {MaxFilterEntries} entries");
        var builder = ImmutableArray.CreateBuilder<T>(input.Count);
        foreach (var text in input)
            builder.Add(parse(text ?? throw Bad(field, $"{field} entries must be strings")));
        return builder.MoveToImmutable();
    }

    private static RequestException Bad(string field, string detail) => new(Problems.BadRequest(field, detail));
}
