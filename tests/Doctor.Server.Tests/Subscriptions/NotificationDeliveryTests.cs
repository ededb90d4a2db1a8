using Doctor.Testing;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Doctor.Server.Tests.Infrastructure;

namespace Doctor.Server.Tests.Subscriptions;

/// <summary>
/// End to end in one process (SPEC §5): subscriptions point at a real HTTP consumer; a monitor's event turns into
/// exactly one notification per subscription carrying that owner's resources only.
/// </summary>
public sealed class NotificationDeliveryTests : ApiTest
{
    private const string AlphaSecret = "alpha-shared-secret-0123456789";

    private WebhookReceiver? _receiver;

    /// <summary>The consumer every subscription of these tests points at (one path per subscription).</summary>
    private WebhookReceiver Receiver => _receiver ?? throw new InvalidOperationException("the receiver is not started");

    public override async Task InitializeAsync()
    {
        _receiver = await WebhookReceiver.StartAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_receiver is not null)
            await _receiver.DisposeAsync();
    }

    private async Task<string> SubscribeAsync(string token, string path, object? extra = null)
    {
        var body = new Dictionary<string, object?> { ["callback_url"] = Receiver.Url(path) };
        if (extra is not null)
        {
            foreach (var property in JsonSerializer.SerializeToElement(extra).EnumerateObject())
                body[property.Name] = property.Value;
        }

        var created = await DoctorHost.JsonAsync(await Doctor.PostAsync("/v1/subscriptions", body, token), 201);
        return created.GetProperty("subscription_id").GetString()!;
    }

    private async Task<List<JsonElement>> DeliveredAsync(string subscriptionId, int count)
    {
        List<JsonElement> deliveries = [];
        await Eventually.TrueAsync(async () =>
        {
            deliveries = [.. (await Doctor.GetJsonAsync($"/v1/subscriptions/{subscriptionId}/deliveries")).GetProperty("deliveries").EnumerateArray()];
            return deliveries.Count >= count && deliveries.All(d => d.GetProperty("state").GetString() == "delivered");
        }, $"{count} delivered notification(s) for {subscriptionId}");
        return deliveries;
    }

    private static IReadOnlyList<string> ResourceIds(JsonElement notification) =>
        [.. notification.GetProperty("resources").EnumerateArray().Select(r => r.GetProperty("resource_id").GetString()!).Order(StringComparer.Ordinal)];

    private static string Hmac(string secret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    [Fact]
    public async Task HostDown_NotifiesEachProjectOnceWithOnlyItsResources()
    {
        await SeedCloudAsync();
        var alphaToken = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        var betaToken = await Doctor.CreateTokenAsync("project", Cloud.Beta);
        var alphaSub = await SubscribeAsync(alphaToken, "alpha", new { secret = AlphaSecret });
        var betaSub = await SubscribeAsync(betaToken, "beta");

        var down = await Doctor.PostEventsAsync(new
        {
            id = "evt-host-down", time = DoctorHost.Now(), type = "compute.host.down",
            details = new { hostname = Cloud.Host1, source = "ipmi-monitor", cause = "bmc: chassis power off" },
        });
        Assert.Equal("evt-host-down", down.GetProperty("event_ids")[0].GetString());

        var alphaCall = Assert.Single(await Receiver.WaitForAsync("alpha", 1));
        var betaCall = Assert.Single(await Receiver.WaitForAsync("beta", 1));
        var alphaDeliveries = await DeliveredAsync(alphaSub, 1);
        await DeliveredAsync(betaSub, 1);
        Assert.Single(Receiver.CallsTo("alpha")); // exactly one each, after both are done
        Assert.Single(Receiver.CallsTo("beta"));

        // Alpha: both of its VMs on the dead host and their ports, nothing on the other host, nothing of beta's.
        var alpha = alphaCall.Json;
        Assert.Equal("fault", alpha.GetProperty("notification_type").GetString());
        Assert.Equal(alphaSub, alpha.GetProperty("subscription_id").GetString());
        Assert.Equal(Cloud.Alpha, alpha.GetProperty("project_id").GetString());
        Assert.EndsWith("Z", alpha.GetProperty("generated_at").GetString());
        Assert.Equal(["port-a1", "port-a2", "vm-a1", "vm-a2"], ResourceIds(alpha));
        Assert.DoesNotContain("compute-zulu", alphaCall.Text);
        Assert.DoesNotContain("ipmi-monitor", alphaCall.Text);
        Assert.DoesNotContain("chassis", alphaCall.Text);
        foreach (var resource in alpha.GetProperty("resources").EnumerateArray())
        {
            var isServer = resource.GetProperty("resource_type").GetString() == "server";
            Assert.Equal(isServer ? "error" : "DOWN", resource.GetProperty("state").GetString());
            Assert.Equal("DOWN", resource.GetProperty("host_status").GetString());
            Assert.Equal(Cloud.AlphaHost1Id, resource.GetProperty("host_id").GetString());
            Assert.False(resource.TryGetProperty("host", out _));
            var fault = Assert.Single(resource.GetProperty("faults").EnumerateArray());
            Assert.Equal("compute.host.down", fault.GetProperty("fault_type").GetString());
            Assert.Equal("critical", fault.GetProperty("severity").GetString());
            Assert.False(fault.GetProperty("is_root_cause").GetBoolean());
            Assert.Equal(JsonValueKind.Null, fault.GetProperty("cleared_at").ValueKind);
            Assert.False(string.IsNullOrEmpty(fault.GetProperty("probable_cause").GetString()));
            Assert.Empty(fault.GetProperty("details").EnumerateObject());
            Assert.Empty(fault.GetProperty("correlated_fault_ids").EnumerateArray());
            Assert.EndsWith("Z", fault.GetProperty("event_time").GetString());
            Assert.EndsWith("Z", fault.GetProperty("raised_at").GetString());
        }

        // Headers: JSON, the notification id, and a signature that verifies with the subscription's secret.
        Assert.StartsWith("application/json", alphaCall.Header("Content-Type"));
        Assert.Equal(alpha.GetProperty("notification_id").GetString(), alphaCall.Header("X-Doctor-Notification-Id"));
        Assert.Equal(Hmac(AlphaSecret, alphaCall.Body), alphaCall.Header("X-Doctor-Signature"));
        Assert.NotEqual(Hmac("some-other-secret-0123456789", alphaCall.Body), alphaCall.Header("X-Doctor-Signature"));
        Assert.Equal(alpha.GetProperty("notification_id").GetString(), alphaDeliveries[0].GetProperty("notification_id").GetString());

        // Beta: its one VM and port, its own host_id for the same host, unsigned.
        var beta = betaCall.Json;
        Assert.Equal(["port-b1", "vm-b1"], ResourceIds(beta));
        Assert.Equal(Cloud.Beta, beta.GetProperty("project_id").GetString());
        Assert.All(beta.GetProperty("resources").EnumerateArray(), r => Assert.Equal(Cloud.BetaHost1Id, r.GetProperty("host_id").GetString()));
        Assert.DoesNotContain("compute-zulu", betaCall.Text);
        Assert.Null(betaCall.Header("X-Doctor-Signature"));
        Assert.NotEqual(alpha.GetProperty("notification_id").GetString(), beta.GetProperty("notification_id").GetString());
    }

    [Fact]
    public async Task HostUp_SendsFaultClearedAndDeliveriesListBoth()
    {
        await SeedCloudAsync();
        var alphaToken = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        var betaToken = await Doctor.CreateTokenAsync("project", Cloud.Beta);
        var alphaSub = await SubscribeAsync(alphaToken, "alpha", new { secret = AlphaSecret });
        var betaSub = await SubscribeAsync(betaToken, "beta");

        await Doctor.PostEventsAsync(new { time = DoctorHost.Now(), type = "compute.host.down", details = new { hostname = Cloud.Host1 } });
        await Receiver.WaitForAsync("alpha", 1);
        await Doctor.PostEventsAsync(new { time = DoctorHost.Now(), type = "compute.host.up", details = new { hostname = Cloud.Host1 } });

        var alphaCalls = await Receiver.WaitForAsync("alpha", 2);
        var betaCalls = await Receiver.WaitForAsync("beta", 2);
        var alphaDeliveries = await DeliveredAsync(alphaSub, 2);
        var betaDeliveries = await DeliveredAsync(betaSub, 2);
        Assert.Equal(2, Receiver.CallsTo("alpha").Count);
        Assert.Equal(2, Receiver.CallsTo("beta").Count);

        var cleared = alphaCalls[1].Json;
        Assert.Equal("fault_cleared", cleared.GetProperty("notification_type").GetString());
        Assert.Equal(["port-a1", "port-a2", "vm-a1", "vm-a2"], ResourceIds(cleared));
        Assert.DoesNotContain("compute-zulu", alphaCalls[1].Text);
        Assert.Equal(Hmac(AlphaSecret, alphaCalls[1].Body), alphaCalls[1].Header("X-Doctor-Signature"));
        foreach (var resource in cleared.GetProperty("resources").EnumerateArray())
        {
            var isServer = resource.GetProperty("resource_type").GetString() == "server";
            Assert.Equal(isServer ? "normal" : "ACTIVE", resource.GetProperty("state").GetString());
            Assert.Equal("UP", resource.GetProperty("host_status").GetString());
            var fault = Assert.Single(resource.GetProperty("faults").EnumerateArray());
            Assert.EndsWith("Z", fault.GetProperty("cleared_at").GetString());
        }

        Assert.Equal("fault_cleared", betaCalls[1].Json.GetProperty("notification_type").GetString());
        Assert.Equal(["port-b1", "vm-b1"], ResourceIds(betaCalls[1].Json));

        // Deliveries, newest first, all delivered, matching what the consumer received.
        Assert.Equal(["fault_cleared", "fault"], alphaDeliveries.Select(d => d.GetProperty("notification_type").GetString()));
        Assert.Equal(
            alphaCalls.Select(c => c.Header("X-Doctor-Notification-Id")).Reverse(),
            alphaDeliveries.Select(d => d.GetProperty("notification_id").GetString()));
        foreach (var delivery in alphaDeliveries.Concat(betaDeliveries))
        {
            Assert.Equal("delivered", delivery.GetProperty("state").GetString());
            Assert.Equal(1, delivery.GetProperty("attempts").GetInt32());
            Assert.Equal(204, delivery.GetProperty("last_status").GetInt32());
            Assert.EndsWith("Z", delivery.GetProperty("delivered_at").GetString());
        }

        // A project reads its own deliveries.
        var own = await Doctor.GetJsonAsync($"/v1/subscriptions/{alphaSub}/deliveries?limit=1", alphaToken);
        Assert.Single(own.GetProperty("deliveries").EnumerateArray());
        Assert.Equal(alphaDeliveries[0].GetProperty("notification_id").GetString(), own.GetProperty("next").GetString());
    }

    [Fact]
    public async Task HostDown_OfOtherHost_NotifiesOnlyAffectedProject()
    {
        await SeedCloudAsync();
        var alphaSub = await SubscribeAsync(await Doctor.CreateTokenAsync("project", Cloud.Alpha), "alpha");
        var betaSub = await SubscribeAsync(await Doctor.CreateTokenAsync("project", Cloud.Beta), "beta");

        await Doctor.PostEventsAsync(new { time = DoctorHost.Now(), type = "compute.host.down", details = new { hostname = Cloud.Host2 } });

        var call = Assert.Single(await Receiver.WaitForAsync("alpha", 1));
        Assert.Equal(["port-a3", "vm-a3"], ResourceIds(call.Json));
        Assert.All(call.Json.GetProperty("resources").EnumerateArray(), r => Assert.Equal(Cloud.AlphaHost2Id, r.GetProperty("host_id").GetString()));
        await DeliveredAsync(alphaSub, 1);
        // Notifications for one event are built together: had beta been affected, its delivery would be listed by now.
        Assert.Empty((await Doctor.GetJsonAsync($"/v1/subscriptions/{betaSub}/deliveries")).GetProperty("deliveries").EnumerateArray());
        Assert.Empty(Receiver.CallsTo("beta"));
    }

    [Fact]
    public async Task HostDown_AdminSubscription_GetsHostWithItsName()
    {
        await SeedCloudAsync();
        var adminSub = await SubscribeAsync(Admin, "admin");

        await Doctor.PostEventsAsync(new { time = DoctorHost.Now(), type = "compute.host.down", details = new { hostname = Cloud.Host1, source = "ipmi-monitor" } });

        var call = Assert.Single(await Receiver.WaitForAsync("admin", 1));
        var body = call.Json;
        Assert.Equal(JsonValueKind.Null, body.GetProperty("project_id").ValueKind);
        Assert.Equal([Cloud.Host1, "port-a1", "port-a2", "port-b1", "vm-a1", "vm-a2", "vm-b1"], ResourceIds(body));
        var host = body.GetProperty("resources").EnumerateArray().Single(r => r.GetProperty("resource_type").GetString() == "host");
        Assert.Equal("down", host.GetProperty("state").GetString());
        var root = Assert.Single(host.GetProperty("faults").EnumerateArray());
        Assert.True(root.GetProperty("is_root_cause").GetBoolean());
        Assert.Equal(6, root.GetProperty("correlated_fault_ids").GetArrayLength());
        Assert.Equal("ipmi-monitor", root.GetProperty("details").GetProperty("source").GetString());
        await DeliveredAsync(adminSub, 1);
    }

    [Fact]
    public async Task HostDown_WithFilters_SendsOnlyWhatFiltersAdmit()
    {
        await SeedCloudAsync();
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        await SubscribeAsync(alpha, "ports", new { filter = new { resource_types = new[] { "port" } } });
        await SubscribeAsync(alpha, "one-vm", new { filter = new { resource_ids = new[] { "vm-a2" } } });
        var clearedOnly = await SubscribeAsync(alpha, "cleared", new { filter = new { notification_types = new[] { "fault_cleared" } } });

        await Doctor.PostEventsAsync(new { time = DoctorHost.Now(), type = "compute.host.down", details = new { hostname = Cloud.Host1 } });

        Assert.Equal(["port-a1", "port-a2"], ResourceIds(Assert.Single(await Receiver.WaitForAsync("ports", 1)).Json));
        Assert.Equal(["vm-a2"], ResourceIds(Assert.Single(await Receiver.WaitForAsync("one-vm", 1)).Json));
        Assert.Empty((await Doctor.GetJsonAsync($"/v1/subscriptions/{clearedOnly}/deliveries")).GetProperty("deliveries").EnumerateArray());

        await Doctor.PostEventsAsync(new { time = DoctorHost.Now(), type = "compute.host.up", details = new { hostname = Cloud.Host1 } });
        var cleared = Assert.Single(await Receiver.WaitForAsync("cleared", 1));
        Assert.Equal("fault_cleared", cleared.Json.GetProperty("notification_type").GetString());
    }

    [Fact]
    public async Task ChangeState_ForcedDown_NotifiesLikeHostDown()
    {
        await SeedCloudAsync();
        var beta = await Doctor.CreateTokenAsync("project", Cloud.Beta);
        var sub = await SubscribeAsync(beta, "beta-host", new { filter = new { fault_types = new[] { "compute.host.*" } } });

        await DoctorHost.JsonAsync(await Doctor.PostAsync($"/v1/hosts/{Cloud.Host1}/state", new { forced_down = true, reason = "replacing a DIMM in compute-zulu-1" }), 200);

        var call = Assert.Single(await Receiver.WaitForAsync("beta-host", 1));
        Assert.Equal(["port-b1", "vm-b1"], ResourceIds(call.Json));
        Assert.DoesNotContain("compute-zulu", call.Text);
        Assert.DoesNotContain("DIMM", call.Text);
        Assert.All(call.Json.GetProperty("resources").EnumerateArray(),
            r => Assert.Equal("compute.host.down", r.GetProperty("faults")[0].GetProperty("fault_type").GetString()));
        await DeliveredAsync(sub, 1);

        await DoctorHost.JsonAsync(await Doctor.PostAsync($"/v1/hosts/{Cloud.Host1}/state", new { forced_down = false }), 200);
        var cleared = (await Receiver.WaitForAsync("beta-host", 2))[1];
        Assert.Equal("fault_cleared", cleared.Json.GetProperty("notification_type").GetString());
        Assert.Equal(["port-b1", "vm-b1"], ResourceIds(cleared.Json));
    }

    [Fact]
    public async Task Timeline_AfterDelivery_ShowsSentAndDeliveredPerSubscription()
    {
        await SeedCloudAsync();
        var alphaSub = await SubscribeAsync(await Doctor.CreateTokenAsync("project", Cloud.Alpha), "alpha");
        var betaSub = await SubscribeAsync(await Doctor.CreateTokenAsync("project", Cloud.Beta), "beta");

        var recorded = await Doctor.PostEventAndWaitAsync("compute.host.down", new { hostname = Cloud.Host1 });
        await DeliveredAsync(alphaSub, 1);
        await DeliveredAsync(betaSub, 1);

        var rootId = recorded.GetProperty("fault_ids")[0].GetString();
        var timeline = await Doctor.GetJsonAsync($"/v1/faults/{rootId}/timeline");
        var deliveries = timeline.GetProperty("deliveries").EnumerateArray().ToList();
        Assert.Equal(new[] { alphaSub, betaSub }.Order(StringComparer.Ordinal), deliveries.Select(d => d.GetProperty("subscription_id").GetString()!));
        var recordedMs = timeline.GetProperty("checkpoints").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "recorded").GetProperty("ms").GetDouble();
        foreach (var delivery in deliveries)
        {
            // notification_built is marked once every subscription's copy is queued, so the first may be sent before it.
            var sent = delivery.GetProperty("sent_ms").GetDouble();
            Assert.True(sent >= recordedMs, $"sent at {sent} ms, before the event was recorded at {recordedMs} ms");
            Assert.True(delivery.GetProperty("delivered_ms").GetDouble() >= sent);
        }

        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        await Problem.AssertAsync(await Doctor.GetAsync($"/v1/faults/{rootId}/timeline", alpha), 403);
    }

    [Fact]
    public async Task HostDown_ConsumerFailsTwice_IsRetriedUntilDelivered()
    {
        await SeedCloudAsync();
        var sub = await SubscribeAsync(await Doctor.CreateTokenAsync("project", Cloud.Beta), "flaky", new { secret = AlphaSecret });
        Receiver.FailNext("flaky", 2);

        await Doctor.PostEventsAsync(new { time = DoctorHost.Now(), type = "compute.host.down", details = new { hostname = Cloud.Host1 } });

        var call = Assert.Single(await Receiver.WaitForAsync("flaky", 1));
        var delivery = Assert.Single(await DeliveredAsync(sub, 1));
        Assert.Equal(3, delivery.GetProperty("attempts").GetInt32());
        Assert.Equal(call.Header("X-Doctor-Notification-Id"), delivery.GetProperty("notification_id").GetString());
        Assert.Equal(Hmac(AlphaSecret, call.Body), call.Header("X-Doctor-Signature"));
    }

    [Fact]
    public async Task HostDown_SubscriptionDeleted_GetsNothing()
    {
        await SeedCloudAsync();
        var alpha = await Doctor.CreateTokenAsync("project", Cloud.Alpha);
        var gone = await SubscribeAsync(alpha, "gone");
        await SubscribeAsync(alpha, "kept");
        Assert.Equal(204, (int)(await Doctor.DeleteAsync($"/v1/subscriptions/{gone}", alpha)).StatusCode);

        await Doctor.PostEventsAsync(new { time = DoctorHost.Now(), type = "compute.host.down", details = new { hostname = Cloud.Host1 } });

        await Receiver.WaitForAsync("kept", 1);
        Assert.Empty(Receiver.CallsTo("gone"));
    }
}
