using System.Security.Cryptography;
using System.Text;
using Doctor.Notification;
using Doctor.Secrets;
using Doctor.Server.Hosting;
using Doctor.Server.Tests.Infrastructure;
using Doctor.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Doctor.Server.Tests.Subscriptions;

/// <summary>Webhook secrets are encrypted at rest; consumers still verify every signature, before and after a restart.</summary>
public sealed class SecretStorageTests : IAsyncLifetime
{
    private const string Secret = "tenant-hmac-secret-quokka-0123456789";

    private WebhookReceiver? _receiver;

    private WebhookReceiver Receiver => _receiver ?? throw new InvalidOperationException("the receiver is not started");

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync()
    {
        if (_receiver is not null)
            await _receiver.DisposeAsync();
    }

    private static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    private async Task SubscribeWithSecretAsync(DoctorHost doctor)
    {
        await doctor.ImportAsync(Cloud.Inventory);
        var alpha = await doctor.CreateTokenAsync("project", Cloud.Alpha);
        await DoctorHost.JsonAsync(await doctor.PostAsync("/v1/subscriptions", new { callback_url = Receiver.Url("alpha"), secret = Secret }, alpha), 201);
    }

    /// <summary>Fails a host and asserts that the tenant's notification carries a signature made with the clear secret.</summary>
    private async Task AssertSignedNotificationAsync(DoctorHost doctor, string eventId, int expectedCalls)
    {
        await doctor.PostEventsAsync(new { id = eventId, time = DoctorHost.Now(), type = "compute.host.down", details = new { hostname = Cloud.Host1 } });
        var call = (await Receiver.WaitForAsync("alpha", expectedCalls))[expectedCalls - 1];
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), call.Body));
        Assert.Equal(expected, call.Header(Signatures.Header));
    }

    private static void AssertNoFileHoldsTheSecret(string dataDir)
    {
        var files = Directory.GetFiles(dataDir);
        Assert.Contains(files, f => Path.GetFileName(f) == "state.db");
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(file);
            Assert.False(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(Secret)) >= 0, $"{Path.GetFileName(file)} holds the webhook secret in clear");
            Assert.False(bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes("quokka")) >= 0, $"{Path.GetFileName(file)} holds part of the webhook secret");
        }
    }

    [Fact]
    public async Task Subscribe_WithSecret_NoFileInTheDataDirectoryHoldsIt()
    {
        await using var doctor = await DoctorHost.StartAsync();
        await SubscribeWithSecretAsync(doctor);

        AssertNoFileHoldsTheSecret(doctor.DataDir); // while running: the row is committed (WAL) before the 201
        await doctor.RestartAsync();
        AssertNoFileHoldsTheSecret(doctor.DataDir); // after the stop checkpointed the WAL into state.db

        Assert.True(File.Exists(Path.Combine(doctor.DataDir, SecretKeys.FileName)));
    }

    [Fact]
    public async Task Restart_SealedSecret_NotificationsStillVerify()
    {
        await using var doctor = await DoctorHost.StartAsync();
        await SubscribeWithSecretAsync(doctor);
        await AssertSignedNotificationAsync(doctor, "evt-before", expectedCalls: 1);
        await doctor.PostEventAndWaitAsync("compute.host.up", new { hostname = Cloud.Host1 });
        await Receiver.WaitForAsync("alpha", 2); // the fault_cleared notification

        await doctor.RestartAsync();

        await AssertSignedNotificationAsync(doctor, "evt-after", expectedCalls: 3);
    }

    [Fact]
    public async Task SecretKeySetting_Set_NoKeyFileAndNotificationsVerifyAfterRestart()
    {
        var key = NewKey();
        await using var doctor = await DoctorHost.StartAsync(configure: o => o.SecretKey = key);
        await SubscribeWithSecretAsync(doctor);

        await doctor.RestartAsync();

        Assert.False(File.Exists(Path.Combine(doctor.DataDir, SecretKeys.FileName)));
        AssertNoFileHoldsTheSecret(doctor.DataDir);
        await AssertSignedNotificationAsync(doctor, "evt-after", expectedCalls: 1);
    }

    [Fact]
    public async Task SecretKeyVariable_ReadFromConfiguration()
    {
        using var dir = new TempDirectory();
        var key = NewKey();
        await using var app = DoctorApp.Create([$"--{SecretKeys.Variable}={key}"], o => o.DataDir = dir.Path, b => b.WebHost.UseTestServer());

        Assert.Equal(key, app.Services.GetRequiredService<IOptions<DoctorServerOptions>>().Value.SecretKey);
    }

    [Fact]
    public async Task Restart_WithAnotherSecretKey_StartRefusedNamingTheSubscriptionAndVariable()
    {
        using var dir = new TempDirectory();
        var app = await DoctorHost.CreateAppAsync(dir.Path, null, o => o.SecretKey = NewKey());
        string created;
        using (var client = app.GetTestClient())
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", DoctorHost.AdminToken);
            var body = System.Text.Json.JsonSerializer.Serialize(new { callback_url = Receiver.Url("admin"), secret = Secret });
            using var response = await client.PostAsync("/v1/subscriptions", new StringContent(body, Encoding.UTF8, "application/json"));
            created = (await DoctorHost.JsonAsync(response, 201)).GetProperty("subscription_id").GetString()!;
        }

        await app.StopAsync();
        await app.DisposeAsync();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => DoctorHost.CreateAppAsync(dir.Path, null, o => o.SecretKey = NewKey()));

        Assert.Contains(created, error.Message);
        Assert.Contains(SecretKeys.Variable, error.Message);
    }

    [Theory]
    [InlineData("not base64")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA==")]
    public void SecretKey_NotA256BitKey_StartFailsNamingTheVariable(string key)
    {
        using var dir = new TempDirectory();

        var error = Assert.Throws<OptionsValidationException>(() => DoctorApp.Create([], o =>
        {
            o.DataDir = dir.Path;
            o.SecretKey = key;
        }, b => b.Logging.ClearProviders()));

        Assert.Contains(SecretKeys.Variable, error.Message);
    }
}
