namespace Doctor.Server.Tls;

/// <summary>
/// The listener's certificate (section <c>Doctor:Tls</c>). When set, every <c>https://</c> address in
/// <c>Doctor:Urls</c> serves it; an https address without a certificate is a start error.
/// </summary>
public sealed class TlsOptions
{
    /// <summary>A PKCS#12 (.pfx/.p12) file, or a PEM certificate (chain). Default: unset (no TLS).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key, when it is not in <see cref="CertificatePath"/> itself. Unused for PKCS#12.</summary>
    public string? KeyPath { get; set; }

    /// <summary>Password of the PKCS#12 file or of an encrypted PEM key. Default: none.</summary>
    public string? Password { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(CertificatePath);
}
