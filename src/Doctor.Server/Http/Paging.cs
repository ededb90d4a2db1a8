using Doctor.Serialization;

namespace Doctor.Server.Http;

/// <summary>The <c>limit</c> and <c>marker</c> of a list request.</summary>
public readonly record struct Page(int Limit, string? Marker)
{
    public static Page From(HttpRequest request)
    {
        var limit = DoctorConstants.DefaultPageSize;
        var text = request.Query["limit"].ToString();
        if (text.Length > 0 && (!int.TryParse(text, System.Globalization.NumberStyles.None, null, out limit) || limit is < 1 or > DoctorConstants.MaxPageSize))
            throw new RequestException(Problems.BadRequest("limit", $"limit must be a whole number from 1 to {DoctorConstants.MaxPageSize}"));
        var marker = request.Query["marker"].ToString();
        if (marker.Length > DoctorConstants.MaxIdentifierLength)
            throw new RequestException(Problems.BadRequest("marker", "marker is too long"));
        return new Page(limit, marker.Length == 0 ? null : marker);
    }

    /// <summary>Takes up to <see cref="Limit"/> items; <c>next</c> is the last item's key when more remain.</summary>
    public (List<TView> Items, string? Next) Take<T, TView>(IEnumerable<T> ordered, Func<T, bool> filter, Func<T, string> key, Func<T, TView> view)
    {
        var items = new List<TView>(Math.Min(Limit, 128));
        string? last = null;
        foreach (var item in ordered)
        {
            if (!filter(item))
                continue;
            if (items.Count == Limit)
                return (items, last);
            items.Add(view(item));
            last = key(item);
        }

        return (items, null);
    }

    /// <summary>The list answer of SPEC §1: <c>{"&lt;plural&gt;": […], "next": marker|null}</c>.</summary>
    public static IResult Answer<TView>(string plural, (List<TView> Items, string? Next) page) =>
        TypedResults.Json(new Dictionary<string, object?> { [plural] = page.Items, ["next"] = page.Next }, DoctorJson.Options);
}

/// <summary>Query-string helpers that fail with 400 naming the parameter.</summary>
public static class Query
{
    public static string? Identifier(HttpRequest request, string name)
    {
        var value = request.Query[name].ToString();
        if (value.Length == 0)
            return null;
        if (!Fields.IsIdentifier(value))
            throw new RequestException(Problems.BadRequest(name, $"{name} must be 1–{DoctorConstants.MaxIdentifierLength} characters"));
        return value;
    }

    public static DateTimeOffset? Time(HttpRequest request, string name)
    {
        var value = request.Query[name].ToString();
        if (value.Length == 0)
            return null;
        if (!Rfc3339.TryParse(value, out var time))
            throw new RequestException(Problems.BadRequest(name, $"{name} must be an RFC 3339 time"));
        return time;
    }

    public static T? Enum<T>(HttpRequest request, string name, TryParser<T> parse, string allowed)
        where T : struct
    {
        var value = request.Query[name].ToString();
        if (value.Length == 0)
            return null;
        if (!parse(value, out var parsed))
            throw new RequestException(Problems.BadRequest(name, $"{name} must be one of {allowed}"));
        return parsed;
    }

    public delegate bool TryParser<T>(string? text, out T value);
}
