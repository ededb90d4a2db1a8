using System.Globalization;
using System.Text.RegularExpressions;

namespace Doctor.Serialization;

/// <summary>Strict RFC 3339 times: a time without an offset is UTC; output always in UTC with fractional seconds.</summary>
public static partial class Rfc3339
{
    // \z, not $: .NET's $ also matches before a final "\n", which would let "…Z\n" through as a valid time.
    [GeneratedRegex(@"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})?\z", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();

    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        value = default;
        if (text is null || text.Length > 40)
            return false;
        var match = Shape().Match(text);
        if (!match.Success)
            return false;
        var fraction = match.Groups[3].Value;
        if (fraction.Length > 8)
            fraction = fraction[..8]; // .NET keeps 7 digits (100 ns); more precision is dropped, not an error.
        var offset = match.Groups[4].Value;
        if (offset.Length == 0 || offset is "z")
            offset = "Z";
        var normal = $"{match.Groups[1].Value}T{match.Groups[2].Value}{fraction}{offset}";
        return DateTimeOffset.TryParse(normal, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }

    /// <summary>Fixed-width UTC form; sorts as text in time order, which the store relies on.</summary>
    public static string Format(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
