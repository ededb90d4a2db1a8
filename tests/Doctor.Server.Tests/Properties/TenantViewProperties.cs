using System.Text;
using System.Text.Json;
using Doctor.Inventory;
using Doctor.Notification;
using Doctor.Server.Tests.Infrastructure;
using Doctor.Testing.Properties;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;

namespace Doctor.Server.Tests.Properties;

/// <summary>
/// Property tests through the in-process API: random clouds imported, random subscriptions made by projects and admins,
/// random fault/recovery sequences posted as a monitor and as an admin. Every tenant-visible answer (subscribe
/// response, fault query and fault reads, server and port lists and reads, webhook notifications) shows only the
/// caller's own resources, never a host name, a project-less resource or raw event details; every subscription an
/// event affects receives exactly one notification for it. All cases share one service (names are prefixed per case),
/// so the state each case starts from holds everything the earlier cases left.
/// </summary>
public sealed class TenantViewProperties(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>Cases per run: each imports a cloud and makes ~100–200 requests; about 0.1 s a case on two cores.</summary>
    public const int Cases = 80;

    private DoctorHost? _doctor;
    private WebhookReceiver? _receiver;
    private int _case;
    private int _requests;
    private int _notifications;

    private DoctorHost Doctor => _doctor!;
    private WebhookReceiver Receiver => _receiver!;

    public async Task InitializeAsync()
    {
        _doctor = await DoctorHost.StartAsync(configure: NoRateLimits);
        _receiver = await WebhookReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_doctor is not null)
            await _doctor.DisposeAsync();
        if (_receiver is not null)
            await _receiver.DisposeAsync();
    }

    [Fact]
    public void TenantAnswersAndNotifications_ShowOnlyTheTenantsOwnResources()
    {
        var seed = PropertySeed.FromEnvironment();
        output.WriteLine($"property seed {seed} ({PropertySeed.Variable} replays it), {Cases} cases");
        // The case body is asynchronous; it runs on the pool so that blocking here cannot deadlock on a captured context.
        var property = Prop.ForAll(Arb.From(CloudScenario.Generator()), scenario =>
        {
            var n = Interlocked.Increment(ref _case);
            Task.Run(() => RunAsync(scenario.Prefixed($"c{n}-"), inBulk: n % 2 == 0)).GetAwaiter().GetResult();
        });
        Check.One(PropertySeed.Config(seed, Cases), property);
        output.WriteLine($"{_requests} tenant answers and {_notifications} tenant notifications checked");
    }

    private async Task RunAsync(CloudScenario scenario, bool inBulk)
    {
        await Doctor.ImportAsync(Inventory(scenario));
        var tokens = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var project in scenario.Projects)
            tokens[project] = await Doctor.CreateTokenAsync("project", project);

        // Subscriptions: a project's with its own token, a global one as admin; some project ones are made by an admin.
        var subscriptionIds = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < scenario.Subscriptions.Count; i++)
        {
            var spec = scenario.Subscriptions[i];
            var byAdmin = spec.Project is null || i % 3 == 2;
            var body = new Dictionary<string, object?> { ["callback_url"] = Receiver.Url(spec.Id) };
            if (byAdmin && spec.Project is not null)
                body["project_id"] = spec.Project;
            if (spec.Filter is { } f)
            {
                body["filter"] = new Dictionary<string, object?>
                {
                    ["resource_types"] = f.ResourceTypes, ["resource_ids"] = f.ResourceIds, ["fault_types"] = f.FaultTypes,
                    ["min_severity"] = f.MinSeverity, ["notification_types"] = f.NotificationTypes,
                };
            }

            var response = await Doctor.PostAsync("/v1/subscriptions", body, byAdmin ? DoctorHost.AdminToken : tokens[spec.Project!]);
            var created = await DoctorHost.JsonAsync(response, 201);
            subscriptionIds[spec.Id] = created.GetProperty("subscription_id").GetString()!;
            if (spec.Project is { } owner)
                AssertSubscribeResponse(scenario, spec, owner, created);
        }

        // The events, in order. Every other case sends each run of monitor events as one bulk body, so the engine applies
        // them in one batch; the log keeps their order, so the model's sequential view still holds.
        var model = new ScenarioModel(scenario);
        var expected = scenario.Subscriptions.ToDictionary(s => s.Id, _ => new List<string?>(), StringComparer.Ordinal);
        var bulk = new List<Dictionary<string, object>>();
        for (var i = 0; i < scenario.Steps.Count; i++)
        {
            var step = scenario.Steps[i];
            string? eventId = null;
            if (step.IsAdmin)
            {
                await FlushAsync(bulk);
                await ApplyAdminAsync(scenario, step);
            }
            else
            {
                var e = MonitorEvent(scenario, step, i);
                eventId = (string)e["id"];
                bulk.Add(e);
                if (!inBulk)
                    await FlushAsync(bulk);
            }

            if (model.Apply(step) is not { } notice)
                continue;
            foreach (var spec in scenario.Subscriptions)
            {
                if (ScenarioModel.For(spec, notice).Count > 0)
                    expected[spec.Id].Add(eventId is null ? null : NotificationIds.For(eventId, subscriptionIds[spec.Id], notice.Type));
            }
        }

        await FlushAsync(bulk);
        foreach (var project in scenario.Projects)
            await AssertTenantAnswersAsync(scenario, project, tokens[project]);
        foreach (var spec in scenario.Subscriptions)
            await AssertNotificationsAsync(scenario, spec, expected[spec.Id]);
    }

    /// <summary>The admin's StateChangeRequest; it answers once the engine has applied it.</summary>
    private async Task ApplyAdminAsync(CloudScenario scenario, StepSpec step)
    {
        object body = step.Kind == StepKind.Disable
            ? new { status = "disabled", reason = "raw-reason: replacing a DIMM" }
            : new { forced_down = step.Kind == StepKind.ForceDown, reason = "raw-reason: replacing a DIMM" };
        var response = await Doctor.PostAsync($"/v1/hosts/{Uri.EscapeDataString(step.Target)}/state", body);
        var known = scenario.Hosts.Any(h => h.Name == step.Target);
        await DoctorHost.JsonAsync(response, known ? 200 : 404);
    }

    /// <summary>A monitor's event for <paramref name="step"/>, its raw details carrying the leak marker.</summary>
    private static Dictionary<string, object> MonitorEvent(CloudScenario scenario, StepSpec step, int index) => new()
    {
        ["id"] = $"{scenario.Prefix}raw-evt-{index + 1}", ["time"] = DoctorHost.Now(), ["type"] = step.EventType,
        ["details"] = new Dictionary<string, string> { [step.TargetDetail] = step.Target, ["source"] = "raw-src-ipmi-7", ["cause"] = "raw-cause: PSU2 lost" },
    };

    /// <summary>Posts the pending monitor events as one body and waits until the last is applied (the engine keeps log order).</summary>
    private async Task FlushAsync(List<Dictionary<string, object>> pending)
    {
        if (pending.Count == 0)
            return;
        await Doctor.PostEventsAsync(pending.Count == 1 ? pending[0] : new { events = pending });
        await Doctor.WaitForEventAsync((string)pending[^1]["id"]);
        pending.Clear();
    }

    /// <summary>The subscribe response of a project's subscription: exactly the project's servers and ports its filter names.</summary>
    private void AssertSubscribeResponse(CloudScenario scenario, SubscriptionSpec spec, string project, JsonElement created)
    {
        var context = $"subscribe response of {spec.Id}";
        AssertClean(created.GetRawText(), context);
        Assert.Equal(project, created.GetProperty("project_id").GetString());
        var f = spec.Filter;
        bool Wants(string type, string id) => (f?.ResourceTypes is not { } types || types.Contains(type)) && (f?.ResourceIds is not { } ids || ids.Contains(id));
        var want = scenario.Servers.Where(s => s.Project == project && Wants("server", s.Id)).Select(s => "server " + s.Id)
            .Concat(scenario.Ports.Where(p => p.Project == project && Wants("port", p.Id)).Select(p => "port " + p.Id))
            .Order(StringComparer.Ordinal).ToList();
        var got = new List<string>();
        foreach (var resource in created.GetProperty("resources").EnumerateArray())
        {
            AssertOwnResource(scenario, project, resource, "resource_id", "resource_type", context);
            got.Add($"{resource.GetProperty("resource_type").GetString()} {resource.GetProperty("resource_id").GetString()}");
        }

        Assert.True(want.SequenceEqual(got.Order(StringComparer.Ordinal)), $"{context}: expected [{string.Join(", ", want)}] got [{string.Join(", ", got)}]");
    }

    /// <summary>Every read a project token can make: fault query and reads, server and port lists and reads.</summary>
    private async Task AssertTenantAnswersAsync(CloudScenario scenario, string project, string token)
    {
        var context = $"{project}'s view";
        var faults = await ListAsync("/v1/faults?state=all", "faults", token, context);
        var visible = faults.Select(f => f.GetProperty("fault_id").GetString()!).ToHashSet(StringComparer.Ordinal);
        foreach (var fault in faults)
        {
            AssertOwnResource(scenario, project, fault, "resource_id", "resource_type", context);
            Assert.Equal(project, fault.GetProperty("project_id").GetString());
            Assert.False(fault.TryGetProperty("event_id", out _), $"{context}: event_id in a tenant's fault");
            Assert.Empty(fault.GetProperty("details").EnumerateObject());
            foreach (var id in fault.GetProperty("correlated_fault_ids").EnumerateArray())
                Assert.Contains(id.GetString()!, visible);
        }

        // Every fault of this case, read by id: the project's own answer 200, every other 404 (never 403: it does not exist for them).
        var all = (await ListAsync("/v1/faults?state=all", "faults", DoctorHost.AdminToken, null))
            .Where(f => f.GetProperty("resource_id").GetString()!.StartsWith(scenario.Prefix, StringComparison.Ordinal)).ToList();
        foreach (var fault in all)
        {
            var id = fault.GetProperty("fault_id").GetString()!;
            var own = fault.GetProperty("project_id").GetString() == project && fault.GetProperty("resource_type").GetString() is "server" or "port";
            var response = await Doctor.GetAsync($"/v1/faults/{id}", token);
            Assert.True((int)response.StatusCode == (own ? 200 : 404), $"{context}: GET fault {id} answered {(int)response.StatusCode}");
            if (own)
                AssertOwnResource(scenario, project, await DoctorHost.JsonAsync(response, 200), "resource_id", "resource_type", context);
            _requests++;
        }

        foreach (var server in await ListAsync("/v1/servers", "servers", token, context))
            AssertOwnResource(scenario, project, server, "id", null, context, "server");
        foreach (var port in await ListAsync("/v1/ports", "ports", token, context))
            AssertOwnResource(scenario, project, port, "id", null, context, "port");
        foreach (var other in scenario.Projects.Where(p => p != project))
            Assert.Empty(await ListAsync($"/v1/servers?project_id={other}", "servers", token, context));

        foreach (var (path, id, owner, type) in scenario.Servers.Select(s => ("servers", s.Id, s.Project, "server"))
                     .Concat(scenario.Ports.Select(p => ("ports", p.Id, p.Project, "port"))))
        {
            var response = await Doctor.GetAsync($"/v1/{path}/{Uri.EscapeDataString(id)}", token);
            var mine = owner == project;
            Assert.True((int)response.StatusCode == (mine ? 200 : 404), $"{context}: GET {type} {id} of {owner ?? "no project"} answered {(int)response.StatusCode}");
            if (mine)
                AssertOwnResource(scenario, project, await DoctorHost.JsonAsync(response, 200), "id", null, context, type);
            else
                AssertClean(await response.Content.ReadAsStringAsync(), context);
            _requests++;
        }
    }

    /// <summary>Waits for the notifications the model expects for <paramref name="spec"/>, then checks their number and content.</summary>
    private async Task AssertNotificationsAsync(CloudScenario scenario, SubscriptionSpec spec, List<string?> expected)
    {
        var calls = expected.Count == 0 ? Receiver.CallsTo(spec.Id) : await Receiver.WaitForAsync(spec.Id, expected.Count);
        var ids = calls.Select(c => c.Header("X-Doctor-Notification-Id")).ToList();
        Assert.True(ids.Distinct().Count() == expected.Count,
            $"{spec.Id}: expected {expected.Count} notifications, got {ids.Distinct().Count()} ({string.Join(", ", calls.Select(c => c.Text))})");
        foreach (var id in expected.OfType<string>())
            Assert.Contains(id, ids);
        if (spec.Project is not { } project)
            return;
        foreach (var call in calls)
        {
            var context = $"notification to {spec.Id}";
            AssertClean(call.Text, context);
            var body = call.Json;
            Assert.Equal(project, body.GetProperty("project_id").GetString());
            foreach (var resource in body.GetProperty("resources").EnumerateArray())
            {
                AssertOwnResource(scenario, project, resource, "resource_id", "resource_type", context);
                foreach (var fault in resource.GetProperty("faults").EnumerateArray())
                    Assert.Empty(fault.GetProperty("details").EnumerateObject());
            }

            _notifications++;
        }
    }

    /// <summary>All pages of a list; a tenant's (with a <paramref name="context"/>) each checked for leaks.</summary>
    private async Task<List<JsonElement>> ListAsync(string path, string plural, string token, string? context)
    {
        var items = new List<JsonElement>();
        string? marker = null;
        do
        {
            var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
            var limit = context is null ? 1000 : 7; // small pages for tenants, so that paging is checked too
            var response = await Doctor.GetAsync(marker is null ? $"{path}{separator}limit={limit}" : $"{path}{separator}limit={limit}&marker={Uri.EscapeDataString(marker)}", token);
            var page = await DoctorHost.JsonAsync(response, 200);
            items.AddRange(page.GetProperty(plural).EnumerateArray());
            marker = page.GetProperty("next").ValueKind == JsonValueKind.Null ? null : page.GetProperty("next").GetString();
            if (context is null)
                continue;
            AssertClean(page.GetRawText(), context);
            _requests++;
        }
        while (marker is not null);

        return items;
    }

    /// <summary>A tenant's resource: of this case, owned by the project, virtual, with host_id and without host.</summary>
    private static void AssertOwnResource(
        CloudScenario scenario, string project, JsonElement resource, string idField, string? typeField, string context, string? fixedType = null)
    {
        var id = resource.GetProperty(idField).GetString()!;
        var type = fixedType ?? resource.GetProperty(typeField!).GetString();
        Assert.True(type is "server" or "port", $"{context}: a {type} ({id}) shown to a tenant");
        Assert.True(scenario.Exists(id), $"{context}: {id} is not a resource of this case (another case's project leaked)");
        Assert.True(scenario.OwnerOf(id) == project, $"{context}: {id} of {scenario.OwnerOf(id) ?? "no project"} shown to {project}");
        Assert.False(resource.TryGetProperty("host", out _), $"{context}: host field shown to a tenant");
        var host = type == "server" ? scenario.Servers.First(s => s.Id == id).Host : scenario.Ports.First(p => p.Id == id).Host;
        var hostId = resource.GetProperty("host_id");
        Assert.Equal(HostIdentity.For(project, host), hostId.ValueKind == JsonValueKind.Null ? null : hostId.GetString());
    }

    private static void AssertClean(string text, string context)
    {
        Assert.False(text.Contains(CloudScenario.HostMarker, StringComparison.Ordinal), $"{context}: a host name leaked: {text}");
        Assert.False(text.Contains(CloudScenario.RawMarker, StringComparison.Ordinal), $"{context}: raw event data leaked: {text}");
    }

    private static string Inventory(CloudScenario scenario) => JsonSerializer.Serialize(new
    {
        hosts = scenario.Hosts.Select(h => new { name = h.Name, zone = "zone-a", status = "enabled", state = "up" }),
        servers = scenario.Servers.Select(s => new { id = s.Id, name = s.Id + "-name", project_id = s.Project, host = s.Host, state = s.State }),
        ports = scenario.Ports.Select(p => new
        {
            id = p.Id, server_id = p.ServerId, project_id = p.Project, host = p.Host, network_id = "net-1", status = "ACTIVE", data_plane_status = p.DataPlane,
        }),
    });

    /// <summary>These checks drive thousands of requests a second through one token; they test input handling and
    /// isolation, not throttling (Throttling/RateLimitTests covers the limiter).</summary>
    private static void NoRateLimits(Doctor.Server.Hosting.DoctorServerOptions options) => options.RateLimits.Enabled = false;
}
