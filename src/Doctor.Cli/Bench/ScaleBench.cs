using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Doctor.Cli.Bench;

/// <summary>
/// Memory and cold start at scale: loads a map of many hosts, VMs (one port each) and subscriptions through the
/// API into a separate `doctor serve` process, reads its resident memory, restarts it and times the restart to
/// healthy, and reads the memory again.
/// </summary>
public static class ScaleBench
{
    private const string AdminToken = "bench-admin-token-0123456789abcdef";
    private const int Chunk = 15_000;

    public static async Task<int> RunAsync(int hosts, int vmsPerHost, int projects, int subscriptions, string? jsonPath, CancellationToken cancellationToken)
    {
        var dataDir = Directory.CreateTempSubdirectory("doctor-scale-").FullName;
        var (server, firstStart) = await ServerProcess.StartAsync(dataDir, AdminToken);
        try
        {
            using var http = Client(server.Url, AdminToken);
            var load = Stopwatch.StartNew();
            await PostAsync(http, "v1/inventory", new JsonObject { ["hosts"] = new JsonArray([.. Enumerable.Range(0, hosts).Select(h => (JsonNode)new JsonObject { ["name"] = Host(h), ["zone"] = $"az{h % 4}" })]) });
            var vms = hosts * vmsPerHost;
            for (var start = 0; start < vms; start += Chunk)
            {
                var servers = new JsonArray();
                var ports = new JsonArray();
                for (var i = start; i < Math.Min(vms, start + Chunk); i++)
                {
                    servers.Add(new JsonObject { ["id"] = Vm(i), ["name"] = Vm(i), ["project_id"] = Project(i % projects), ["host"] = Host(i / vmsPerHost) });
                    ports.Add(new JsonObject { ["id"] = Vm(i) + "-p", ["server_id"] = Vm(i), ["network_id"] = "net" });
                }

                await PostAsync(http, "v1/inventory", new JsonObject { ["servers"] = servers, ["ports"] = ports });
            }

            var inventoryTime = load.Elapsed;
            Console.WriteLine($"  loaded {hosts:N0} hosts, {vms:N0} VMs and {vms:N0} ports in {inventoryTime.TotalSeconds:0.0} s");

            var tokens = new string[projects];
            for (var p = 0; p < projects; p++)
                tokens[p] = (await PostAsync(http, "v1/tokens", new JsonObject { ["role"] = "project", ["project_id"] = Project(p) }))["token"]!.GetValue<string>();
            var next = -1;
            var clients = Enumerable.Range(0, projects).Select(p => Client(server.Url, tokens[p])).ToArray();
            await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
            {
                int n;
                while ((n = Interlocked.Increment(ref next)) < subscriptions)
                {
                    // A VNF manager per VM: each subscription watches one VM of its project.
                    var vm = n % vms;
                    await PostAsync(clients[vm % projects], "v1/subscriptions", new JsonObject
                    {
                        ["callback_url"] = $"http://127.0.0.1:9/{n}",
                        ["filter"] = new JsonObject { ["resource_ids"] = new JsonArray(Vm(vm)) },
                    });
                }
            }));
            foreach (var client in clients)
                client.Dispose();
            var subscriptionTime = load.Elapsed - inventoryTime;
            Console.WriteLine($"  created {subscriptions:N0} subscriptions in {subscriptionTime.TotalSeconds:0.0} s");
            await Task.Delay(2000, cancellationToken); // let the state writer and a GC settle before reading memory
            var loadedMiB = server.ResidentMiB();

            await server.DisposeAsync();
            var (restarted, coldStart) = await ServerProcess.StartAsync(dataDir, AdminToken);
            server = restarted;
            var coldMiB = server.ResidentMiB();
            using var check = Client(server.Url, AdminToken);
            var servers1 = JsonNode.Parse(await check.GetStringAsync($"v1/servers?host={Host(hosts - 1)}&limit=1000"))!["servers"]!.AsArray().Count;

            Console.WriteLine($"scale: {hosts:N0} hosts, {vms:N0} VMs + {vms:N0} ports, {projects:N0} projects, {subscriptions:N0} subscriptions");
            Console.WriteLine($"  resident memory after loading:   {loadedMiB,8:N0} MiB");
            Console.WriteLine($"  cold start (process to healthy): {coldStart.TotalSeconds,8:0.00} s (first, empty start: {firstStart.TotalSeconds:0.00} s)");
            Console.WriteLine($"  resident memory after restart:   {coldMiB,8:N0} MiB");
            Console.WriteLine($"  check: {servers1} VMs on the last host after the restart (expected {vmsPerHost})");
            if (jsonPath is not null)
            {
                var report = new JsonObject
                {
                    ["scenario"] = "scale", ["date"] = DateTime.UtcNow.ToString("O"), ["hosts"] = hosts, ["vms"] = vms, ["ports"] = vms,
                    ["projects"] = projects, ["subscriptions"] = subscriptions, ["rss_loaded_mib"] = Math.Round(loadedMiB),
                    ["rss_after_restart_mib"] = Math.Round(coldMiB), ["cold_start_s"] = Math.Round(coldStart.TotalSeconds, 2),
                    ["inventory_load_s"] = Math.Round(inventoryTime.TotalSeconds, 1), ["subscription_load_s"] = Math.Round(subscriptionTime.TotalSeconds, 1),
                    ["machine"] = new JsonObject { ["cores"] = Environment.ProcessorCount, ["os"] = System.Runtime.InteropServices.RuntimeInformation.OSDescription },
                };
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(jsonPath))!);
                await File.WriteAllTextAsync(jsonPath, report.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }), cancellationToken);
            }

            return servers1 == vmsPerHost ? 0 : 1;
        }
        finally
        {
            await server.DisposeAsync();
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static string Host(int h) => $"compute-{h:00000}";
    private static string Vm(int i) => $"vm-{i:0000000}";
    private static string Project(int p) => $"project-{p:0000}";

    private static HttpClient Client(string url, string token)
    {
        var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { BaseAddress = new Uri(url + "/"), Timeout = TimeSpan.FromMinutes(5) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static async Task<JsonNode> PostAsync(HttpClient http, string path, JsonNode body)
    {
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(path, content);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }
}
