using Doctor.Testing;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Doctor.Server.Tests.Infrastructure;

namespace Doctor.Server.Tests.Subscriptions;

/// <summary>
/// https callbacks keep normal certificate validation: a consumer with a certificate nobody trusts is not delivered
/// to (the error is recorded), unless the development-only switch is on.
/// </summary>
public sealed class CallbackTlsTests : IAsyncLifetime
{
    private readonly X509Certificate2 _certificate = TestCertificates.SelfSigned();
    private WebhookReceiver? _receiver;

    private WebhookReceiver Receiver => _receiver ?? throw new InvalidOperationException("the receiver is not started");

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync(_certificate);

    public async Task DisposeAsync()
    {
        if (_receiver is not null)
            await _receiver.DisposeAsync();
        _certificate.Dispose();
    }

    private async Task<string> SubscribeAndFailHostAsync(DoctorHost doctor)
    {
        Assert.StartsWith("https://127.0.0.1:", Receiver.BaseUrl);
        await doctor.ImportAsync(Cloud.Inventory);
        var created = await DoctorHost.JsonAsync(await doctor.PostAsync("/v1/subscriptions", new { callback_url = Receiver.Url("admin") }), 201);
        await doctor.PostEventsAsync(new { id = "evt-down", time = DoctorHost.Now(), type = "compute.host.down", details = new { hostname = Cloud.Host1 } });
        return created.GetProperty("subscription_id").GetString()!;
    }

    [Fact]
    public async Task HttpsCallback_UntrustedCertificate_NotDeliveredAndErrorRecorded()
    {
        await using var doctor = await DoctorHost.StartAsync();
        var subscription = await SubscribeAndFailHostAsync(doctor);

        JsonElement delivery = default;
        await Eventually.TrueAsync(async () =>
        {
            var deliveries = (await doctor.GetJsonAsync($"/v1/subscriptions/{subscription}/deliveries")).GetProperty("deliveries");
            if (deliveries.GetArrayLength() == 0)
                return false;
            delivery = deliveries[0];
            return delivery.GetProperty("attempts").GetInt32() >= 1 && delivery.GetProperty("last_error").ValueKind == JsonValueKind.String;
        }, "a failed delivery attempt");

        Assert.Equal("pending", delivery.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, delivery.GetProperty("last_status").ValueKind);
        Assert.Contains("remote certificate is invalid", delivery.GetProperty("last_error").GetString(), StringComparison.Ordinal);
        Assert.Empty(Receiver.CallsTo("admin"));
    }

    [Fact]
    public async Task HttpsCallback_DangerousAcceptAnyServerCertificate_Delivered()
    {
        await using var doctor = await DoctorHost.StartAsync(configure: o => o.Delivery.DangerousAcceptAnyServerCertificate = true);
        await SubscribeAndFailHostAsync(doctor);

        var call = Assert.Single(await Receiver.WaitForAsync("admin", 1));

        Assert.Equal("fault", call.Json.GetProperty("notification_type").GetString());
    }
}
