namespace Doctor.Cli.Bench;

/// <summary>Nearest-rank percentiles of a sample, in the sample's unit.</summary>
public sealed record Percentiles(double P50, double P95, double P99, double Max, int Count)
{
    public static Percentiles Of(IReadOnlyCollection<double> sample)
    {
        if (sample.Count == 0)
            return new Percentiles(double.NaN, double.NaN, double.NaN, double.NaN, 0);
        var sorted = sample.Order().ToArray();
        double At(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Percentiles(At(0.50), At(0.95), At(0.99), sorted[^1], sorted.Length);
    }

    /// <summary>The report form: milliseconds rounded to microseconds.</summary>
    public System.Text.Json.Nodes.JsonObject ToJson() => new()
    {
        ["p50"] = Math.Round(P50, 3), ["p95"] = Math.Round(P95, 3), ["p99"] = Math.Round(P99, 3), ["max"] = Math.Round(Max, 3), ["n"] = Count,
    };

    public override string ToString() => $"p50 {P50:0.000} ms  p95 {P95:0.000} ms  p99 {P99:0.000} ms  max {Max:0.000} ms  (n={Count})";
}
