using Doctor.Access;
using Doctor.Control;
using Doctor.Notification;
using Doctor.Storage;
using Microsoft.Extensions.Options;

namespace Doctor.Server.Hosting;

/// <summary>
/// Starts the engine (load, replay) before the listener opens, makes sure an admin token exists, and on stop
/// drains in order: engine, then deliveries (bounded by <c>Doctor:ShutdownDrainSeconds</c>), then the store, which
/// commits the outbox's last changes; whatever is still undelivered is resumed from the outbox by the next start.
/// </summary>
public sealed partial class DoctorRuntime(
    DoctorEngine engine, IDoctorStore store, WebhookDispatcher dispatcher, IOptions<DoctorServerOptions> options, ILogger<DoctorRuntime> logger,
    Warmup warmup)
    : IHostedService
{
    /// <summary>Id of the token that <c>DOCTOR_ADMIN_TOKEN</c> (or the first start) provides.</summary>
    public const string BootstrapTokenId = "admin-bootstrap";

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        WarnAboutSettings(options.Value);
        await engine.StartAsync(cancellationToken);
        await BootstrapAdminTokenAsync();
        if (options.Value.WarmUp)
            await warmup.RunAsync(cancellationToken);
    }

    private async Task BootstrapAdminTokenAsync()
    {
        var configured = options.Value.AdminToken;
        if (!string.IsNullOrEmpty(configured))
        {
            var hash = TokenSecrets.HashOf(configured);
            if (engine.State.Tokens.All.Get(BootstrapTokenId)?.Hash != hash)
            {
                await engine.ExecuteAsync(editor =>
                {
                    editor.Tokens.Put(new Token { TokenId = BootstrapTokenId, Hash = hash, Role = Role.Admin, CreatedAt = editor.Now });
                    return true;
                });
            }

            return;
        }

        if (engine.State.Tokens.All.After(null).Any(t => t.Role == Role.Admin))
            return;
        var secret = TokenSecrets.Generate();
        await engine.ExecuteAsync(editor =>
        {
            editor.Tokens.Put(new Token { TokenId = BootstrapTokenId, Hash = TokenSecrets.HashOf(secret), Role = Role.Admin, CreatedAt = editor.Now });
            return true;
        });
        // Printed once: only its hash is kept. Console, not the log, so log shipping does not copy it around.
        Console.WriteLine($"Generated the first admin token (shown once, keep it): {secret}");
        LogGeneratedToken();
    }

    /// <summary>Settings that weaken security are allowed, but never silently.</summary>
    private void WarnAboutSettings(DoctorServerOptions settings)
    {
        if (settings.Delivery.DangerousAcceptAnyServerCertificate)
            LogAnyCertificateAccepted();
        if (!settings.RateLimits.Enabled)
            LogRateLimitsDisabled();
        if (settings.Tls.IsConfigured && !DoctorApp.HasHttpsUrl(settings.Urls))
            LogCertificateUnused(settings.Urls);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await engine.DisposeAsync();
        await dispatcher.WaitIdleAsync(TimeSpan.FromSeconds(options.Value.ShutdownDrainSeconds), cancellationToken);
        await dispatcher.DisposeAsync();
        await store.DisposeAsync();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Doctor:Delivery:DangerousAcceptAnyServerCertificate is on: https callbacks are NOT authenticated (any certificate is accepted). Development only")]
    private partial void LogAnyCertificateAccepted();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Doctor:RateLimits:Enabled is false: no token is rate limited")]
    private partial void LogRateLimitsDisabled();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Doctor:Tls:CertificatePath is set but Doctor:Urls ({Urls}) has no https:// address; the certificate is not used")]
    private partial void LogCertificateUnused(string urls);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No admin token was configured (DOCTOR_ADMIN_TOKEN); one was generated and printed on standard output")]
    private partial void LogGeneratedToken();
}
