using Doctor.Testing;
using System.Text.Json;
using Doctor.Server.Tests.Infrastructure;

namespace Doctor.Server.Tests.Subscriptions;

/// <summary>
/// Delivery settings an operator changes (SPEC §5): the callback policy is checked again on connect, and a
/// notification that outlives its maximum age is kept as dead until redelivered.
/// </summary>
public sealed class DeliveryPolicyTests : IAsyncLifetime
{
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    [Fact]
    public async Task Deliver_CallbackNameResolvingToDeniedAddress_IsNeverSent()
    {
        await using var doctor = await DoctorHost.StartAsync(configure: o => o.Delivery.DeniedNetworks = ["127.0.0.0/8", "::1/128"]);
        await doctor.ImportAsync(Cloud.Inventory);

        // A literal denied address is refused when subscribing…
        await Problem.AssertAsync(await doctor.PostAsync("/v1/subscriptions", new { callback_url = _receiver.Url("direct") }), 400, "callback_url");

        // …and a name that resolves to one is refused when connecting.
        var port = new Uri(_receiver.BaseUrl).Port;
        var created = await DoctorHost.JsonAsync(await doctor.PostAsync("/v1/subscriptions", new { callback_url = $"http://localhost:{port}/smuggled" }), 201);
        var id = created.GetProperty("subscription_id").GetString();

        await doctor.PostEventsAsync(new { time = DoctorHost.Now(), type = "compute.host.down", details = new { hostname = Cloud.Host1 } });

        JsonElement delivery = default;
        await Eventually.TrueAsync(async () =>
        {
            var list = (await doctor.GetJsonAsync($"/v1/subscriptions/{id}/deliveries")).GetProperty("deliveries");
            if (list.GetArrayLength() == 0)
                return false;
            delivery = list[0];
            return delivery.GetProperty("attempts").GetInt32() >= 2;
        }, "two refused attempts");

        Assert.Equal("pending", delivery.GetProperty("state").GetString());
        Assert.False(string.IsNullOrEmpty(delivery.GetProperty("last_error").GetString()));
        Assert.Equal(JsonValueKind.Null, delivery.GetProperty("delivered_at").ValueKind);
        Assert.Empty(_receiver.CallsTo("smuggled"));
    }

    [Fact]
    public async Task Redeliver_DeadDelivery_IsDeliveredAgain()
    {
        await using var doctor = await DoctorHost.StartAsync(configure: o =>
        {
            o.Delivery.FirstRetryDelay = TimeSpan.FromMilliseconds(20);
            o.Delivery.MaxRetryDelay = TimeSpan.FromMilliseconds(50);
            o.Delivery.MaxAge = TimeSpan.FromMilliseconds(300);
        });
        await doctor.ImportAsync(Cloud.Inventory);
        var beta = await doctor.CreateTokenAsync("project", Cloud.Beta);
        var created = await DoctorHost.JsonAsync(await doctor.PostAsync("/v1/subscriptions", new { callback_url = _receiver.Url("down") }, beta), 201);
        var id = created.GetProperty("subscription_id").GetString();
        _receiver.FailNext("down", int.MaxValue);

        await doctor.PostEventsAsync(new { time = DoctorHost.Now(), type = "compute.host.down", details = new { hostname = Cloud.Host1 } });

        JsonElement dead = default;
        await Eventually.TrueAsync(async () =>
        {
            var list = (await doctor.GetJsonAsync($"/v1/subscriptions/{id}/deliveries", beta)).GetProperty("deliveries");
            dead = list.GetArrayLength() > 0 ? list[0] : default;
            return list.GetArrayLength() > 0 && dead.GetProperty("state").GetString() == "dead";
        }, "the delivery to be dead");
        // How many attempts fit in the 300 ms depends on how busy the machine is; at least one was refused.
        Assert.True(dead.GetProperty("attempts").GetInt32() >= 1);
        Assert.Equal(500, dead.GetProperty("last_status").GetInt32());
        Assert.Empty(_receiver.CallsTo("down"));

        // The consumer is back; the owner asks for the dead one again.
        _receiver.FailNext("down", 0);
        var notificationId = dead.GetProperty("notification_id").GetString();
        await Problem.AssertAsync(await doctor.PostAsync($"/v1/subscriptions/{id}/deliveries/not-a-notification/redeliver", "{}", beta), 404);
        var redeliver = await doctor.PostAsync($"/v1/subscriptions/{id}/deliveries/{notificationId}/redeliver", "{}", beta);
        Assert.Equal(202, (int)redeliver.StatusCode);

        var call = Assert.Single(await _receiver.WaitForAsync("down", 1));
        Assert.Equal(notificationId, call.Header("X-Doctor-Notification-Id"));
        Assert.Equal(["port-b1", "vm-b1"], call.Json.GetProperty("resources").EnumerateArray().Select(r => r.GetProperty("resource_id").GetString()!).Order(StringComparer.Ordinal));
        await Eventually.TrueAsync(async () =>
        {
            var list = (await doctor.GetJsonAsync($"/v1/subscriptions/{id}/deliveries")).GetProperty("deliveries").EnumerateArray();
            return list.Any(d => d.GetProperty("notification_id").GetString() == notificationId && d.GetProperty("state").GetString() == "delivered");
        }, "the redelivery to be delivered");
    }

    [Fact]
    public async Task Restart_DeadDelivery_StaysVisibleAndRedeliverable()
    {
        await using var doctor = await DoctorHost.StartAsync(configure: o =>
        {
            o.Delivery.FirstRetryDelay = TimeSpan.FromMilliseconds(20);
            o.Delivery.MaxRetryDelay = TimeSpan.FromMilliseconds(50);
            o.Delivery.MaxAge = TimeSpan.FromMilliseconds(300);
            o.ShutdownDrainSeconds = 0;
        });
        await doctor.ImportAsync(Cloud.Inventory);
        var created = await DoctorHost.JsonAsync(await doctor.PostAsync("/v1/subscriptions", new { callback_url = _receiver.Url("kept") }), 201);
        var id = created.GetProperty("subscription_id").GetString();
        _receiver.FailNext("kept", int.MaxValue);
        await doctor.PostEventsAsync(new { time = DoctorHost.Now(), type = "compute.host.down", details = new { hostname = Cloud.Host1 } });
        JsonElement dead = default;
        await Eventually.TrueAsync(async () =>
        {
            var list = (await doctor.GetJsonAsync($"/v1/subscriptions/{id}/deliveries")).GetProperty("deliveries");
            dead = list.GetArrayLength() > 0 ? list[0] : default;
            return list.GetArrayLength() > 0 && dead.GetProperty("state").GetString() == "dead";
        }, "the delivery to be dead");

        await doctor.RestartAsync();

        var after = Assert.Single((await doctor.GetJsonAsync($"/v1/subscriptions/{id}/deliveries")).GetProperty("deliveries").EnumerateArray());
        Assert.Equal(dead.GetProperty("notification_id").GetString(), after.GetProperty("notification_id").GetString());
        Assert.Equal("dead", after.GetProperty("state").GetString());
        Assert.Equal(dead.GetProperty("attempts").GetInt32(), after.GetProperty("attempts").GetInt32());
        Assert.Equal(dead.GetProperty("created_at").GetString(), after.GetProperty("created_at").GetString());

        _receiver.FailNext("kept", 0);
        var notificationId = dead.GetProperty("notification_id").GetString();
        Assert.Equal(202, (int)(await doctor.PostAsync($"/v1/subscriptions/{id}/deliveries/{notificationId}/redeliver", "{}")).StatusCode);
        var call = Assert.Single(await _receiver.WaitForAsync("kept", 1));
        Assert.Equal(notificationId, call.Header("X-Doctor-Notification-Id"));
    }
}
