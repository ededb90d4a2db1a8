using System.Collections.Immutable;
using System.Text.Json;
using Doctor.Serialization;

namespace Doctor.Events;

/// <summary>A body that is not a valid set of events; <see cref="Field"/> names the offending field.</summary>
public sealed class EventValidationException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>
/// Parses the four equivalent body shapes of SPEC §3 (<c>{"event"}</c>, <c>{"events"}</c>, a bare list, a bare
/// event) and validates the whole body before anything is recorded.
/// </summary>
public static class EventParser
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = DoctorConstants.MaxJsonDepth };

    /// <summary>Parses <paramref name="body"/>; throws <see cref="EventValidationException"/> naming the bad field.</summary>
    public static IReadOnlyList<RawEvent> Parse(ReadOnlyMemory<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, Options);
        }
        catch (JsonException ex)
        {
            throw new EventValidationException("body", "the body is not valid JSON: " + ex.Message);
        }

        using (document)
        {
            try
            {
                return ParseRoot(document.RootElement);
            }
            catch (InvalidOperationException)
            {
                // Outside an event (its own catch names it): looking up "events" or "event" reads every top-level name.
                throw new EventValidationException("body", NotUnicode("the body"));
            }
        }
    }

    private static IReadOnlyList<RawEvent> ParseRoot(JsonElement root)
    {
        if (root.ValueKind == JsonValueKind.Array)
            return ParseList(root, "events");
        if (root.ValueKind != JsonValueKind.Object)
            throw new EventValidationException("body", "the body must be an event, a list of events, {\"event\": …} or {\"events\": […]}");
        if (root.TryGetProperty("events", out var list))
        {
            if (list.ValueKind != JsonValueKind.Array)
                throw new EventValidationException("events", "events must be a list");
            return ParseList(list, "events");
        }

        if (root.TryGetProperty("event", out var single))
            return [ParseOne(single, "event")];
        return [ParseOne(root, "event")];
    }

    private static string NotUnicode(string what) => $"{what} holds text that is not valid Unicode (invalid UTF-8 or a lone surrogate escape)";

    private static List<RawEvent> ParseList(JsonElement list, string name)
    {
        var count = list.GetArrayLength();
        if (count == 0)
            throw new EventValidationException(name, "at least one event is required");
        if (count > DoctorConstants.MaxEventsPerBody)
            throw new EventValidationException(name, $"at most {DoctorConstants.MaxEventsPerBody} events per request, got {count}");
        var events = new List<RawEvent>(count);
        var index = 0;
        foreach (var item in list.EnumerateArray())
            events.Add(ParseOne(item, $"{name}[{index++}]"));
        return events;
    }

    private static RawEvent ParseOne(JsonElement e, string at)
    {
        try
        {
            return ParseObject(e, at);
        }
        catch (InvalidOperationException)
        {
            // JsonDocument checks string text only when it is read: invalid UTF-8 or a lone surrogate escape (\ud800)
            // throws from GetString or a property name. That is bad input (400), not a failure of the service (500).
            throw new EventValidationException(at, NotUnicode(at));
        }
    }

    private static RawEvent ParseObject(JsonElement e, string at)
    {
        if (e.ValueKind != JsonValueKind.Object)
            throw new EventValidationException(at, $"{at} must be an object");

        string? id = null;
        string? type = null;
        DateTimeOffset? time = null;
        var details = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        var related = ImmutableArray<string>.Empty;

        foreach (var property in e.EnumerateObject())
        {
            switch (property.Name)
            {
                case "id":
                    id = Identifier(property.Value, at, ".id");
                    break;
                case "type":
                    type = Identifier(property.Value, at, ".type");
                    break;
                case "time":
                    if (property.Value.ValueKind != JsonValueKind.String || !Rfc3339.TryParse(property.Value.GetString(), out var parsed))
                        throw new EventValidationException($"{at}.time", $"{at}.time must be an RFC 3339 time such as 2026-01-31T12:00:00.000Z");
                    time = parsed;
                    break;
                case "details":
                    if (property.Value.ValueKind == JsonValueKind.Null)
                        break;
                    if (property.Value.ValueKind != JsonValueKind.Object)
                        throw new EventValidationException($"{at}.details", $"{at}.details must be an object");
                    related = ParseDetails(property.Value, at, details);
                    break;
            }
        }

        if (type is null)
            throw new EventValidationException($"{at}.type", $"{at}.type is required");
        if (time is null)
            throw new EventValidationException($"{at}.time", $"{at}.time is required");

        return new RawEvent
        {
            Id = id ?? Guid.CreateVersion7().ToString(),
            Type = type,
            Time = time.Value,
            Details = details.ToImmutable(),
            RelatedTo = related,
        };
    }

    private static ImmutableArray<string> ParseDetails(JsonElement element, string eventAt, ImmutableSortedDictionary<string, string>.Builder details)
    {
        // Field names for messages are built only on the error path: this loop runs for every event of a bulk body.
        var related = ImmutableArray<string>.Empty;
        foreach (var property in element.EnumerateObject())
        {
            if (property.Name.Length is 0 or > DoctorConstants.MaxIdentifierLength)
                throw new EventValidationException(eventAt + ".details", $"{eventAt}.details keys must be 1–{DoctorConstants.MaxIdentifierLength} characters");
            if (property.Name == "related_to")
            {
                if (property.Value.ValueKind != JsonValueKind.Array)
                    throw new EventValidationException($"{eventAt}.details.related_to", $"{eventAt}.details.related_to must be a list of ids");
                var ids = ImmutableArray.CreateBuilder<string>();
                var i = 0;
                foreach (var item in property.Value.EnumerateArray())
                    ids.Add(Identifier(item, eventAt, $".details.related_to[{i++}]"));
                related = ids.ToImmutable();
                continue;
            }

            string text = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString()!,
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => property.Value.GetRawText(),
                JsonValueKind.Null => string.Empty,
                _ => throw new EventValidationException($"{eventAt}.details.{property.Name}", $"{eventAt}.details.{property.Name} must be a string, number or boolean"),
            };
            // UTF-8 never needs more than 3 bytes per UTF-16 unit, so only long strings need counting.
            if (text.Length * 3 > DoctorConstants.MaxDetailValueBytes && System.Text.Encoding.UTF8.GetByteCount(text) > DoctorConstants.MaxDetailValueBytes)
                throw new EventValidationException($"{eventAt}.details.{property.Name}", $"{eventAt}.details.{property.Name} is longer than {DoctorConstants.MaxDetailValueBytes} bytes");
            if (Fields.IsIdentifierDetail(property.Name) && !Fields.IsIdentifier(text))
                throw new EventValidationException($"{eventAt}.details.{property.Name}", $"{eventAt}.details.{property.Name} must be 1–{DoctorConstants.MaxIdentifierLength} characters without control characters");
            details[property.Name] = text;
        }

        return related;
    }

    private static string Identifier(JsonElement value, string at, string suffix)
    {
        var text = value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        if (!Fields.IsIdentifier(text))
            throw new EventValidationException(at + suffix, $"{at}{suffix} must be a string of 1–{DoctorConstants.MaxIdentifierLength} characters without control characters");
        return text!;
    }
}
