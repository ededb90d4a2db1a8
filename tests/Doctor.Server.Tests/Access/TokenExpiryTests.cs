using Doctor.Server.Tests.Infrastructure;
using Doctor.Testing;

namespace Doctor.Server.Tests.Access;

/// <summary>Expiry runs on the service's clock, so it is tested with a clock the test moves.</summary>
public sealed class TokenExpiryTests
{
    [Fact]
    public async Task Get_AfterTokenExpired_Returns401()
    {
        var clock = new ManualTimeProvider(DateTimeOffset.UtcNow);
        await using var doctor = await DoctorHost.StartAsync(clock);
        var expiresAt = clock.GetUtcNow().AddMinutes(5);
        var created = await DoctorHost.JsonAsync(
            await doctor.PostAsync("/v1/tokens", new { role = "project", project_id = Cloud.Alpha, expires_at = expiresAt.ToString("O") }), 201);
        var secret = created.GetProperty("token").GetString()!;
        Assert.Equal(expiresAt, DateTimeOffset.Parse(created.GetProperty("expires_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture));

        await DoctorHost.JsonAsync(await doctor.GetAsync("/v1/servers", secret), 200);

        clock.Advance(TimeSpan.FromMinutes(5));
        await Problem.AssertAsync(await doctor.GetAsync("/v1/servers", secret), 401);
        await Problem.AssertAsync(await doctor.SendAsync(HttpMethod.Get, "/v1/servers", secret, openStackHeader: true), 401);
    }
}
