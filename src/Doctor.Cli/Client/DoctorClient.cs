using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Doctor.Cli.Client;

/// <summary>A thin HTTP client of the Doctor API for the command line and the benchmarks.</summary>
public sealed class DoctorClient(string baseUrl, string? token) : IDisposable
{
    private readonly HttpClient _http = Create(baseUrl, token);

    public HttpClient Http => _http;

    private static HttpClient Create(string baseUrl, string? token)
    {
        var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/"),
            Timeout = TimeSpan.FromSeconds(60),
        };
        if (!string.IsNullOrEmpty(token))
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    public async Task<JsonNode?> SendAsync(HttpMethod method, string path, string? json = null, CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (json is not null)
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await _http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new DoctorApiException((int)response.StatusCode, text);
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    public Task<JsonNode?> GetAsync(string path, CancellationToken cancellationToken = default) => SendAsync(HttpMethod.Get, path, null, cancellationToken);

    public Task<JsonNode?> PostAsync(string path, object body, CancellationToken cancellationToken = default) =>
        SendAsync(HttpMethod.Post, path, body as string ?? JsonSerializer.Serialize(body), cancellationToken);

    public void Dispose() => _http.Dispose();
}

/// <summary>A non-2xx answer, with the problem body.</summary>
public sealed class DoctorApiException(int status, string body) : Exception($"HTTP {status}: {body}")
{
    public int Status { get; } = status;
}
