using Doctor.Server.Hosting;
using Doctor.Server.Tests.Infrastructure;
using Doctor.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;

namespace Doctor.Server.Tests.Hosting;

/// <summary>Settings that weaken security are allowed, but an operator reads about them at start.</summary>
public sealed class StartupWarningsTests
{
    private static async Task<IReadOnlyList<string>> WarningsAtStartAsync(Action<DoctorServerOptions> configure)
    {
        using var dir = new TempDirectory();
        var logs = new CapturingLoggerProvider();
        await using var app = DoctorApp.Create([], o =>
        {
            o.DataDir = dir.Path;
            o.AdminToken = DoctorHost.AdminToken;
            configure(o);
        }, b =>
        {
            b.WebHost.UseTestServer();
            b.Logging.ClearProviders();
            b.Logging.AddProvider(logs);
        });
        await app.StartAsync();
        await app.StopAsync();
        return [.. logs.Entries.Where(e => e.Level >= LogLevel.Warning).Select(e => e.Message)];
    }

    [Fact]
    public async Task DangerousAcceptAnyServerCertificate_On_LogsAWarning()
    {
        var warnings = await WarningsAtStartAsync(o => o.Delivery.DangerousAcceptAnyServerCertificate = true);

        Assert.Contains(warnings, w => w.Contains("Doctor:Delivery:DangerousAcceptAnyServerCertificate", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RateLimits_Disabled_LogsAWarning()
    {
        var warnings = await WarningsAtStartAsync(o => o.RateLimits.Enabled = false);

        Assert.Contains(warnings, w => w.Contains("Doctor:RateLimits:Enabled", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Defaults_NoSecurityWarnings()
    {
        var warnings = await WarningsAtStartAsync(_ => { });

        Assert.DoesNotContain(warnings, w => w.Contains("Dangerous", StringComparison.Ordinal) || w.Contains("RateLimits", StringComparison.Ordinal));
    }
}
