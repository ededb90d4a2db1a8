using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Doctor.Cli.Bench;

/// <summary>
/// Durable bulk ingest: concurrent HTTP clients post bodies of many events; an event counts once Doctor answered
/// 202 (it is on disk). Also reports how long the engine took to process them all.
/// </summary>
public static class IngestBench
{
    private const string AdminToken = "bench-admin-token-0123456789abcdef";

    public static async Task<int> RunAsync(int clients, int batch, int total, string? jsonPath, CancellationToken cancellationToken)
    {
        var dataDir = Directory.CreateTempSubdirectory("doctor-ingest-").FullName;
        var (server, _) = await ServerProcess.StartAsync(dataDir, AdminToken);
        try
        {
            // Bodies are made before the clock starts: the load generator shares the machine's two cores.
            var requests = (total + batch - 1) / batch;
            var bodies = Enumerable.Range(0, requests).Select(b => Body(b, batch)).ToArray();
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, MaxConnectionsPerServer = clients }) { BaseAddress = new Uri(server.Url + "/") };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);

            // Warm-up, so the measurement is not of the JIT.
            for (var i = 0; i < 5; i++)
                await PostAsync(http, Body(1_000_000 + i, batch), cancellationToken);

            var posted = 0;
            var sent = 0;
            var latencies = new List<double>();
            var started = Stopwatch.GetTimestamp();
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
            {
                while (true)
                {
                    var n = Interlocked.Increment(ref sent) - 1;
                    if (n >= bodies.Length)
                        return;
                    var body = bodies[n];
                    var t0 = Stopwatch.GetTimestamp();
                    await PostAsync(http, body, cancellationToken);
                    var ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                    lock (latencies)
                        latencies.Add(ms);
                    Interlocked.Add(ref posted, batch);
                }
            }));
            var ingest = Stopwatch.GetElapsedTime(started);

            // The engine processes behind the log; wait until it caught up with everything recorded.
            long processed;
            do
            {
                processed = (await GetJsonAsync(http, "healthz"))!["processed_seq"]!.GetValue<long>();
                if (processed >= posted + 5L * batch)
                    break;
                await Task.Delay(10, cancellationToken);
            }
            while (Stopwatch.GetElapsedTime(started) < TimeSpan.FromMinutes(10));
            var caughtUp = Stopwatch.GetElapsedTime(started);

            var rate = posted / ingest.TotalSeconds;
            var request = Percentiles.Of(latencies);
            Console.WriteLine($"durable bulk ingest: {clients} clients, {batch} events per request, {posted} events (fsync on every commit)");
            Console.WriteLine($"  accepted (202, on disk): {rate,10:N0} events/s  ({ingest.TotalSeconds:0.00} s)");
            Console.WriteLine($"  processed by the engine: {posted / caughtUp.TotalSeconds,10:N0} events/s  ({caughtUp.TotalSeconds:0.00} s until caught up)");
            Console.WriteLine($"  request latency:         {request}");
            if (jsonPath is not null)
            {
                var report = new JsonObject
                {
                    ["scenario"] = "bulk_ingest", ["date"] = DateTime.UtcNow.ToString("O"), ["clients"] = clients, ["events_per_request"] = batch,
                    ["events"] = posted, ["accepted_per_second"] = Math.Round(rate), ["processed_per_second"] = Math.Round(posted / caughtUp.TotalSeconds),
                    ["request_ms"] = new JsonObject { ["p50"] = request.P50, ["p99"] = request.P99, ["max"] = request.Max },
                    ["machine"] = new JsonObject { ["cores"] = Environment.ProcessorCount, ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription },
                };
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(jsonPath))!);
                await File.WriteAllTextAsync(jsonPath, report.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }), cancellationToken);
            }

            return 0;
        }
        finally
        {
            await server.DisposeAsync();
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static async Task PostAsync(HttpClient http, byte[] body, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync("v1/events", content, cancellationToken);
        if ((int)response.StatusCode != 202)
            throw new InvalidOperationException($"ingest refused: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
    }

    private static async Task<JsonNode?> GetJsonAsync(HttpClient http, string path) => JsonNode.Parse(await http.GetStringAsync(path));

    /// <summary>A body of <paramref name="count"/> hardware warnings about hosts the map does not hold: recorded and
    /// inspected like any event, without touching the map (the load is the log, not the effects).</summary>
    private static byte[] Body(int request, int count)
    {
        var sb = new StringBuilder(count * 160).Append("{\"events\":[");
        var time = DateTime.UtcNow.ToString("O");
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
                sb.Append(',');
            sb.Append("{\"id\":\"ingest-").Append(request).Append('-').Append(i)
              .Append("\",\"time\":\"").Append(time)
              .Append("\",\"type\":\"compute.host.temperature.high\",\"details\":{\"hostname\":\"rack-").Append(i % 97)
              .Append("\",\"severity\":\"warning\",\"source\":\"ipmi\"}}");
        }

        return Encoding.UTF8.GetBytes(sb.Append("]}").ToString());
    }
}
