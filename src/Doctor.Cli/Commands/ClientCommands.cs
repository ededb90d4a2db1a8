using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Doctor.Cli.Client;

namespace Doctor.Cli.Commands;

/// <summary>Resource verbs against a running service: <c>hosts</c>, <c>devices</c>, <c>servers</c>, <c>faults</c>, <c>subscriptions</c>, <c>inventory import</c>.</summary>
public static class ClientCommands
{
    private static readonly Option<string> Url = new("--url")
    {
        Description = "Doctor API (env DOCTOR_URL)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DOCTOR_URL") ?? "http://127.0.0.1:12345",
        Recursive = true,
    };

    private static readonly Option<string?> Token = new("--token")
    {
        Description = "API token (env DOCTOR_TOKEN)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("DOCTOR_TOKEN"),
        Recursive = true,
    };

    private static readonly Option<string> Output = new("--output", "-o")
    {
        Description = "table or json",
        DefaultValueFactory = _ => "table",
        Recursive = true,
    };

    public static IEnumerable<Command> Create()
    {
        yield return ListCommand("hosts", "List hosts", "/v1/hosts", "hosts", ["name", "zone", "status", "state", "forced_down", "host_status"], "state", "zone", "maintenance");
        yield return ListCommand("devices", "List devices (switches, PDUs, …)", "/v1/devices", "devices", ["id", "kind", "zone", "state", "feeds"], "kind", "zone", "state", "feeds");
        yield return ListCommand("servers", "List servers", "/v1/servers", "servers", ["id", "name", "project_id", "host", "state", "host_status"], "host", "project_id", "state");
        yield return ListCommand("faults", "List faults", "/v1/faults", "faults", ["fault_id", "fault_type", "severity", "state", "resource_type", "resource_id", "raised_at"], "state", "resource_type", "resource_id", "fault_type", "min_severity");
        yield return ListCommand("subscriptions", "List subscriptions", "/v1/subscriptions", "subscriptions", ["subscription_id", "project_id", "callback_url", "created_at"]);
        yield return InventoryCommand();
    }

    private static Command ListCommand(string name, string description, string path, string plural, string[] columns, params string[] filters)
    {
        var command = new Command(name, description) { Url, Token, Output };
        var filterOptions = filters.Select(f => new Option<string?>("--" + f.Replace('_', '-')) { Description = $"filter by {f}" }).ToList();
        foreach (var option in filterOptions)
            command.Options.Add(option);
        var limit = new Option<int>("--limit") { Description = "page size", DefaultValueFactory = _ => 100 };
        command.Options.Add(limit);
        command.SetAction(async (result, cancellationToken) =>
        {
            var query = new StringBuilder($"{path}?limit={result.GetValue(limit)}");
            for (var i = 0; i < filters.Length; i++)
            {
                if (result.GetValue(filterOptions[i]) is { } value)
                    query.Append('&').Append(filters[i]).Append('=').Append(Uri.EscapeDataString(value));
            }

            return await RunAsync(result, async client =>
            {
                var answer = await client.GetAsync(query.ToString(), cancellationToken);
                Print(result.GetValue(Output)!, answer, plural, columns);
            });
        });
        return command;
    }

    private static Command InventoryCommand()
    {
        var file = new Argument<FileInfo>("file") { Description = "inventory document, YAML or JSON" };
        var replace = new Option<bool>("--replace") { Description = "make the document the whole map" };
        var import = new Command("import", "Import an inventory document in one transaction") { file, replace, Url, Token, Output };
        import.SetAction(async (result, cancellationToken) => await RunAsync(result, async client =>
        {
            var path = result.GetValue(file)!;
            var text = await File.ReadAllTextAsync(path.FullName, cancellationToken);
            var json = path.Extension is ".yaml" or ".yml" ? YamlToJson.Convert(text)?.ToJsonString() ?? "{}" : text;
            var answer = await client.SendAsync(HttpMethod.Post, "/v1/inventory" + (result.GetValue(replace) ? "?replace=true" : string.Empty), json, cancellationToken);
            Console.WriteLine(answer?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }));
        return new Command("inventory", "Inventory documents") { import };
    }

    private static async Task<int> RunAsync(ParseResult result, Func<DoctorClient, Task> body)
    {
        using var client = new DoctorClient(result.GetValue(Url)!, result.GetValue(Token));
        try
        {
            await body(client);
            return 0;
        }
        catch (DoctorApiException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return ex.Status is 401 or 403 ? 3 : 2;
        }
        catch (HttpRequestException ex)
        {
            await Console.Error.WriteLineAsync($"cannot reach {result.GetValue(Url)}: {ex.Message}");
            return 4;
        }
    }

    private static void Print(string output, JsonNode? answer, string plural, string[] columns)
    {
        if (output == "json")
        {
            Console.WriteLine(answer?.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return;
        }

        var rows = (answer?[plural] as JsonArray ?? []).Select(item => columns.Select(c => Cell(item?[c])).ToArray()).ToList();
        var widths = columns.Select((c, i) => Math.Max(c.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        Console.WriteLine(string.Join("  ", columns.Select((c, i) => c.ToUpperInvariant().PadRight(widths[i]))));
        foreach (var row in rows)
            Console.WriteLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))));
        if (answer?["next"] is JsonValue next)
            Console.WriteLine($"(more: --marker {next})");
    }

    private static string Cell(JsonNode? node) => node switch
    {
        null => "-",
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        JsonArray list when list.All(i => i is JsonValue v && v.TryGetValue<string>(out _)) => list.Count == 0 ? "-" : string.Join(",", list.Select(i => i!.GetValue<string>())),
        _ => node.ToJsonString(),
    };
}
