namespace Doctor.OpenStack;

/// <summary>A call to an OpenStack service failed; <see cref="Status"/> is its HTTP status when it answered.</summary>
public sealed class OpenStackException(string message, Exception? inner = null, int? status = null) : Exception(message, inner)
{
    public int? Status { get; } = status;

    /// <summary>Client errors other than 408/409/429 will not change on a retry.</summary>
    public bool IsPermanent => Status is >= 400 and < 500 and not (408 or 409 or 429);

    /// <summary>The start of a response body, on one line, for a log or a message.</summary>
    public static string Excerpt(string? text) =>
        string.IsNullOrEmpty(text) ? "(empty body)" : text.Length <= 300 ? text.ReplaceLineEndings(" ") : text[..300].ReplaceLineEndings(" ") + "…";
}
