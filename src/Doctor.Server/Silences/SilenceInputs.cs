using System.Text.Json.Serialization;
using Doctor.Serialization;
using Doctor.Server.Http;
using Doctor.Server.Inventory;
using Doctor.Silences;

namespace Doctor.Server.Silences;

/// <summary>Input of <c>POST /v1/silences</c>. Matchers are a map so that an unknown key can be refused, not skipped.</summary>
public sealed record SilenceInput(Dictionary<string, string?>? Matchers, string? StartsAt, string? EndsAt, string? Comment);

/// <summary>The matchers as sent: unset ones are left out.</summary>
public sealed record SilenceMatchersView(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Hostname,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? DeviceId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ResourceId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? FaultType)
{
    public static SilenceMatchersView Of(SilenceMatchers m) => new(m.Hostname, m.DeviceId, m.ResourceId, m.FaultType);
}

/// <summary>A silence as the API shows it; <c>state</c> is derived from the service's clock when it answers.</summary>
public sealed record SilenceView(
    string SilenceId, SilenceMatchersView Matchers, string StartsAt, string EndsAt, string? Comment, string? CreatedBy, string CreatedAt, string State)
{
    public static SilenceView Of(Silence s, DateTimeOffset now) => new(
        s.SilenceId, SilenceMatchersView.Of(s.Matchers), Rfc3339.Format(s.StartsAt), Rfc3339.Format(s.EndsAt), s.Comment, s.CreatedBy,
        Rfc3339.Format(s.CreatedAt), s.StateAt(now).Name());
}

/// <summary>Validation of silence input; nothing here touches the state.</summary>
public static class SilenceValidation
{
    private const string MatcherNames = "hostname, device_id, resource_id, fault_type";

    public static SilenceMatchers Matchers(Dictionary<string, string?>? input)
    {
        if (input is null)
            throw Bad("matchers", $"matchers is required: an object with at least one of {MatcherNames}");
        if (input.Count == 0)
            throw Bad("matchers", $"matchers must set at least one of {MatcherNames}; a silence of everything is not allowed");
        var matchers = new SilenceMatchers();
        foreach (var (key, value) in input)
        {
            // A typo ("host_name") would otherwise widen the silence to everything the other matchers allow.
            var field = "matchers." + (Fields.IsIdentifier(key) ? key : "?");
            var pattern = InventoryValidation.Identifier(value ?? throw Bad(field, $"{field} must be a string pattern, not null"), field, required: true)!;
            matchers = key switch
            {
                "hostname" => matchers with { Hostname = pattern },
                "device_id" => matchers with { DeviceId = pattern },
                "resource_id" => matchers with { ResourceId = pattern },
                "fault_type" => matchers with { FaultType = pattern },
                _ => throw Bad(field, $"{field} is not a matcher; matchers are {MatcherNames}"),
            };
        }

        return matchers;
    }

    /// <summary>The window: <c>starts_at</c> defaults to <paramref name="now"/>; <c>ends_at</c> is required, later than
    /// both (a silence that is over before it is made would be noise).</summary>
    public static (DateTimeOffset StartsAt, DateTimeOffset EndsAt) Window(string? startsAt, string? endsAt, DateTimeOffset now)
    {
        var starts = now;
        if (startsAt is not null && !Rfc3339.TryParse(startsAt, out starts))
            throw Bad("starts_at", "starts_at must be an RFC 3339 time such as 2026-01-31T12:00:00.000Z");
        if (endsAt is null)
            throw Bad("ends_at", "ends_at is required");
        if (!Rfc3339.TryParse(endsAt, out var ends))
            throw Bad("ends_at", "ends_at must be an RFC 3339 time such as 2026-01-31T12:00:00.000Z");
        if (ends <= starts)
            throw Bad("ends_at", "ends_at must be after starts_at");
        if (ends <= now)
            throw Bad("ends_at", "ends_at must be in the future");
        return (starts, ends);
    }

    /// <summary>Free text up to <see cref="DoctorConstants.MaxSilenceCommentLength"/> characters; line breaks and tabs
    /// are allowed, other control characters and broken UTF-16 are not.</summary>
    public static string? Comment(string? comment)
    {
        if (comment is null)
            return null;
        if (comment.Length > DoctorConstants.MaxSilenceCommentLength)
            throw Bad("comment", $"comment must be at most {DoctorConstants.MaxSilenceCommentLength} characters");
        for (var i = 0; i < comment.Length; i++)
        {
            var c = comment[i];
            if (char.IsControl(c) && c is not ('\n' or '\r' or '\t'))
                throw Bad("comment", "comment must not hold control characters other than line breaks and tabs");
            if (char.IsHighSurrogate(c) && i + 1 < comment.Length && char.IsLowSurrogate(comment[i + 1]))
                i++;
            else if (char.IsSurrogate(c))
                throw Bad("comment", "comment is not well-formed text");
        }

        return comment;
    }

    private static RequestException Bad(string field, string detail) => new(Problems.BadRequest(field, detail));
}
