using System.Globalization;

namespace Doctor.Inspection;

/// <summary>
/// Durations of the policy file: <c>500ms</c>, <c>60s</c>, <c>2m</c>, <c>1h</c>, or a bare number of seconds.
/// Written back as whole hours, else seconds, else milliseconds, so <c>GET /v1/policy</c> reads like the file.
/// </summary>
public static class PolicyDuration
{
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        text = text.Trim();
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 0.001)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : text.EndsWith('h') ? (text[..^1], 3600.0)
            : (text, 1.0);
        // NumberStyles.Float without AllowThousands: "1,5" and "1e400" are refused rather than misread.
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            return false;
        var seconds = value * unit;
        // One day is far beyond any aggregation window anyone means; bounding it keeps TimeSpan arithmetic safe.
        if (seconds > TimeSpan.FromDays(1).TotalSeconds || seconds < -TimeSpan.FromDays(1).TotalSeconds)
            return false;
        duration = TimeSpan.FromMilliseconds(Math.Round(seconds * 1000));
        return true;
    }

    public static string Format(TimeSpan duration)
    {
        var ms = (long)duration.TotalMilliseconds;
        if (ms != 0 && ms % 3_600_000 == 0)
            return (ms / 3_600_000).ToString(CultureInfo.InvariantCulture) + "h";
        // Seconds rather than minutes below an hour: "60s" is how windows are written (and documented).
        if (ms % 1000 == 0)
            return (ms / 1000).ToString(CultureInfo.InvariantCulture) + "s";
        return ms.ToString(CultureInfo.InvariantCulture) + "ms";
    }
}
