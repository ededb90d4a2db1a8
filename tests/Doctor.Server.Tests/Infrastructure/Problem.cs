using System.Text.Json;

namespace Doctor.Server.Tests.Infrastructure;

/// <summary>Assertions on RFC 7807 answers (SPEC §1).</summary>
public static class Problem
{
    /// <summary>Asserts a problem+json answer with <paramref name="status"/>, a title and a detail naming <paramref name="field"/>.</summary>
    public static async Task<JsonElement> AssertAsync(HttpResponseMessage response, int status, string? field = null)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var document = JsonDocument.Parse(text);
        var body = document.RootElement.Clone();
        Assert.Equal(status, body.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("title").GetString()), "problem without a title");
        var detail = body.GetProperty("detail").GetString();
        Assert.False(string.IsNullOrWhiteSpace(detail), "problem without a detail");
        if (field is not null)
            Assert.Contains(field, detail);
        return body;
    }
}
