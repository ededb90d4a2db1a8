using System.Text;
using System.Text.Json.Nodes;

namespace Doctor.Testing;

/// <summary>JSON calls to Doctor's API from the suites that run it as a process.</summary>
public static class JsonApi
{
    /// <summary>Sends <paramref name="body"/> (if any) and returns the parsed answer; any status but <paramref name="expect"/>
    /// fails with the method, path, status and body.</summary>
    public static async Task<JsonNode> SendJsonAsync(this HttpClient client, HttpMethod method, string path, JsonNode? body = null, int expect = 200)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null)
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if ((int)response.StatusCode != expect)
            throw new InvalidOperationException($"{method} {path}: expected {expect}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!;
    }
}
