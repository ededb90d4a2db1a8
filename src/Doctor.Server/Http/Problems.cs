namespace Doctor.Server.Http;

/// <summary>RFC 7807 answers with a title per status and a detail that names the bad field.</summary>
public static class Problems
{
    public static IResult Of(int status, string detail, string? field = null)
    {
        var extensions = field is null ? null : new Dictionary<string, object?> { ["field"] = field };
        return TypedResults.Problem(detail: detail, statusCode: status, title: Title(status), extensions: extensions);
    }

    public static IResult BadRequest(string field, string detail) => Of(StatusCodes.Status400BadRequest, detail, field);

    public static IResult NotFound(string what) => Of(StatusCodes.Status404NotFound, $"{what} was not found");

    public static IResult Conflict(string detail) => Of(StatusCodes.Status409Conflict, detail);

    public static IResult Forbidden(string detail) => Of(StatusCodes.Status403Forbidden, detail);

    public static IResult Unavailable(string detail) => Of(StatusCodes.Status503ServiceUnavailable, detail);

    public static string Title(int status) => status switch
    {
        400 => "Invalid input",
        401 => "Missing or unknown credentials",
        403 => "Not allowed for this role",
        404 => "Not found",
        405 => "Method not allowed",
        409 => "Conflict",
        413 => "Body too large",
        415 => "Unsupported content type",
        422 => "Invalid content",
        429 => "Too many requests",
        503 => "Service unavailable",
        _ => "Error",
    };

    /// <summary>Writes a problem directly (for middleware that runs outside an endpoint).</summary>
    public static Task WriteAsync(HttpContext context, int status, string detail) =>
        Of(status, detail).ExecuteAsync(context);
}

/// <summary>A request that cannot be served as given; the endpoint answers with <see cref="Result"/>.</summary>
public sealed class RequestException(IResult result) : Exception("request rejected")
{
    public IResult Result { get; } = result;
}
