using System.Globalization;
using System.Text.RegularExpressions;

namespace Doctor.Serialization;

/// <summary>Strict RFC 3339 times: a time without an offset is UTC; output always in UTC with fractional seconds.</summary>
public static partial class Rfc3339
{
    // \z, not $: "$" would also match before a trailing newline.
    [GeneratedRegex(@"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})?\z", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();

    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        value = default;
        if (text is null || text.Length > 40)
            return false;
        // Fast path, the form monitors send: 2026-01-31T12:00:00[.fffffff]Z with at most 7 fraction digits.
        if (text.Length is >= 20 and <= 28 && text[10] == 'T' && text[^1] == 'Z' && Shape().IsMatch(text))
        {
            return DateTimeOffset.TryParseExact(text, FastFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value) || Slow(text, out value);
        }

        return Slow(text, out value);
    }

    private static readonly string[] FastFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss'Z'", "yyyy-MM-dd'T'HH:mm:ss.F'Z'", "yyyy-MM-dd'T'HH:mm:ss.FF'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFF'Z'",
        "yyyy-MM-dd'T'HH:mm:ss.FFFF'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFF'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFF'Z'", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'",
    ];

    private static bool Slow(string text, out DateTimeOffset value)
    {
        value = default;
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

    /// <summary>Length of <see cref="Format"/>'s output: <c>yyyy-MM-ddTHH:mm:ss.fffffffZ</c>.</summary>
    public const int FormattedLength = 28;

    /// <summary>Fixed-width UTC form with 7 fraction digits; sorts as text in time order.</summary>
    public static string Format(DateTimeOffset value) => string.Create(FormattedLength, value, static (span, v) => Write(span, v));

    /// <summary>Writes the <see cref="Format"/> form into <paramref name="destination"/> (28 chars). Hand-written because
    /// notifications format several times per resource and a custom format string is several times slower.</summary>
    public static void Write(Span<char> destination, DateTimeOffset value)
    {
        var utc = value.UtcDateTime;
        Digits(destination[..4], utc.Year);
        destination[4] = '-';
        Digits(destination.Slice(5, 2), utc.Month);
        destination[7] = '-';
        Digits(destination.Slice(8, 2), utc.Day);
        destination[10] = 'T';
        Digits(destination.Slice(11, 2), utc.Hour);
        destination[13] = ':';
        Digits(destination.Slice(14, 2), utc.Minute);
        destination[16] = ':';
        Digits(destination.Slice(17, 2), utc.Second);
        destination[19] = '.';
        Digits(destination.Slice(20, 7), (int)(utc.Ticks % TimeSpan.TicksPerSecond));
        destination[27] = 'Z';
    }

    private static void Digits(Span<char> destination, int value)
    {
        for (var i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = (char)('0' + value % 10);
            value /= 10;
        }
    }
}
