using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Options;

namespace Banking.ServiceDefaults;

/// <summary>
/// Judges the certificate a server presents (RabbitMQ, Redis) against <see cref="TlsOptions.CaCertificate"/>. Validation
/// is never switched off: without an authority configured only a certificate the machine already trusts passes.
/// </summary>
public sealed class ServerCertificates
{
    private readonly X509Certificate2? authority;

    public ServerCertificates(IOptions<TlsOptions> options) : this(Load(options.Value.CaCertificate)) { }

    public ServerCertificates(X509Certificate2? authority) => this.authority = authority;

    /// <summary>The authority in <paramref name="path"/>; <c>null</c> for an empty path.</summary>
    public static X509Certificate2? Load(string? path) =>
        string.IsNullOrWhiteSpace(path) ? null : X509CertificateLoader.LoadCertificateFromFile(path);

    internal static bool IsReadable(string? path)
    {
        if (string.IsNullOrWhiteSpace(path)) return true;
        try
        {
            using var certificate = Load(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            return false;
        }
    }

    /// <summary>A <see cref="RemoteCertificateValidationCallback"/>.</summary>
    public bool Validate(object? sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (authority is null) return errors == SslPolicyErrors.None;

        // Only the chain is judged again, against the bank's authority alone: a certificate for another name, or none
        // at all, stays refused whoever signed it.
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None) return false;

        var presented = certificate as X509Certificate2;
        using var copy = presented is null ? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()) : null;
        using var ours = new X509Chain();
        ours.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        ours.ChainPolicy.CustomTrustStore.Add(authority);
        // A private authority publishes no revocation list here; a compromised certificate is replaced, with its CA if need be.
        ours.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            // Intermediates the server sent along may be needed to reach the authority; they are not trusted by themselves.
            foreach (var element in chain.ChainElements) ours.ChainPolicy.ExtraStore.Add(element.Certificate);
        }

        return ours.Build(presented ?? copy!);
    }
}
