namespace Doctor.Server.Throttling;

/// <summary>
/// Per-token request rate limits (section <c>Doctor:RateLimits</c>): one token bucket per token for the southbound
/// API and one for everything else. The defaults only stop a runaway client; they sit far above any realistic
/// monitor fleet and the project's own benchmarks (see docs/operations.md).
/// </summary>
public sealed class RateLimitOptions
{
    /// <summary>Whether requests are limited at all. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary><c>POST /v1/events</c> and <c>PUT /events</c>. Default burst 10,000, 5,000 per second.</summary>
    public RateBucketOptions Events { get; set; } = new() { Burst = DoctorConstants.RateLimitEventsBurst, Refill = DoctorConstants.RateLimitEventsPerSecond };

    /// <summary>Every other authenticated endpoint. Default burst 2,000, 1,000 per second.</summary>
    public RateBucketOptions Api { get; set; } = new() { Burst = DoctorConstants.RateLimitApiBurst, Refill = DoctorConstants.RateLimitApiPerSecond };

    /// <summary>Adds a message naming the setting for every bad value.</summary>
    public void Validate(List<string> errors)
    {
        Events.Validate("Doctor:RateLimits:Events", errors);
        Api.Validate("Doctor:RateLimits:Api", errors);
    }
}

/// <summary>One token bucket: <see cref="Burst"/> requests at once, then <see cref="Refill"/> per <see cref="Period"/>.</summary>
public sealed class RateBucketOptions
{
    /// <summary>Requests a token may send at once (the bucket's size).</summary>
    public int Burst { get; set; }

    /// <summary>Requests added back to the bucket every <see cref="Period"/>.</summary>
    public int Refill { get; set; }

    /// <summary>How often <see cref="Refill"/> requests are added. Default 1 s.</summary>
    public TimeSpan Period { get; set; } = TimeSpan.FromSeconds(1);

    public void Validate(string section, List<string> errors)
    {
        if (Burst < 1)
            errors.Add($"{section}:Burst must be at least 1");
        if (Refill < 1)
            errors.Add($"{section}:Refill must be at least 1");
        if (Period < TimeSpan.FromMilliseconds(1) || Period > TimeSpan.FromDays(1))
            errors.Add($"{section}:Period must be between 00:00:00.001 and 1.00:00:00");
    }
}
