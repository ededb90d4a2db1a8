using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Doctor.OpenStack.Keystone;

namespace Doctor.OpenStack;

/// <summary>
/// One OpenStack service (by catalog type) called with Doctor's service token: a 401 renews the token and tries once
/// more; every call has the configured timeout; an error answer becomes an <see cref="OpenStackException"/> that names
/// the call and carries the service's own message.
/// </summary>
public class ServiceClient(HttpClient http, KeystoneSession keystone, OpenStackOptions options, string serviceType)
{
    /// <summary>Sends <paramref name="method"/> <paramref name="path"/> (relative to the catalog endpoint) and returns the
    /// parsed JSON answer (null for an empty body).</summary>
    public async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken, string? microversion = null) =>
        (await SendForRequestAsync(method, path, body, cancellationToken, microversion)).Body;

    /// <summary>As <see cref="SendAsync"/>, also returning the request id the service gave the call
    /// (<c>X-OpenStack-Request-ID</c>), which names it in the service's records (e.g. Nova's instance actions).</summary>
    public async Task<(JsonNode? Body, string? RequestId)> SendForRequestAsync(
        HttpMethod method, string path, JsonNode? body, CancellationToken cancellationToken, string? microversion = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var token = await keystone.TokenAsync(cancellationToken);
            var baseUrl = await keystone.EndpointAsync(serviceType, cancellationToken);
            using var request = new HttpRequestMessage(method, baseUrl + path);
            request.Headers.TryAddWithoutValidation("X-Auth-Token", token);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
            if (microversion is not null)
                request.Headers.TryAddWithoutValidation("OpenStack-API-Version", $"{serviceType} {microversion}");
            if (body is not null)
                request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(options.CallTimeoutSeconds));
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, timeout.Token);
            }
            catch (Exception ex) when (ex is HttpRequestException || ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new OpenStackException($"{method} {serviceType}{path}: {(ex is OperationCanceledException ? $"no answer within {options.CallTimeoutSeconds} s" : ex.Message)}", ex);
            }

            using (response)
            {
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0)
                {
                    keystone.Invalidate(token);
                    continue;
                }

                if (!response.IsSuccessStatusCode)
                    throw new OpenStackException($"{method} {serviceType}{path} answered {(int)response.StatusCode}: {OpenStackException.Excerpt(text)}", status: (int)response.StatusCode);
                var requestId = response.Headers.TryGetValues("X-OpenStack-Request-ID", out var ids) ? ids.FirstOrDefault()
                    : response.Headers.TryGetValues("X-Compute-Request-Id", out var computeIds) ? computeIds.FirstOrDefault() : null;
                if (string.IsNullOrWhiteSpace(text))
                    return (null, requestId);
                try
                {
                    return (JsonNode.Parse(text), requestId);
                }
                catch (JsonException ex)
                {
                    throw new OpenStackException($"{method} {serviceType}{path} answered {(int)response.StatusCode} with a body that is not JSON: {OpenStackException.Excerpt(text)}", ex, (int)response.StatusCode);
                }
            }
        }
    }

    public Task<JsonNode?> GetAsync(string path, CancellationToken cancellationToken, string? microversion = null) =>
        SendAsync(HttpMethod.Get, path, null, cancellationToken, microversion);
}
