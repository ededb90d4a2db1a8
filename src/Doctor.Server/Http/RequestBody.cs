using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Doctor.Serialization;
using Microsoft.AspNetCore.Http.Features;

namespace Doctor.Server.Http;

/// <summary>
/// Reads JSON request bodies with the limits of SPEC §1: JSON content type (415), at most 4 MiB (413),
/// well-formed, nesting at most 32 (400 naming where it broke).
/// </summary>
public static class RequestBody
{
    /// <summary>The raw body bytes; throws <see cref="RequestException"/> with the problem to answer.</summary>
    public static async Task<ReadOnlySequence<byte>> ReadAsync(HttpContext context)
    {
        RequireJson(context.Request);
        var reader = context.Request.BodyReader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(context.RequestAborted);
                if (result.Buffer.Length > DoctorConstants.MaxBodyBytes)
                    throw TooLarge();
                if (result.IsCompleted)
                {
                    var copy = result.Buffer.ToArray(); // the pipe's memory is only valid until the next advance
                    reader.AdvanceTo(result.Buffer.End);
                    if (copy.Length == 0)
                        throw new RequestException(Problems.BadRequest("body", "a JSON body is required"));
                    // The JSON readers check UTF-8 only in text they decode: a bad byte in a skipped (unknown) field
                    // would be accepted, and one in an event's details fails late. A body is UTF-8 (SPEC §1) or refused.
                    if (!System.Text.Unicode.Utf8.IsValid(copy))
                        throw new RequestException(Problems.BadRequest("body", "the body is not valid UTF-8"));
                    return new ReadOnlySequence<byte>(copy);
                }

                reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge();
        }
    }

    /// <summary>Deserializes the body into <typeparamref name="T"/>; a type mismatch names its JSON path.</summary>
    public static async Task<T> ReadAsync<T>(HttpContext context)
        where T : class
    {
        var body = await ReadAsync(context);
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = DoctorConstants.MaxJsonDepth });
            var value = JsonSerializer.Deserialize<T>(ref reader, DoctorJson.Options)
                ?? throw new RequestException(Problems.BadRequest("body", "the body must be a JSON object"));
            // Deserialize(ref reader) stops after the first value: without this, "{…} garbage" or "{…}{…}" would be
            // served as if the body were only its first value. Read throws on anything but trailing whitespace.
            if (reader.Read())
                throw new RequestException(Problems.BadRequest("body", "the body must hold exactly one JSON value"));
            return value;
        }
        catch (JsonException ex)
        {
            var path = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "body" : ex.Path.TrimStart('$', '.');
            throw new RequestException(Problems.BadRequest(path, $"invalid JSON at {path}: {Clean(ex.Message)}"));
        }
    }

    private static void RequireJson(HttpRequest request)
    {
        var type = request.ContentType;
        if (type is null || !(type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) || type.Contains("+json", StringComparison.OrdinalIgnoreCase)))
            throw new RequestException(Problems.Of(StatusCodes.Status415UnsupportedMediaType, "send the body as Content-Type: application/json"));
    }

    private static RequestException TooLarge() =>
        new(Problems.Of(StatusCodes.Status413PayloadTooLarge, $"the body is larger than {DoctorConstants.MaxBodyBytes / (1024 * 1024)} MiB"));

    private static string Clean(string message)
    {
        // System.Text.Json appends its own path and position; the detail already names the field.
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    /// <summary>Configures Kestrel so a larger body is refused while it streams in.</summary>
    public static void Limit(IHttpMaxRequestBodySizeFeature? feature)
    {
        if (feature is { IsReadOnly: false })
            feature.MaxRequestBodySize = DoctorConstants.MaxBodyBytes;
    }
}
