using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Doctor.Simulator.Monitoring;

/// <summary>
/// Posts a monitor's verdicts to Doctor's <c>/v1/events</c> with a monitor token. A verdict is retried with the
/// same event id until Doctor answers 202, so a lost answer can never produce a second fault.
/// </summary>
public sealed class EventReporter(HttpClient http, string token, string monitorId, TimeProvider time)
{
    /// <summary>Longest wait between two attempts.</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(5);

    public async Task ReportAsync(HostVerdict verdict, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["event"] = new JsonObject
            {
                ["id"] = verdict.EventId,
                ["time"] = verdict.Time.UtcDateTime.ToString("O"),
                ["type"] = verdict.Down ? "compute.host.down" : "compute.host.up",
                ["details"] = new JsonObject
                {
                    ["hostname"] = verdict.Hostname,
                    ["source"] = "probe",
                    ["monitor_id"] = monitorId,
                    ["monitor_event_id"] = verdict.EventId,
                },
            },
        }.ToJsonString();

        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "v1/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                using var response = await http.SendAsync(request, cancellationToken);
                if ((int)response.StatusCode == 202)
                    return;
                if ((int)response.StatusCode is >= 400 and < 500 and not 429)
                    throw new InvalidOperationException($"Doctor refused the event: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }
            catch (HttpRequestException)
            {
                // Doctor unreachable: keep the verdict and try again with the same id.
            }

            await Task.Delay(delay, time, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxBackoff.Ticks));
        }
    }
}
