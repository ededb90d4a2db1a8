using Doctor.Access;
using Doctor.Control;
using Doctor.Server.Http;

namespace Doctor.Server.Access;

/// <summary>
/// Authenticates every request that reaches an endpoint (Bearer or X-Auth-Token) and enforces the endpoint's
/// <see cref="AccessRule"/>. An endpoint without a rule is admin-only, so a forgotten declaration fails closed.
/// </summary>
public sealed partial class CallerMiddleware(RequestDelegate next, DoctorEngine engine, TimeProvider time, ILogger<CallerMiddleware> logger, IExternalTokens? external = null)
{
    public Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null)
            return next(context);
        var rule = endpoint.Metadata.GetMetadata<AccessRule>() ?? new AccessRule([Doctor.Access.Role.Admin]);
        if (rule.IsAnonymous)
            return next(context);

        var secret = SecretOf(context.Request);
        if (secret is null)
            return Problems.WriteAsync(context, StatusCodes.Status401Unauthorized, "send a token as 'Authorization: Bearer <token>' or 'X-Auth-Token: <token>'");
        var token = engine.State.Tokens.Find(secret);
        if (token is null && external is not null)
            return ExternalAsync(context, rule, secret, external);
        return Authorize(context, rule, token);
    }

    /// <summary>A secret that is none of Doctor's tokens may be a Keystone token (OpenStack mode).</summary>
    private async Task ExternalAsync(HttpContext context, AccessRule rule, string secret, IExternalTokens tokens)
    {
        Doctor.Access.Token? token;
        try
        {
            token = await tokens.ValidateAsync(secret, context.RequestAborted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            // The reason (Keystone's internal address, its error) is the operator's, in the log; a caller that is not even
            // authenticated yet only learns that it should try again.
            LogIdentityUnavailable(ex.Message);
            await Problems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "the token could not be checked with the identity service; try again later");
            return;
        }

        await Authorize(context, rule, token);
    }

    private Task Authorize(HttpContext context, AccessRule rule, Doctor.Access.Token? token)
    {
        if (token is null || token.IsExpired(time.GetUtcNow()))
            return Problems.WriteAsync(context, StatusCodes.Status401Unauthorized, "the token is unknown, revoked or expired");
        if (!rule.Roles.Contains(token.Role))
            return Problems.WriteAsync(context, StatusCodes.Status403Forbidden, $"the {token.Role.ToString().ToLowerInvariant()} role may not call this endpoint");

        context.Features.Set(new Caller(token));
        return next(context);
    }

    private static string? SecretOf(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            var value = authorization["Bearer ".Length..].Trim();
            return value.Length is > 0 and <= 512 ? value : null;
        }

        var openstack = request.Headers["X-Auth-Token"].ToString().Trim();
        return openstack.Length is > 0 and <= 512 ? openstack : null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A caller's token could not be checked with the identity service: {Reason}")]
    private partial void LogIdentityUnavailable(string reason);
}
