using System.Text.Json.Nodes;

namespace Doctor.OpenStack;

/// <summary>Tolerant reads of the fields of an OpenStack API answer: a field of an unexpected JSON kind reads as absent,
/// never as an exception in the middle of a snapshot.</summary>
internal static class JsonFields
{
    /// <summary>A non-empty string, or null (absent, JSON null, empty, another kind).</summary>
    public static string? Text(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;

    /// <summary>A string or a number as text (Nova's service ids were integers before 2.53), or null.</summary>
    public static string? Id(JsonNode? node) =>
        node is not JsonValue value ? null
        : value.TryGetValue<string>(out var text) ? (text.Length > 0 ? text : null)
        : value.TryGetValue<long>(out var number) ? number.ToString(System.Globalization.CultureInfo.InvariantCulture)
        : null;

    public static bool? Flag(JsonNode? node) => node is JsonValue value && value.TryGetValue<bool>(out var flag) ? flag : null;

    /// <summary>The list <paramref name="name"/> of an answer; an answer without it is not the answer asked for (a proxy's
    /// page, another API): reading it as an empty cloud would remove everything, so it is an error.</summary>
    public static JsonArray List(JsonNode? answer, string name, string call) =>
        answer is JsonObject o && o[name] is JsonArray list ? list
        : throw new OpenStackException($"{call}: the answer has no '{name}' list: {OpenStackException.Excerpt(answer?.ToJsonString())}");

    /// <summary>True when a paged answer links a next page (<c>servers_links</c>, <c>ports_links</c>: rel <c>next</c>).</summary>
    public static bool HasNext(JsonNode? answer, string name) =>
        answer is JsonObject o && o[name + "_links"] is JsonArray links && links.Any(l => l is JsonObject link && Text(link["rel"]) == "next");

    /// <summary>Most pages one list is read in (a cloud answering the same page forever must not hold a snapshot).</summary>
    public const int MaxPages = 10_000;

    /// <summary>The id of a page's last item, to ask for the page after it; an error when there is none or paging does not move.</summary>
    public static string NextMarker(JsonArray items, string? previous, int pages, string call)
    {
        var last = items[^1] is JsonObject item ? Id(item["id"]) : null;
        if (last is null || last == previous)
            throw new OpenStackException($"{call}: cannot page on (the last item of page {pages} has {(last is null ? "no id" : "the id of the page before")})");
        if (pages >= MaxPages)
            throw new OpenStackException($"{call}: more than {MaxPages} pages");
        return last;
    }
}
