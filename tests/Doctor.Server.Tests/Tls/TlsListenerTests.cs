using System.Net;
using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Doctor.Server.Hosting;
using Doctor.Server.Tests.Infrastructure;
using Doctor.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Doctor.Server.Tests.Tls;

/// <summary>The listener with a certificate from settings: real Kestrel on 127.0.0.1, a certificate made in the test.</summary>
public sealed class TlsListenerTests : IDisposable
{
    private const string Password = "pfx-password-for-the-test";

    private readonly TempDirectory _dir = new();
    private readonly TempDirectory _files = new();
    private readonly X509Certificate2 _certificate = TestCertificates.SelfSigned();

    public void Dispose()
    {
        _certificate.Dispose();
        _files.Dispose();
        _dir.Dispose();
    }

    private WebApplication Create(Action<DoctorServerOptions> configure) =>
        DoctorApp.Create([], o =>
        {
            o.DataDir = _dir.Path;
            o.AdminToken = DoctorHost.AdminToken;
            o.Urls = "https://127.0.0.1:0";
            configure(o);
        }, b => b.Logging.ClearProviders());

    private static string AddressOf(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();

    /// <summary>A client that trusts exactly <paramref name="pinned"/> (as an operator's client trusts its CA).</summary>
    private static HttpClient PinnedClient(X509Certificate2 pinned, string address)
    {
        var handler = new SocketsHttpHandler { UseProxy = false };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && certificate.GetCertHashString() == pinned.GetCertHashString();
        return new HttpClient(handler) { BaseAddress = new Uri(address) };
    }

    private static async Task AssertServesOverTlsAsync(WebApplication app, X509Certificate2 certificate)
    {
        var address = AddressOf(app);
        Assert.StartsWith("https://127.0.0.1:", address);
        using var client = PinnedClient(certificate, address);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/hosts");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", DoctorHost.AdminToken);
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task HttpsUrl_PfxCertificate_ServesOverTls()
    {
        var pfx = TestCertificates.WritePfx(_certificate, _files.Path, Password);
        await using var app = Create(o =>
        {
            o.Tls.CertificatePath = pfx;
            o.Tls.Password = Password;
        });
        await app.StartAsync();

        await AssertServesOverTlsAsync(app, _certificate);
        await app.StopAsync();
    }

    [Fact]
    public async Task HttpsUrl_PemCertificateAndKey_ServesOverTls()
    {
        var (certificate, key) = TestCertificates.WritePem(_certificate, _files.Path);
        await using var app = Create(o =>
        {
            o.Tls.CertificatePath = certificate;
            o.Tls.KeyPath = key;
        });
        await app.StartAsync();

        await AssertServesOverTlsAsync(app, _certificate);
        await app.StopAsync();
    }

    [Fact]
    public async Task HttpsUrl_ClientThatDoesNotTrustTheCertificate_HandshakeRefused()
    {
        var pfx = TestCertificates.WritePfx(_certificate, _files.Path, Password);
        await using var app = Create(o =>
        {
            o.Tls.CertificatePath = pfx;
            o.Tls.Password = Password;
        });
        await app.StartAsync();
        using var client = new HttpClient(new SocketsHttpHandler { UseProxy = false });

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(AddressOf(app) + "/healthz"));

        Assert.IsType<AuthenticationException>(error.InnerException);
        await app.StopAsync();
    }

    [Fact]
    public async Task HttpAndHttpsUrls_BothServed()
    {
        var pfx = TestCertificates.WritePfx(_certificate, _files.Path, Password);
        await using var app = Create(o =>
        {
            o.Urls = "http://127.0.0.1:0;https://127.0.0.1:0";
            o.Tls.CertificatePath = pfx;
            o.Tls.Password = Password;
        });
        await app.StartAsync();
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        using var plain = new HttpClient(new SocketsHttpHandler { UseProxy = false });

        Assert.Equal(HttpStatusCode.OK, (await plain.GetAsync(addresses.Single(a => a.StartsWith("http://", StringComparison.Ordinal)) + "/healthz")).StatusCode);
        using var secure = PinnedClient(_certificate, addresses.Single(a => a.StartsWith("https://", StringComparison.Ordinal)));
        Assert.Equal(HttpStatusCode.OK, (await secure.GetAsync("/healthz")).StatusCode);
        await app.StopAsync();
    }

    [Fact]
    public void HttpsUrl_WithoutCertificate_StartFailsNamingTheSetting()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Create(_ => { }));

        Assert.Contains("Doctor:Tls:CertificatePath", error.Message);
    }

    [Fact]
    public void Certificate_WrongPassword_StartFailsNamingTheSetting()
    {
        var pfx = TestCertificates.WritePfx(_certificate, _files.Path, Password);

        var error = Assert.Throws<OptionsValidationException>(() => Create(o =>
        {
            o.Tls.CertificatePath = pfx;
            o.Tls.Password = "not-the-password";
        }));

        Assert.Contains("Doctor:Tls", error.Message);
    }

    [Fact]
    public void Certificate_MissingFile_StartFailsNamingTheSetting()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Create(o => o.Tls.CertificatePath = Path.Combine(_files.Path, "absent.pfx")));

        Assert.Contains("Doctor:Tls:CertificatePath", error.Message);
    }

    [Fact]
    public void PemCertificate_WithoutKey_StartFailsNamingTheSetting()
    {
        var (certificate, _) = TestCertificates.WritePem(_certificate, _files.Path);

        var error = Assert.Throws<OptionsValidationException>(() => Create(o => o.Tls.CertificatePath = certificate));

        Assert.Contains("Doctor:Tls", error.Message);
    }

    [Fact]
    public void CertificateWithoutPrivateKey_StartFailsNamingTheSetting()
    {
        var path = Path.Combine(_files.Path, "public-only.cer");
        File.WriteAllBytes(path, _certificate.Export(X509ContentType.Cert));

        var error = Assert.Throws<OptionsValidationException>(() => Create(o => o.Tls.CertificatePath = path));

        Assert.Contains("Doctor:Tls", error.Message);
    }
}
