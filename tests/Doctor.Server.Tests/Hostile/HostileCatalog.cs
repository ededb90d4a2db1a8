using System.Text;

namespace Doctor.Server.Tests.Hostile;

/// <summary>Who sends a hostile request.</summary>
public enum Sender
{
    Admin,
    Monitor,

    /// <summary>A member of <c>proj-alpha</c>.</summary>
    Project,
    None,
}

/// <summary>
/// One hostile request: an exact byte body (so invalid UTF-8 and raw NULs can be sent), the content type, the caller,
/// extra headers, and the status SPEC §1 asks for (null: any 4xx).
/// </summary>
public sealed record HostileRequest(
    string Name, HttpMethod Method, string Path, byte[]? Body, string? ContentType, Sender Sender, int? Expected,
    IReadOnlyList<(string Name, string Value)>? Headers = null);

/// <summary>
/// Every hostile request of the suite, over every endpoint that takes input (bodies, query strings, path ids,
/// credentials). None of them is valid: each must answer 4xx problem+json and change nothing.
/// </summary>
public static class HostileCatalog
{
    private const int Bad = 400;
    private const string Json = "application/json";
    private const string ValidTime = "\"2026-01-01T00:00:00Z\"";

    /// <summary>A valid silence end: far enough ahead of the real clock the suite runs on.</summary>
    private const string FutureTime = "\"2099-01-01T00:00:00Z\"";

    /// <summary>An endpoint that reads a JSON body, and a body template in which <c>$V</c> is one string-typed field.</summary>
    private sealed record BodyEndpoint(string Name, HttpMethod Method, string Path, Sender Sender, string Template)
    {
        /// <summary>Details keep numbers and booleans as their JSON text (SPEC §3), so those values are valid there.</summary>
        public bool Accepts(string value) => Name == "events-detail" && value is "number" or "huge-number" or "huge-integer" or "negative-zero" or "boolean";
    }

    private static readonly BodyEndpoint[] BodyEndpoints =
    [
        new("tokens", HttpMethod.Post, "/v1/tokens", Sender.Admin, """{"role":"project","project_id":$V}"""),
        new("host-put", HttpMethod.Put, "/v1/hosts/compute-zulu-1", Sender.Admin, """{"zone":$V}"""),
        new("host-state", HttpMethod.Post, "/v1/hosts/compute-zulu-1/state", Sender.Admin, """{"forced_down":true,"status":$V}"""),
        new("device-put", HttpMethod.Put, "/v1/devices/tor-zulu-1", Sender.Admin, """{"kind":"switch","zone":$V}"""),
        new("device-put-feeds", HttpMethod.Put, "/v1/devices/tor-zulu-1", Sender.Admin, """{"kind":"switch","feeds":["compute-zulu-1",$V]}"""),
        new("server-put", HttpMethod.Put, "/v1/servers/vm-a1", Sender.Admin, """{"project_id":$V,"host":"compute-zulu-1"}"""),
        new("port-put", HttpMethod.Put, "/v1/ports/port-a1", Sender.Admin, """{"server_id":"vm-a1","network_id":$V}"""),
        new("inventory", HttpMethod.Post, "/v1/inventory", Sender.Admin, """{"hosts":[{"name":"fresh-host"},{"name":$V}]}"""),
        new("inventory-device", HttpMethod.Post, "/v1/inventory", Sender.Admin, """{"hosts":[{"name":"fresh-host"}],"devices":[{"id":"tor-fresh","kind":$V,"feeds":["fresh-host"]}]}"""),
        new("events", HttpMethod.Post, "/v1/events", Sender.Monitor, "{\"time\":" + ValidTime + ",\"type\":$V}"),
        new("events-detail", HttpMethod.Post, "/v1/events", Sender.Monitor, "[{\"time\":" + ValidTime + ",\"type\":\"compute.host.down\",\"details\":{\"hostname\":\"compute-zulu-3\"}},{\"time\":" + ValidTime + ",\"type\":\"compute.host.down\",\"details\":{\"hostname\":$V}}]"),
        new("events-legacy", HttpMethod.Put, "/events", Sender.Monitor, "{\"event\":{\"time\":" + ValidTime + ",\"type\":$V}}"),
        new("subscriptions", HttpMethod.Post, "/v1/subscriptions", Sender.Project, """{"callback_url":"http://127.0.0.1:9/x","filter":{"fault_types":[$V]}}"""),
        new("subscriptions-admin", HttpMethod.Post, "/v1/subscriptions", Sender.Admin, """{"callback_url":$V}"""),
        new("silences", HttpMethod.Post, "/v1/silences", Sender.Admin, "{\"matchers\":{\"hostname\":$V},\"ends_at\":" + FutureTime + "}"),
        new("maintenance-hosts", HttpMethod.Post, "/v1/maintenance", Sender.Admin, """{"state":"MAINTENANCE","hosts":[$V]}"""),
        new("maintenance-at", HttpMethod.Post, "/v1/maintenance", Sender.Admin, """{"state":"MAINTENANCE","maintenance_at":$V}"""),
        new("maintenance-workflow", HttpMethod.Post, "/v1/maintenance", Sender.Admin, """{"state":"MAINTENANCE","workflow":$V}"""),
        new("maintenance-reply", HttpMethod.Put, "/v1/maintenance/no-session/proj-alpha", Sender.Project, """{"state":$V}"""),
        new("maintenance-reply-action", HttpMethod.Put, "/v1/maintenance/no-session/proj-alpha", Sender.Project, """{"state":"ACK_PLANNED_MAINTENANCE","instance_actions":{"vm-a1":$V}}"""),
        new("instance-constraint", HttpMethod.Put, "/v1/instance/vm-a1", Sender.Admin, """{"migration_type":$V}"""),
        new("instance-constraint-group", HttpMethod.Put, "/v1/instance/vm-a1", Sender.Project, """{"group_id":$V}"""),
        new("instance-group-constraint", HttpMethod.Put, "/v1/instance_group/grp-alpha", Sender.Project, """{"group_name":$V}"""),
        new("silences-fault-type", HttpMethod.Post, "/v1/silences", Sender.Admin, "{\"matchers\":{\"hostname\":\"compute-zulu-1\",\"fault_type\":$V},\"ends_at\":" + FutureTime + "}"),
    ];

    /// <summary>Whole bodies that are not an acceptable document anywhere.</summary>
    private static readonly (string Name, byte[] Body)[] BadDocuments =
    [
        ("empty", []),
        ("whitespace", B(" \r\n\t ")),
        ("truncated", B("{\"role\": \"adm")),
        ("single-quotes", B("{'role':'admin'}")),
        ("trailing-comma", B("{\"zone\":\"z\",}")),
        ("comment", B("/* hi */ {\"zone\":\"z\"}")),
        ("two-documents", B("{\"zone\":\"z\"}{\"zone\":\"y\"}")),
        ("garbage-after", B("{\"zone\":\"z\"} trailing")),
        ("bare-string", B("\"hello\"")),
        ("bare-number", B("42")),
        ("bare-true", B("true")),
        ("null", B("null")),
        ("array-of-numbers", B("[1, 2, 3]")),
        ("empty-array", B("[]")),
        ("array-of-arrays", B("[[{}]]")),
        ("deep-object-40", B(string.Concat(Enumerable.Repeat("{\"a\":", 40)) + "1" + new string('}', 40))),
        ("deep-array-40", B(new string('[', 40) + new string(']', 40))),
        ("deep-array-100k", B(new string('[', 100_000) + new string(']', 100_000))),
        ("deep-inside-field-33", B("{\"metadata\":" + string.Concat(Enumerable.Repeat("{\"a\":", 33)) + "\"x\"" + new string('}', 33) + ",\"details\":" + string.Concat(Enumerable.Repeat("{\"a\":", 33)) + "\"x\"" + new string('}', 33) + "}")),
        ("raw-nul-byte", [.. B("{\"zone\":\"a"), 0, .. B("b\"}")]),
        ("bom-then-garbage", [0xEF, 0xBB, 0xBF, .. B("{oops}")]),
        ("utf16-body", Encoding.Unicode.GetBytes("{\"zone\":\"z\"}")),
        ("invalid-utf8-name", [.. B("{\""), 0xFF, 0xFE, .. B("\":\"x\"}")]),
        ("lone-surrogate-name", B("{\"\\ud800\":\"x\"}")),
        ("lone-surrogate-in-wrapper-name", B("{\"ev\\udc00ent\":{\"zone\":\"z\"}}")),
        ("nan", B("{\"zone\":NaN}")),
        ("unquoted-key", B("{zone:\"z\"}")),
    ];

    /// <summary>JSON values for the template's string field that no identifier or enum accepts.</summary>
    private static readonly (string Name, byte[] Value)[] BadValues =
    [
        ("empty-string", B("\"\"")),
        ("escaped-nul", B("\"a\\u0000b\"")),
        ("raw-nul", [.. B("\"a"), 0, .. B("b\"")]),
        ("raw-control", [.. B("\"a"), 0x1F, .. B("b\"")]),
        ("escaped-control", B("\"a\\u001fb\"")),
        ("escaped-newline", B("\"a\\nb\"")),
        ("invalid-utf8", [.. B("\"a"), 0xC3, 0x28, .. B("b\"")]),
        ("invalid-utf8-ff", [.. B("\"a"), 0xFF, .. B("\"")]),
        ("overlong-utf8-nul", [.. B("\"a"), 0xC0, 0x80, .. B("\"")]),
        ("utf8-surrogate-bytes", [.. B("\"a"), 0xED, 0xA0, 0x80, .. B("\"")]),
        ("lone-high-surrogate", B("\"a\\ud800\"")),
        ("lone-low-surrogate", B("\"\\udc00b\"")),
        ("string-256", B("\"" + new string('x', 256) + "\"")),
        ("string-1mib", B("\"" + new string('x', 1 << 20) + "\"")),
        ("number", B("12345")),
        ("huge-number", B("1e999")),
        ("huge-integer", B(new string('9', 5000))),
        ("negative-zero", B("-0")),
        ("boolean", B("true")),
        ("object", B("{\"a\":\"b\"}")),
        ("array", B("[\"a\"]")),
    ];

    private static readonly string[] BadContentTypes =
        ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "none"];

    private static readonly string[] ListPaths =
        ["/v1/tokens", "/v1/hosts", "/v1/devices", "/v1/servers", "/v1/ports", "/v1/events", "/v1/faults", "/v1/subscriptions", "/v1/silences", "/v1/maintenance"];

    private static readonly string[] BadLimits =
        ["-1", "0", "1001", "99999999999999999999", "abc", "1.5", "1e3", "%00", "%2B5", "%205", "0x10", "5,6", "５"];

    private static readonly string[] BadTimes =
    [
        "yesterday", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:00:60Z",
        "0000-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2026-01-01", "2026-01-01T00:00:00+25:00",
        "2026-01-01T00:00:00.1234567890123Z", "2026-01-01T00:00:00Z\n", "+2026-01-01T00:00:00Z", "２０２６-01-01T00:00:00Z",
    ];

    public static IReadOnlyList<HostileRequest> All { get; } = Build();

    public static HostileRequest Get(string name) => ByName[name];

    private static readonly Dictionary<string, HostileRequest> ByName = All.ToDictionary(r => r.Name, StringComparer.Ordinal);

    private static List<HostileRequest> Build()
    {
        var all = new List<HostileRequest>();
        void Add(string name, HttpMethod method, string path, byte[]? body, Sender sender, int? expected, string? contentType = Json,
            IReadOnlyList<(string, string)>? headers = null) =>
            all.Add(new HostileRequest(name, method, path, body, body is null ? null : contentType, sender, expected, headers));

        foreach (var e in BodyEndpoints)
        {
            foreach (var (name, body) in BadDocuments)
                Add($"{e.Name} body {name}", e.Method, e.Path, body, e.Sender, Bad);
            foreach (var (name, value) in BadValues.Where(v => !e.Accepts(v.Name)))
                Add($"{e.Name} value {name}", e.Method, e.Path, Fill(e.Template, value), e.Sender, Bad);
            foreach (var type in BadContentTypes)
                all.Add(new HostileRequest($"{e.Name} content-type {type}", e.Method, e.Path, Fill(e.Template, B("\"valid-looking\"")), type == "none" ? null : type, e.Sender, 415));
            // Larger than 4 MiB: 413 whatever the JSON would have said.
            Add($"{e.Name} body over 4 MiB", e.Method, e.Path, Fill(e.Template, B("\"" + new string('x', 4 * 1024 * 1024) + "\"")), e.Sender, 413);
            Add($"{e.Name} whitespace over 4 MiB", e.Method, e.Path, [.. new byte[4 * 1024 * 1024 + 1].Select(_ => (byte)' ')], e.Sender, 413);
        }

        foreach (var path in ListPaths)
        {
            var sender = path is "/v1/servers" or "/v1/faults" or "/v1/subscriptions" ? Sender.Project : Sender.Admin;
            foreach (var limit in BadLimits)
                Add($"GET {path} limit={limit}", HttpMethod.Get, $"{path}?limit={limit}", null, sender, Bad);
            Add($"GET {path} marker 256", HttpMethod.Get, $"{path}?marker={new string('m', 256)}", null, sender, Bad);
        }

        Add("GET deliveries limit=0", HttpMethod.Get, "/v1/subscriptions/{subscription}/deliveries?limit=0", null, Sender.Admin, Bad);
        foreach (var time in BadTimes)
        {
            var q = Uri.EscapeDataString(time);
            Add($"GET faults since={time.ReplaceLineEndings("\\n")}", HttpMethod.Get, $"/v1/faults?since={q}", null, Sender.Project, Bad);
            Add($"GET faults until={time.ReplaceLineEndings("\\n")}", HttpMethod.Get, $"/v1/faults?until={q}", null, Sender.Admin, Bad);
            Add($"GET events since={time.ReplaceLineEndings("\\n")}", HttpMethod.Get, $"/v1/events?since={q}", null, Sender.Admin, Bad);
            var json = System.Text.Json.JsonSerializer.Serialize(time);
            Add($"event time {time.ReplaceLineEndings("\\n")}", HttpMethod.Post, "/v1/events", B("{\"time\":" + json + ",\"type\":\"compute.host.down\",\"details\":{\"hostname\":\"compute-zulu-3\"}}"), Sender.Monitor, Bad);
            Add($"token expires_at {time.ReplaceLineEndings("\\n")}", HttpMethod.Post, "/v1/tokens", B("{\"role\":\"monitor\",\"expires_at\":" + json + "}"), Sender.Admin, Bad);
            Add($"silence starts_at {time.ReplaceLineEndings("\\n")}", HttpMethod.Post, "/v1/silences", B("{\"matchers\":{\"hostname\":\"compute-zulu-1\"},\"starts_at\":" + json + ",\"ends_at\":" + FutureTime + "}"), Sender.Admin, Bad);
            Add($"silence ends_at {time.ReplaceLineEndings("\\n")}", HttpMethod.Post, "/v1/silences", B("{\"matchers\":{\"hostname\":\"compute-zulu-1\"},\"ends_at\":" + json + "}"), Sender.Admin, Bad);
        }

        Add("event time number", HttpMethod.Post, "/v1/events", B("{\"time\":1767225600,\"type\":\"x.y\"}"), Sender.Monitor, Bad);
        Add("event time missing", HttpMethod.Post, "/v1/events", B("{\"type\":\"x.y\"}"), Sender.Monitor, Bad);
        Add("token expires_at in the past", HttpMethod.Post, "/v1/tokens", B("{\"role\":\"monitor\",\"expires_at\":\"2001-01-01T00:00:00Z\"}"), Sender.Admin, Bad);

        AddQueries(Add);
        AddEnums(Add);
        AddShapes(Add);
        AddEvents(Add);
        AddInventory(Add);
        AddSubscriptions(Add);
        AddSilences(Add);
        AddMaintenance(Add);
        AddPathsAndCredentials(Add);
        return all;
    }

    private delegate void Adder(string name, HttpMethod method, string path, byte[]? body, Sender sender, int? expected, string? contentType = Json,
        IReadOnlyList<(string, string)>? headers = null);

    private static void AddQueries(Adder add)
    {
        (string Path, Sender Sender)[] queries =
        [
            ("/v1/hosts?state=sideways", Sender.Admin), ("/v1/hosts?maintenance=maybe", Sender.Admin), ("/v1/hosts?zone=%00", Sender.Admin),
            ("/v1/hosts?zone=" + new string('z', 256), Sender.Admin), ("/v1/servers?state=sideways", Sender.Admin), ("/v1/servers?host=%01", Sender.Admin),
            ("/v1/servers?host=compute-zulu-1", Sender.Project), ("/v1/servers?project_id=%00", Sender.Project), ("/v1/ports?server_id=%0A", Sender.Project),
            ("/v1/ports?host=%00", Sender.Admin), ("/v1/events?type=%00", Sender.Admin), ("/v1/events?type=" + new string('t', 256), Sender.Admin),
            ("/v1/faults?state=bogus", Sender.Project), ("/v1/faults?resource_type=vm", Sender.Project), ("/v1/faults?min_severity=catastrophic", Sender.Project),
            ("/v1/faults?resource_id=%00", Sender.Project), ("/v1/faults?fault_type=%7F", Sender.Project), ("/v1/faults?fault_type=" + new string('*', 256), Sender.Admin),
            ("/v1/faults?state=ACTIVE", Sender.Admin), ("/v1/faults?resource_type=%FF", Sender.Admin), ("/v1/inventory?replace=maybe", Sender.Admin),
            ("/v1/devices?state=sideways", Sender.Admin), ("/v1/devices?state=UP", Sender.Admin), ("/v1/devices?kind=%00", Sender.Admin),
            ("/v1/devices?zone=%1F", Sender.Admin), ("/v1/devices?feeds=" + new string('f', 256), Sender.Admin), ("/v1/devices?feeds=%0A", Sender.Admin),
        ];
        foreach (var (path, sender) in queries)
        {
            var method = path.StartsWith("/v1/inventory", StringComparison.Ordinal) ? HttpMethod.Post : HttpMethod.Get;
            add($"{method} {path}", method, path, method == HttpMethod.Post ? B("{\"hosts\":[{\"name\":\"fresh-host\"}]}") : null, sender, Bad);
        }
    }

    private static void AddEnums(Adder add)
    {
        (string Name, HttpMethod Method, string Path, string Body, Sender Sender)[] enums =
        [
            ("token role root", HttpMethod.Post, "/v1/tokens", """{"role":"root"}""", Sender.Admin),
            ("token role upper-case", HttpMethod.Post, "/v1/tokens", """{"role":"ADMIN"}""", Sender.Admin),
            ("token role missing", HttpMethod.Post, "/v1/tokens", """{"project_id":"p"}""", Sender.Admin),
            ("token project without project_id", HttpMethod.Post, "/v1/tokens", """{"role":"project"}""", Sender.Admin),
            ("token monitor with project_id", HttpMethod.Post, "/v1/tokens", """{"role":"monitor","project_id":"p"}""", Sender.Admin),
            ("host status maybe", HttpMethod.Put, "/v1/hosts/compute-zulu-1", """{"status":"maybe"}""", Sender.Admin),
            ("host state sideways", HttpMethod.Put, "/v1/hosts/compute-zulu-1", """{"state":"sideways"}""", Sender.Admin),
            ("host-state status maybe", HttpMethod.Post, "/v1/hosts/compute-zulu-1/state", """{"status":"maybe"}""", Sender.Admin),
            ("host-state nothing to change", HttpMethod.Post, "/v1/hosts/compute-zulu-1/state", """{"reason":"just because"}""", Sender.Admin),
            ("host-state reason 5000", HttpMethod.Post, "/v1/hosts/compute-zulu-1/state", "{\"forced_down\":true,\"reason\":\"" + new string('r', 5000) + "\"}", Sender.Admin),
            ("device state sideways", HttpMethod.Put, "/v1/devices/tor-zulu-1", """{"kind":"switch","state":"sideways"}""", Sender.Admin),
            ("device state upper-case", HttpMethod.Put, "/v1/devices/tor-zulu-1", """{"kind":"switch","state":"DOWN"}""", Sender.Admin),
            ("device kind missing", HttpMethod.Put, "/v1/devices/tor-zulu-1", """{"zone":"zone-a"}""", Sender.Admin),
            ("server state sideways", HttpMethod.Put, "/v1/servers/vm-a1", """{"state":"sideways"}""", Sender.Admin),
            ("server state upper-case", HttpMethod.Put, "/v1/servers/vm-a1", """{"state":"ERROR"}""", Sender.Admin),
            ("port status UP", HttpMethod.Put, "/v1/ports/port-a1", """{"status":"UP"}""", Sender.Admin),
            ("port data_plane_status up", HttpMethod.Put, "/v1/ports/port-a1", """{"data_plane_status":"up"}""", Sender.Admin),
            ("filter resource_types vm", HttpMethod.Post, "/v1/subscriptions", """{"callback_url":"http://127.0.0.1:9/x","filter":{"resource_types":["vm"]}}""", Sender.Project),
            ("filter notification_types sms", HttpMethod.Post, "/v1/subscriptions", """{"callback_url":"http://127.0.0.1:9/x","filter":{"notification_types":["sms"]}}""", Sender.Project),
            ("filter min_severity catastrophic", HttpMethod.Post, "/v1/subscriptions", """{"callback_url":"http://127.0.0.1:9/x","filter":{"min_severity":"catastrophic"}}""", Sender.Project),
            ("filter null entry", HttpMethod.Post, "/v1/subscriptions", """{"callback_url":"http://127.0.0.1:9/x","filter":{"resource_types":[null]}}""", Sender.Admin),
        ];
        foreach (var (name, method, path, body, sender) in enums)
            add(name, method, path, B(body), sender, Bad);
    }

    /// <summary>Wrong types, arrays for objects and objects for arrays, duplicate keys whose last value is bad.</summary>
    private static void AddShapes(Adder add)
    {
        (string Name, HttpMethod Method, string Path, string Body, Sender Sender)[] shapes =
        [
            ("host-put array body", HttpMethod.Put, "/v1/hosts/compute-zulu-1", """[{"zone":"z"}]""", Sender.Admin),
            ("host-put forced_down string", HttpMethod.Put, "/v1/hosts/compute-zulu-1", """{"forced_down":"true"}""", Sender.Admin),
            ("host-put metadata list", HttpMethod.Put, "/v1/hosts/compute-zulu-1", """{"metadata":["a"]}""", Sender.Admin),
            ("host-put metadata number value", HttpMethod.Put, "/v1/hosts/compute-zulu-1", """{"metadata":{"k":1}}""", Sender.Admin),
            ("host-put metadata null value", HttpMethod.Put, "/v1/hosts/compute-zulu-1", """{"metadata":{"k":null}}""", Sender.Admin),
            ("host-put metadata empty key", HttpMethod.Put, "/v1/hosts/compute-zulu-1", """{"metadata":{"":"v"}}""", Sender.Admin),
            ("host-put metadata value 5000", HttpMethod.Put, "/v1/hosts/compute-zulu-1", "{\"metadata\":{\"k\":\"" + new string('v', 5000) + "\"}}", Sender.Admin),
            ("host-put metadata 257 entries", HttpMethod.Put, "/v1/hosts/compute-zulu-1", "{\"metadata\":{" + string.Join(",", Enumerable.Range(0, 257).Select(i => $"\"k{i}\":\"v\"")) + "}}", Sender.Admin),
            ("host-put name mismatch", HttpMethod.Put, "/v1/hosts/compute-zulu-1", """{"name":"compute-zulu-9"}""", Sender.Admin),
            ("host-put duplicate key last bad", HttpMethod.Put, "/v1/hosts/compute-zulu-1", """{"status":"enabled","status":"maybe"}""", Sender.Admin),
            ("host-state forced_down string", HttpMethod.Post, "/v1/hosts/compute-zulu-1/state", """{"forced_down":"true"}""", Sender.Admin),
            ("host-state forced_down number", HttpMethod.Post, "/v1/hosts/compute-zulu-1/state", """{"forced_down":1}""", Sender.Admin),
            ("host-state forced_down list", HttpMethod.Post, "/v1/hosts/compute-zulu-1/state", """{"forced_down":[true]}""", Sender.Admin),
            ("host-state duplicate key last bad", HttpMethod.Post, "/v1/hosts/compute-zulu-1/state", """{"status":"enabled","status":"maybe"}""", Sender.Admin),
            ("device-put id mismatch", HttpMethod.Put, "/v1/devices/tor-zulu-1", """{"id":"tor-zulu-9","kind":"switch"}""", Sender.Admin),
            ("device-put feeds string", HttpMethod.Put, "/v1/devices/tor-zulu-1", """{"kind":"switch","feeds":"compute-zulu-1"}""", Sender.Admin),
            ("device-put feeds object", HttpMethod.Put, "/v1/devices/tor-zulu-1", """{"kind":"switch","feeds":{"compute-zulu-1":true}}""", Sender.Admin),
            ("device-put feeds null entry", HttpMethod.Put, "/v1/devices/tor-zulu-1", """{"kind":"switch","feeds":[null]}""", Sender.Admin),
            ("device-put feeds duplicate", HttpMethod.Put, "/v1/devices/tor-zulu-1", """{"kind":"switch","feeds":["compute-zulu-1","compute-zulu-2","compute-zulu-1"]}""", Sender.Admin),
            ("device-put feeds itself", HttpMethod.Put, "/v1/devices/tor-zulu-1", """{"kind":"switch","feeds":["tor-zulu-1"]}""", Sender.Admin),
            ("device-put feeds slash", HttpMethod.Put, "/v1/devices/tor-zulu-1", """{"kind":"switch","feeds":["rack/1"]}""", Sender.Admin),
            ("device-put feeds dot-dot", HttpMethod.Put, "/v1/devices/tor-zulu-1", """{"kind":"switch","feeds":[".."]}""", Sender.Admin),
            ("device-put feeds 1001", HttpMethod.Put, "/v1/devices/tor-zulu-1", "{\"kind\":\"switch\",\"feeds\":[" + string.Join(",", Enumerable.Range(0, 1001).Select(i => $"\"h-{i}\"")) + "]}", Sender.Admin),
            ("device-put kind list", HttpMethod.Put, "/v1/devices/tor-zulu-1", """{"kind":["switch"]}""", Sender.Admin),
            ("device-put metadata number value", HttpMethod.Put, "/v1/devices/tor-zulu-1", """{"kind":"switch","metadata":{"k":1}}""", Sender.Admin),
            ("device-put duplicate key last bad", HttpMethod.Put, "/v1/devices/tor-zulu-1", """{"kind":"switch","state":"up","state":"maybe"}""", Sender.Admin),
            ("server-put id mismatch", HttpMethod.Put, "/v1/servers/vm-a1", """{"id":"vm-other"}""", Sender.Admin),
            ("server-put metadata object value", HttpMethod.Put, "/v1/servers/vm-a1", """{"metadata":{"k":{"x":"y"}}}""", Sender.Admin),
            ("server-put name control", HttpMethod.Put, "/v1/servers/vm-a1", "{\"name\":\"a\\u0007b\"}", Sender.Admin),
            ("server-put name 256", HttpMethod.Put, "/v1/servers/vm-a1", "{\"name\":\"" + new string('n', 256) + "\"}", Sender.Admin),
            ("port-put status boolean", HttpMethod.Put, "/v1/ports/port-a1", """{"status":true}""", Sender.Admin),
            ("port-put id mismatch", HttpMethod.Put, "/v1/ports/port-a1", """{"id":"port-other"}""", Sender.Admin),
            ("token role number", HttpMethod.Post, "/v1/tokens", """{"role":1}""", Sender.Admin),
            ("token duplicate key last bad", HttpMethod.Post, "/v1/tokens", """{"role":"admin","role":"root"}""", Sender.Admin),
            ("token expires_at number", HttpMethod.Post, "/v1/tokens", """{"role":"monitor","expires_at":1767225600}""", Sender.Admin),
            ("subscription filter list", HttpMethod.Post, "/v1/subscriptions", """{"callback_url":"http://127.0.0.1:9/x","filter":[]}""", Sender.Project),
            ("subscription filter string", HttpMethod.Post, "/v1/subscriptions", """{"callback_url":"http://127.0.0.1:9/x","filter":"all"}""", Sender.Project),
            ("subscription resource_ids object", HttpMethod.Post, "/v1/subscriptions", """{"callback_url":"http://127.0.0.1:9/x","filter":{"resource_ids":{"a":"b"}}}""", Sender.Project),
            ("subscription resource_ids numbers", HttpMethod.Post, "/v1/subscriptions", """{"callback_url":"http://127.0.0.1:9/x","filter":{"resource_ids":[1,2]}}""", Sender.Admin),
            ("subscription callback number", HttpMethod.Post, "/v1/subscriptions", """{"callback_url":80}""", Sender.Project),
            ("subscription secret number", HttpMethod.Post, "/v1/subscriptions", """{"callback_url":"http://127.0.0.1:9/x","secret":1234567890123456789}""", Sender.Project),
        ];
        foreach (var (name, method, path, body, sender) in shapes)
            add(name, method, path, B(body), sender, Bad);
    }

    private static void AddEvents(Adder add)
    {
        const string t = ValidTime;
        (string Name, string Body)[] events =
        [
            ("events not a list", "{\"events\":{\"time\":" + t + ",\"type\":\"a.b\"}}"),
            ("events list of strings", "{\"events\":[\"a\"]}"),
            ("events empty list", "{\"events\":[]}"),
            ("event null", "{\"event\":null}"),
            ("event list", "{\"event\":[{\"time\":" + t + ",\"type\":\"a.b\"}]}"),
            ("event type missing", "{\"time\":" + t + "}"),
            ("event type number", "{\"time\":" + t + ",\"type\":7}"),
            ("event id empty", "{\"id\":\"\",\"time\":" + t + ",\"type\":\"a.b\"}"),
            ("event id number", "{\"id\":7,\"time\":" + t + ",\"type\":\"a.b\"}"),
            ("event id 256", "{\"id\":\"" + new string('i', 256) + "\",\"time\":" + t + ",\"type\":\"a.b\"}"),
            ("event details list", "{\"time\":" + t + ",\"type\":\"a.b\",\"details\":[]}"),
            ("event details string", "{\"time\":" + t + ",\"type\":\"a.b\",\"details\":\"x\"}"),
            ("event details nested object", "{\"time\":" + t + ",\"type\":\"a.b\",\"details\":{\"x\":{\"y\":\"z\"}}}"),
            ("event details list value", "{\"time\":" + t + ",\"type\":\"a.b\",\"details\":{\"x\":[1]}}"),
            ("event details key empty", "{\"time\":" + t + ",\"type\":\"a.b\",\"details\":{\"\":\"v\"}}"),
            ("event details key 256", "{\"time\":" + t + ",\"type\":\"a.b\",\"details\":{\"" + new string('k', 256) + "\":\"v\"}}"),
            ("event details value over 4 KiB", "{\"time\":" + t + ",\"type\":\"a.b\",\"details\":{\"cause\":\"" + new string('c', 4097) + "\"}}"),
            ("event details value over 4 KiB in UTF-8", "{\"time\":" + t + ",\"type\":\"a.b\",\"details\":{\"cause\":\"" + string.Concat(Enumerable.Repeat("é", 2049)) + "\"}}"),
            ("event details hostname empty", "{\"time\":" + t + ",\"type\":\"compute.host.down\",\"details\":{\"hostname\":\"\"}}"),
            ("event details hostname number-like huge", "{\"time\":" + t + ",\"type\":\"compute.host.down\",\"details\":{\"hostname\":" + new string('9', 300) + "}}"),
            ("event details server_id control", "{\"time\":" + t + ",\"type\":\"compute.instance.down\",\"details\":{\"server_id\":\"vm\\u0000a1\"}}"),
            ("event related_to string", "{\"time\":" + t + ",\"type\":\"a.b\",\"details\":{\"related_to\":\"x\"}}"),
            ("event related_to numbers", "{\"time\":" + t + ",\"type\":\"a.b\",\"details\":{\"related_to\":[1]}}"),
            ("events 10001", "[" + string.Join(",", Enumerable.Repeat("{\"time\":" + t + ",\"type\":\"a.b\"}", 10_001)) + "]"),
            ("events last of many bad", "[" + string.Join(",", Enumerable.Repeat("{\"time\":" + t + ",\"type\":\"a.b\"}", 500)) + ",{\"time\":\"bad\",\"type\":\"a.b\"}]"),
            ("event duplicate type last bad", "{\"time\":" + t + ",\"type\":\"a.b\",\"type\":\"\"}"),
        ];
        foreach (var (name, body) in events)
            add(name, HttpMethod.Post, "/v1/events", B(body), Sender.Monitor, Bad);
    }

    private static void AddInventory(Adder add)
    {
        (string Name, string Path, string Body)[] documents =
        [
            ("inventory hosts object", "/v1/inventory", """{"hosts":{"name":"x"}}"""),
            ("inventory hosts of lists", "/v1/inventory", """{"hosts":[["x"]]}"""),
            ("inventory servers of numbers", "/v1/inventory", """{"servers":[1]}"""),
            ("inventory null item", "/v1/inventory", """{"hosts":[{"name":"fresh-host"},null]}"""),
            ("inventory one bad of many", "/v1/inventory", "{\"hosts\":[" + string.Join(",", Enumerable.Range(0, 200).Select(i => $"{{\"name\":\"fresh-{i}\"}}")) + ",{\"name\":\"\"}]}"),
            ("inventory bad server after good hosts", "/v1/inventory", """{"hosts":[{"name":"fresh-host"}],"servers":[{"id":"fresh-vm","state":"sideways"}]}"""),
            ("inventory bad port after good server", "/v1/inventory", """{"servers":[{"id":"fresh-vm"}],"ports":[{"id":"fresh-port","status":"UP"}]}"""),
            ("inventory duplicate host", "/v1/inventory", """{"hosts":[{"name":"fresh-host"},{"name":"fresh-host"}]}"""),
            ("inventory server without id", "/v1/inventory", """{"servers":[{"name":"nameless"}]}"""),
            ("inventory devices object", "/v1/inventory", """{"devices":{"id":"tor-fresh","kind":"switch"}}"""),
            ("inventory bad device after good hosts", "/v1/inventory", """{"hosts":[{"name":"fresh-host"}],"devices":[{"id":"tor-fresh","kind":"switch","feeds":["fresh-host","fresh-host"]}]}"""),
            ("inventory device without kind", "/v1/inventory", """{"hosts":[{"name":"fresh-host"}],"devices":[{"id":"tor-fresh"}]}"""),
            ("inventory duplicate device", "/v1/inventory", """{"devices":[{"id":"tor-fresh","kind":"switch"},{"id":"tor-fresh","kind":"pdu"}]}"""),
            ("inventory device id with a slash", "/v1/inventory", """{"devices":[{"id":"tor/1","kind":"switch"}]}"""),
            ("inventory device feeds itself", "/v1/inventory", """{"devices":[{"id":"tor-fresh","kind":"switch","feeds":["tor-fresh"]}]}"""),
            ("inventory replace with a bad device", "/v1/inventory?replace=true", """{"hosts":[{"name":"fresh-host"}],"devices":[{"id":"tor-fresh","kind":""}]}"""),
            ("inventory replace with a bad item", "/v1/inventory?replace=true", """{"hosts":[{"name":"fresh-host"},{"name":"a\u0000b"}]}"""),
            ("inventory replace=TRUE", "/v1/inventory?replace=TRUE", """{"hosts":[]}"""),
            // Found by the fuzz loop: a key that cannot be a path segment could be imported and never read or deleted again.
            ("inventory host name with a slash", "/v1/inventory", """{"hosts":[{"name":"fz/h2"}]}"""),
            ("inventory host name dot-dot", "/v1/inventory", """{"hosts":[{"name":".."}]}"""),
            ("inventory server id with a slash", "/v1/inventory", """{"servers":[{"id":"vm/1"}]}"""),
            ("inventory port id dot", "/v1/inventory", """{"ports":[{"id":"."}]}"""),
        ];
        foreach (var (name, path, body) in documents)
            add(name, HttpMethod.Post, path, B(body), Sender.Admin, Bad);
    }

    private static void AddSubscriptions(Adder add)
    {
        string[] callbacks =
        [
            "file:///etc/passwd", "ftp://127.0.0.1/x", "javascript:alert(1)", "/relative/path", "http://", "http:///x", "127.0.0.1:9/x",
            "http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/x", "http://[::ffff:169.254.169.254]/x", "http://0.0.0.0/x",
            "http://100.100.100.200/x", "http://user:pw@127.0.0.1:9/x", "http://exa mple.com/x", "http://127.0.0.1:99999/x",
            "http://" + new string('a', 2100) + ".com/", "http://2852039166/", "http://0xA9FEA9FE/", "http://0251.0376.0251.0376/", "gopher://127.0.0.1:70/_x", "http://\u0000/x", "http://[::1/x",
        ];
        foreach (var url in callbacks)
        {
            var json = System.Text.Json.JsonSerializer.Serialize(url);
            var shown = url.Length > 40 ? url[..40] + "…" : url.Replace("\0", "\\0", StringComparison.Ordinal);
            add($"subscription callback {shown}", HttpMethod.Post, "/v1/subscriptions", B("{\"callback_url\":" + json + "}"), Sender.Project, Bad);
        }

        add("subscription secret 15", HttpMethod.Post, "/v1/subscriptions", B("""{"callback_url":"http://127.0.0.1:9/x","secret":"fifteen-chars!!"}"""), Sender.Project, Bad);
        add("subscription secret 257", HttpMethod.Post, "/v1/subscriptions", B("{\"callback_url\":\"http://127.0.0.1:9/x\",\"secret\":\"" + new string('s', 257) + "\"}"), Sender.Project, Bad);
        add("subscription 1001 resource ids", HttpMethod.Post, "/v1/subscriptions",
            B("{\"callback_url\":\"http://127.0.0.1:9/x\",\"filter\":{\"fault_types\":[" + string.Join(",", Enumerable.Repeat("\"a\"", 1001)) + "]}}"), Sender.Admin, Bad);
        add("subscription foreign resource", HttpMethod.Post, "/v1/subscriptions",
            B("""{"callback_url":"http://127.0.0.1:9/x","filter":{"resource_ids":["vm-a1","vm-b1"]}}"""), Sender.Project, 404);
        add("subscription project-less resource", HttpMethod.Post, "/v1/subscriptions",
            B("""{"callback_url":"http://127.0.0.1:9/x","filter":{"resource_ids":["vm-x1"]}}"""), Sender.Project, 404);
        add("subscription host as resource", HttpMethod.Post, "/v1/subscriptions",
            B("""{"callback_url":"http://127.0.0.1:9/x","filter":{"resource_ids":["compute-zulu-1"]}}"""), Sender.Project, 404);
        add("subscription for another project", HttpMethod.Post, "/v1/subscriptions",
            B("""{"callback_url":"http://127.0.0.1:9/x","project_id":"proj-beta"}"""), Sender.Project, 403);
    }

    /// <summary>Maintenance sessions (SPEC §6): refused creations never start a session, and the project side is scoped.</summary>
    private static void AddMaintenance(Adder add)
    {
        (string Name, string Body)[] creations =
        [
            ("workflow vnf", """{"state":"MAINTENANCE","workflow":"vnf"}"""),
            ("state not MAINTENANCE", """{"state":"PLANNED_MAINTENANCE"}"""),
            ("maintenance_at words", """{"maintenance_at":"tomorrow"}"""),
            ("maintenance_at fenix without seconds", """{"maintenance_at":"2026-01-01 10:00"}"""),
            ("unknown host", """{"hosts":["compute-nowhere"]}"""),
            ("hosts not a list", """{"hosts":"compute-zulu-1"}"""),
            ("hosts null entry", """{"hosts":[null]}"""),
            ("metadata longer migration", """{"metadata":{"migration_seconds":5}}"""),
            ("metadata negative reply", """{"metadata":{"reply_seconds":"-1"}}"""),
            ("metadata NaN reply", """{"metadata":{"reply_seconds":"NaN"}}"""),
            ("metadata infinite host seconds", """{"metadata":{"host_maintenance_seconds":1e999}}"""),
            ("metadata nested", """{"metadata":{"a":{"b":"c"}}}"""),
            ("metadata array", """{"metadata":{"a":["b"]}}"""),
            ("metadata null", """{"metadata":{"a":null}}"""),
            ("metadata empty key", """{"metadata":{"":"x"}}"""),
        ];
        foreach (var (name, body) in creations)
            add($"maintenance create {name}", HttpMethod.Post, "/v1/maintenance", B(body), Sender.Admin, Bad);

        add("maintenance reply missing state", HttpMethod.Put, "/v1/maintenance/no-session/proj-alpha", B("{}"), Sender.Project, Bad);
        add("maintenance reply unknown session", HttpMethod.Put, "/v1/maintenance/no-session/proj-alpha", B("""{"state":"ACK_MAINTENANCE"}"""), Sender.Project, 404);
        add("maintenance reply foreign project", HttpMethod.Put, "/v1/maintenance/no-session/proj-beta", B("""{"state":"ACK_MAINTENANCE"}"""), Sender.Project, 404);
        add("maintenance get foreign project", HttpMethod.Get, "/v1/maintenance/no-session/proj-beta", null, Sender.Project, 404);
        add("maintenance list as project", HttpMethod.Get, "/v1/maintenance", null, Sender.Project, 403);
        add("maintenance create as project", HttpMethod.Post, "/v1/maintenance", B("""{"state":"MAINTENANCE"}"""), Sender.Project, 403);
        add("maintenance create as monitor", HttpMethod.Post, "/v1/maintenance", B("""{"state":"MAINTENANCE"}"""), Sender.Monitor, 403);
        add("maintenance get unknown", HttpMethod.Get, "/v1/maintenance/no-session", null, Sender.Admin, 404);
        add("maintenance detail unknown", HttpMethod.Get, "/v1/maintenance/no-session/detail", null, Sender.Admin, 404);
        add("maintenance continue unknown", HttpMethod.Put, "/v1/maintenance/no-session", B("{}"), Sender.Admin, 404);
        (string Path, string Body, Sender Sender, int Status)[] constraints =
        [
            ("/v1/instance/vm-a1", """{"lead_time":-1}""", Sender.Admin, Bad),
            ("/v1/instance/vm-a1", """{"lead_time":86401}""", Sender.Admin, Bad),
            ("/v1/instance/vm-a1", """{"lead_time":1.5}""", Sender.Admin, Bad),
            ("/v1/instance/vm-a1", """{"max_interruption_time":"5"}""", Sender.Admin, Bad),
            ("/v1/instance/vm-a1", """{"resource_mitigation":"yes"}""", Sender.Admin, Bad),
            ("/v1/instance/vm-a1", """{"instance_id":"vm-a2"}""", Sender.Admin, Bad),
            ("/v1/instance/vm-a1", """{"project_id":"proj-beta"}""", Sender.Admin, Bad), // not the server's project
            ("/v1/instance/vm-a1", """{"project_id":"proj-beta"}""", Sender.Project, Bad), // not the caller's project
            ("/v1/instance/vm-b1", """{"lead_time":1}""", Sender.Project, 404), // another project's server
            ("/v1/instance_group/grp-alpha", """{"max_instances_per_host":0}""", Sender.Admin, Bad),
            ("/v1/instance_group/grp-alpha", """{"max_impacted_members":-1}""", Sender.Admin, Bad),
            ("/v1/instance_group/grp-alpha", """{"recovery_time":-5}""", Sender.Admin, Bad),
            ("/v1/instance_group/grp-alpha", """{"anti_affinity_group":"false"}""", Sender.Admin, Bad),
            ("/v1/instance_group/grp-alpha", """{"group_id":"grp-other"}""", Sender.Project, Bad),
        ];
        foreach (var (path, body, sender, status) in constraints)
            add($"constraint {path} {body} as {sender}", HttpMethod.Put, path, B(body), sender, status);
        add("constraint get unknown instance", HttpMethod.Get, "/v1/instance/vm-a1", null, Sender.Project, 404);
        add("constraint delete unknown group", HttpMethod.Delete, "/v1/instance_group/grp-alpha", null, Sender.Admin, 404);
        add("constraint as monitor", HttpMethod.Put, "/v1/instance_group/grp-alpha", B("{}"), Sender.Monitor, 403);
        add("maintenance delete unknown", HttpMethod.Delete, "/v1/maintenance/no-session", null, Sender.Admin, 404);
    }

    private static void AddSilences(Adder add)
    {
        const string ends = "\"ends_at\":" + FutureTime;
        (string Name, string Body)[] silences =
        [
            ("silence matchers missing", "{" + ends + "}"),
            ("silence matchers null", "{\"matchers\":null," + ends + "}"),
            ("silence matchers empty", "{\"matchers\":{}," + ends + "}"),
            ("silence matchers list", "{\"matchers\":[\"compute-zulu-1\"]," + ends + "}"),
            ("silence matchers string", "{\"matchers\":\"compute-zulu-1\"," + ends + "}"),
            ("silence matcher unknown key", "{\"matchers\":{\"host\":\"compute-zulu-1\"}," + ends + "}"),
            ("silence matcher upper-case key", "{\"matchers\":{\"HOSTNAME\":\"compute-zulu-1\"}," + ends + "}"),
            ("silence matcher empty key", "{\"matchers\":{\"\":\"compute-zulu-1\"}," + ends + "}"),
            ("silence matcher null value", "{\"matchers\":{\"device_id\":null}," + ends + "}"),
            ("silence matcher object value", "{\"matchers\":{\"resource_id\":{\"a\":\"b\"}}," + ends + "}"),
            ("silence matcher duplicate key last bad", "{\"matchers\":{\"hostname\":\"compute-zulu-1\",\"hostname\":\"\"}," + ends + "}"),
            ("silence ends_at missing", "{\"matchers\":{\"hostname\":\"compute-zulu-1\"}}"),
            ("silence ends_at null", "{\"matchers\":{\"hostname\":\"compute-zulu-1\"},\"ends_at\":null}"),
            ("silence ends_at number", "{\"matchers\":{\"hostname\":\"compute-zulu-1\"},\"ends_at\":4070908800}"),
            ("silence ends_at in the past", "{\"matchers\":{\"hostname\":\"compute-zulu-1\"},\"ends_at\":\"2001-01-01T00:00:00Z\"}"),
            ("silence ends_at before starts_at", "{\"matchers\":{\"hostname\":\"compute-zulu-1\"},\"starts_at\":\"2099-06-01T00:00:00Z\"," + ends + "}"),
            ("silence ends_at equals starts_at", "{\"matchers\":{\"hostname\":\"compute-zulu-1\"},\"starts_at\":" + FutureTime + "," + ends + "}"),
            ("silence starts_at list", "{\"matchers\":{\"hostname\":\"compute-zulu-1\"},\"starts_at\":[]," + ends + "}"),
            ("silence comment 1025", "{\"matchers\":{\"hostname\":\"compute-zulu-1\"}," + ends + ",\"comment\":\"" + new string('c', 1025) + "\"}"),
            ("silence comment control", "{\"matchers\":{\"hostname\":\"compute-zulu-1\"}," + ends + ",\"comment\":\"a\\u0000b\"}"),
            ("silence comment lone surrogate", "{\"matchers\":{\"hostname\":\"compute-zulu-1\"}," + ends + ",\"comment\":\"a\\ud800\"}"),
            ("silence comment number", "{\"matchers\":{\"hostname\":\"compute-zulu-1\"}," + ends + ",\"comment\":7}"),
        ];
        foreach (var (name, body) in silences)
            add(name, HttpMethod.Post, "/v1/silences", B(body), Sender.Admin, Bad);

        var valid = B("{\"matchers\":{\"hostname\":\"compute-zulu-1\"}," + ends + "}");
        add("POST silence as project", HttpMethod.Post, "/v1/silences", valid, Sender.Project, 403);
        add("POST silence as monitor", HttpMethod.Post, "/v1/silences", valid, Sender.Monitor, 403);
        add("POST silence without token", HttpMethod.Post, "/v1/silences", valid, Sender.None, 401);
        add("GET silences as project", HttpMethod.Get, "/v1/silences", null, Sender.Project, 403);
        add("GET silences state bogus", HttpMethod.Get, "/v1/silences?state=bogus", null, Sender.Admin, Bad);
        add("GET silences state upper-case", HttpMethod.Get, "/v1/silences?state=ACTIVE", null, Sender.Admin, Bad);
        add("GET unknown silence", HttpMethod.Get, "/v1/silences/no-such-silence", null, Sender.Admin, 404);
        add("DELETE unknown silence", HttpMethod.Delete, "/v1/silences/no-such-silence", null, Sender.Admin, 404);
        add("DELETE silence control id", HttpMethod.Delete, "/v1/silences/%01", null, Sender.Admin, 404);
        add("DELETE silence as project", HttpMethod.Delete, "/v1/silences/{silence}", null, Sender.Project, 403);
        add("DELETE silence as monitor", HttpMethod.Delete, "/v1/silences/{silence}", null, Sender.Monitor, 403);
    }

    /// <summary>
    /// Path ids. An encoded NUL (%00) is not here: the server layer refuses such a path before any endpoint runs
    /// (TestServer throws while building the request, Kestrel answers 400), so the in-process suite cannot send it.
    /// Invalid UTF-8 (%FF) is not here either: ASP.NET Core keeps such a sequence undecoded, as text ("%FF").
    /// </summary>
    private static void AddPathsAndCredentials(Adder add)
    {
        var host = B("""{"zone":"zone-a"}""");
        add("PUT host name SOH", HttpMethod.Put, "/v1/hosts/a%01b", host, Sender.Admin, Bad);
        add("PUT host name newline", HttpMethod.Put, "/v1/hosts/a%0Ab", host, Sender.Admin, Bad);
        add("PUT host name 256", HttpMethod.Put, "/v1/hosts/" + new string('h', 256), host, Sender.Admin, Bad);
        add("PUT device id SOH", HttpMethod.Put, "/v1/devices/a%01b", B("""{"kind":"switch"}"""), Sender.Admin, Bad);
        add("PUT device id 256", HttpMethod.Put, "/v1/devices/" + new string('d', 256), B("""{"kind":"switch"}"""), Sender.Admin, Bad);
        add("PUT device as project", HttpMethod.Put, "/v1/devices/tor-zulu-1", B("""{"kind":"switch"}"""), Sender.Project, 403);
        add("PUT device as monitor", HttpMethod.Put, "/v1/devices/tor-zulu-1", B("""{"kind":"switch"}"""), Sender.Monitor, 403);
        add("GET devices as project", HttpMethod.Get, "/v1/devices", null, Sender.Project, 403);
        add("GET device as monitor", HttpMethod.Get, "/v1/devices/tor-zulu-1", null, Sender.Monitor, 403);
        add("DELETE device as project", HttpMethod.Delete, "/v1/devices/tor-zulu-1", null, Sender.Project, 403);
        add("DELETE unknown device", HttpMethod.Delete, "/v1/devices/no-such-device", null, Sender.Admin, 404);
        add("GET unknown device", HttpMethod.Get, "/v1/devices/no-such-device", null, Sender.Admin, 404);
        add("PUT server id DEL", HttpMethod.Put, "/v1/servers/vm%7F", B("{}"), Sender.Admin, Bad);
        add("PUT server id 256", HttpMethod.Put, "/v1/servers/" + new string('s', 256), B("{}"), Sender.Admin, Bad);
        add("PUT port id SOH", HttpMethod.Put, "/v1/ports/p%01", B("{}"), Sender.Admin, Bad);
        add("PUT server as project", HttpMethod.Put, "/v1/servers/vm-a1", B("""{"project_id":"proj-alpha"}"""), Sender.Project, 403);
        add("PUT server as monitor", HttpMethod.Put, "/v1/servers/vm-a1", B("{}"), Sender.Monitor, 403);
        add("POST events as project", HttpMethod.Post, "/v1/events", B("{\"time\":" + ValidTime + ",\"type\":\"compute.host.down\",\"details\":{\"hostname\":\"compute-zulu-1\"}}"), Sender.Project, 403);
        add("POST events without token", HttpMethod.Post, "/v1/events", B("{\"time\":" + ValidTime + ",\"type\":\"a.b\"}"), Sender.None, 401);
        add("POST tokens as project", HttpMethod.Post, "/v1/tokens", B("""{"role":"admin"}"""), Sender.Project, 403);
        add("POST host state unknown host", HttpMethod.Post, "/v1/hosts/no-such-host/state", B("""{"forced_down":true}"""), Sender.Admin, 404);
        add("POST host state control host", HttpMethod.Post, "/v1/hosts/a%01/state", B("""{"forced_down":true}"""), Sender.Admin, 404);
        add("DELETE host with servers", HttpMethod.Delete, "/v1/hosts/compute-zulu-1", null, Sender.Admin, 409);
        add("DELETE unknown host", HttpMethod.Delete, "/v1/hosts/no-such-host", null, Sender.Admin, 404);
        add("DELETE unknown token", HttpMethod.Delete, "/v1/tokens/no-such-token", null, Sender.Admin, 404);
        add("DELETE token control", HttpMethod.Delete, "/v1/tokens/%01", null, Sender.Admin, 404);
        add("DELETE server as project", HttpMethod.Delete, "/v1/servers/vm-a1", null, Sender.Project, 403);
        add("DELETE other project's subscription", HttpMethod.Delete, "/v1/subscriptions/{beta-subscription}", null, Sender.Project, 404);
        add("GET other project's server", HttpMethod.Get, "/v1/servers/vm-b1", null, Sender.Project, 404);
        add("GET project-less server as project", HttpMethod.Get, "/v1/servers/vm-x1", null, Sender.Project, 404);
        add("GET other project's port", HttpMethod.Get, "/v1/ports/port-b1", null, Sender.Project, 404);
        add("GET host as project", HttpMethod.Get, "/v1/hosts/compute-zulu-1", null, Sender.Project, 403);
        add("GET fault id traversal", HttpMethod.Get, "/v1/faults/..%2F..%2Fetc%2Fpasswd", null, Sender.Admin, 404);
        add("GET fault timeline as project", HttpMethod.Get, "/v1/faults/{fault}/timeline", null, Sender.Project, 403);
        add("GET event id control", HttpMethod.Get, "/v1/events/%01", null, Sender.Admin, 404);
        add("GET event id 5000", HttpMethod.Get, "/v1/events/" + new string('e', 5000), null, Sender.Admin, 404);
        add("GET deliveries of other project", HttpMethod.Get, "/v1/subscriptions/{beta-subscription}/deliveries", null, Sender.Project, 404);
        add("POST redeliver unknown", HttpMethod.Post, "/v1/subscriptions/{subscription}/deliveries/no-such/redeliver", null, Sender.Admin, 404);
        add("POST redeliver other project", HttpMethod.Post, "/v1/subscriptions/{beta-subscription}/deliveries/x/redeliver", null, Sender.Project, 404);
        add("GET unknown path", HttpMethod.Get, "/v1/nothing-here", null, Sender.Admin, 404);
        // OpenStack mode's status (admin only; this suite's service runs the embedded controller, where it is 404).
        add("GET openstack as project", HttpMethod.Get, "/v1/openstack", null, Sender.Project, 403);
        add("GET openstack as monitor", HttpMethod.Get, "/v1/openstack", null, Sender.Monitor, 403);
        add("GET openstack without token", HttpMethod.Get, "/v1/openstack", null, Sender.None, 401);
        add("GET openstack in embedded mode", HttpMethod.Get, "/v1/openstack", null, Sender.Admin, 404);
        add("POST openstack", HttpMethod.Post, "/v1/openstack", B("{}"), Sender.Admin, 405);
        add("DELETE openstack", HttpMethod.Delete, "/v1/openstack", null, Sender.Admin, 405);
        add("GET openstack sub-path", HttpMethod.Get, "/v1/openstack/actions", null, Sender.Admin, 404);
        add("DELETE inventory", HttpMethod.Delete, "/v1/inventory", null, Sender.Admin, 405);
        add("PATCH host", HttpMethod.Patch, "/v1/hosts/compute-zulu-1", host, Sender.Admin, 405);

        (string Name, string Header, string Value)[] credentials =
        [
            ("bearer empty", "Authorization", "Bearer "), ("bearer unknown", "Authorization", "Bearer dr_not-a-token"),
            ("bearer 10 KB", "Authorization", "Bearer " + new string('t', 10_000)), ("basic scheme", "Authorization", "Basic YWRtaW46YWRtaW4="),
            ("bearer admin token with suffix", "Authorization", "Bearer " + Infrastructure.DoctorHost.AdminToken + "x"),
            ("x-auth-token unknown", "X-Auth-Token", "dr_not-a-token"), ("x-auth-token 600", "X-Auth-Token", new string('t', 600)),
            ("x-auth-token non-ASCII", "X-Auth-Token", "tökén"),
        ];
        foreach (var (name, header, value) in credentials)
            add($"credentials {name}", HttpMethod.Get, "/v1/servers", null, Sender.None, 401, headers: [(header, value)]);
    }

    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Fill(string template, byte[] value)
    {
        var cut = template.IndexOf("$V", StringComparison.Ordinal);
        return [.. B(template[..cut]), .. value, .. B(template[(cut + 2)..])];
    }
}
