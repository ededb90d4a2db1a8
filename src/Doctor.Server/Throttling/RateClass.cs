namespace Doctor.Server.Throttling;

/// <summary>Which of a token's two buckets a request draws from.</summary>
public enum RateClass
{
    /// <summary>Everything but event ingestion.</summary>
    Api,

    /// <summary>The southbound API: monitors posting raw events.</summary>
    Events,
}

/// <summary>Endpoint metadata: the bucket its requests draw from (absent: <see cref="RateClass.Api"/>).</summary>
public sealed record RateClassMetadata(RateClass Class);

/// <summary>Route builder helper for declaring an endpoint's rate class.</summary>
public static class RateClassExtensions
{
    public static TBuilder RateLimitedAs<TBuilder>(this TBuilder builder, RateClass rateClass)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RateClassMetadata(rateClass));
}
