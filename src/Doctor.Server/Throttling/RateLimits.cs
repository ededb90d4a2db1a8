using System.Globalization;
using System.Threading.RateLimiting;
using Doctor.Server.Access;
using Doctor.Server.Http;
using Microsoft.AspNetCore.RateLimiting;

namespace Doctor.Server.Throttling;

/// <summary>
/// Per-token rate limiting with the framework's limiter. It runs after <see cref="CallerMiddleware"/>, so the
/// partition is the authenticated token id: unauthenticated requests were already answered 401, and requests to
/// public endpoints (<c>/healthz</c>) carry no caller and are never limited. The framework's buckets keep their own
/// monotonic clock (they take no <see cref="TimeProvider"/>); tests use refill periods of an hour instead of time.
/// </summary>
public static partial class RateLimits
{
    /// <summary>The limiter's partition: one bucket per token and class.</summary>
    private readonly record struct RateKey(string? TokenId, RateClass Class);

    public static IServiceCollection AddDoctorRateLimits(this IServiceCollection services, RateLimitOptions options) =>
        services.AddRateLimiter(limiter =>
        {
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, RateKey>(context => Partition(context, options));
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = (rejected, _) => new ValueTask(RejectAsync(rejected, options));
        });

    private static RateLimitPartition<RateKey> Partition(HttpContext context, RateLimitOptions options)
    {
        if (context.Features.Get<Caller>() is not { } caller)
            return RateLimitPartition.GetNoLimiter(new RateKey(null, RateClass.Api));
        var rateClass = ClassOf(context);
        var bucket = BucketOf(options, rateClass);
        return RateLimitPartition.GetTokenBucketLimiter(new RateKey(caller.Token.TokenId, rateClass), _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = bucket.Burst,
            TokensPerPeriod = bucket.Refill,
            ReplenishmentPeriod = bucket.Period,
            AutoReplenishment = true,
            // No queue: a request over the limit is answered at once, so a throttled client never holds a
            // connection and a request slot while it waits.
            QueueLimit = 0,
        });
    }

    private static RateClass ClassOf(HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<RateClassMetadata>()?.Class ?? RateClass.Api;

    private static RateBucketOptions BucketOf(RateLimitOptions options, RateClass rateClass) =>
        rateClass == RateClass.Events ? options.Events : options.Api;

    private static Task RejectAsync(OnRejectedContext rejected, RateLimitOptions options)
    {
        var context = rejected.HttpContext;
        var rateClass = ClassOf(context);
        var bucket = BucketOf(options, rateClass);
        // Whole seconds, rounded up and at least 1: Retry-After has no fractions, and 0 would invite a tight loop.
        var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : bucket.Period;
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var tokenId = context.Features.Get<Caller>()?.Token.TokenId ?? "?";
        var name = rateClass == RateClass.Events ? "events" : "api";
        LogRejected(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(RateLimits)), tokenId, name);
        return Problems.WriteAsync(context, StatusCodes.Status429TooManyRequests,
            $"token {tokenId} exceeded its {name} rate limit ({bucket.Burst} requests at once, {bucket.Refill} more every " +
            $"{bucket.Period.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s); retry after {seconds} s");
    }

    // Debug: a throttled client can be rejected thousands of times a second, and the framework already counts
    // rejections in its aspnetcore.rate_limiting metrics.
    [LoggerMessage(Level = LogLevel.Debug, Message = "Rate limited token {TokenId} ({RateClass})")]
    private static partial void LogRejected(ILogger logger, string tokenId, string rateClass);
}
