using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Doctor.Server.Tls;

/// <summary>Loads the listener's certificate from <see cref="TlsOptions"/>; every failure names the setting.</summary>
public static class ServerCertificates
{
    /// <exception cref="FormatException">The files are missing, unreadable, of the wrong kind, or hold no private key.</exception>
    public static X509Certificate2 Load(TlsOptions tls)
    {
        var path = tls.CertificatePath ?? throw new FormatException("Doctor:Tls:CertificatePath is not set");
        if (!File.Exists(path))
            throw new FormatException($"Doctor:Tls:CertificatePath: {path} does not exist");
        if (tls.KeyPath is not null && !File.Exists(tls.KeyPath))
            throw new FormatException($"Doctor:Tls:KeyPath: {tls.KeyPath} does not exist");

        X509Certificate2 certificate;
        try
        {
            certificate = IsPem(path) ? LoadPem(path, tls) : X509CertificateLoader.LoadPkcs12FromFile(path, tls.Password);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"Doctor:Tls: {path} could not be read: {ex.Message}", ex);
        }
        catch (CryptographicException ex)
        {
            throw new FormatException($"Doctor:Tls: {path} could not be loaded (wrong Doctor:Tls:Password, or not a PKCS#12/PEM certificate with its key): {ex.Message}", ex);
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"Doctor:Tls: {path} holds no usable certificate and key (PEM needs a CERTIFICATE and a PRIVATE KEY, the key in Doctor:Tls:KeyPath or in the same file): {ex.Message}", ex);
        }

        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new FormatException($"Doctor:Tls: {path} holds no private key");
        }

        return certificate;
    }

    private static X509Certificate2 LoadPem(string path, TlsOptions tls)
    {
        using var pem = string.IsNullOrEmpty(tls.Password)
            ? X509Certificate2.CreateFromPemFile(path, tls.KeyPath)
            : X509Certificate2.CreateFromEncryptedPemFile(path, tls.Password, tls.KeyPath);
        // A PEM key is ephemeral; a round trip through PKCS#12 gives a certificate that TLS can use on every
        // platform (Windows' SslStream refuses ephemeral keys), at no cost once at start.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    private static bool IsPem(string path)
    {
        // PEM may start with "Bag Attributes" comments (openssl's output), so look past the first line.
        var head = new byte[4096];
        using var file = File.OpenRead(path);
        var read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return System.Text.Encoding.ASCII.GetString(head, 0, read).Contains("-----BEGIN", StringComparison.Ordinal);
    }
}
