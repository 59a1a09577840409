using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Banking.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace Banking.Foundation.Tests.ServiceDefaults;

/// <summary>
/// <c>Tls:CaCertificate</c>: a server's certificate passes only when its chain ends at the bank's CA and it names the
/// host dialled; without a CA configured only what the machine trusts passes. Validation is never off.
/// </summary>
public sealed class ServerCertificates_Specs
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private static X509Certificate2 Authority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(Now.AddDays(-1), Now.AddDays(30));
    }

    private static X509Certificate2 ServerSignedBy(X509Certificate2 authority)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        return request.Create(authority, Now.AddHours(-1), Now.AddDays(7), RandomNumberGenerator.GetBytes(16));
    }

    [Test]
    public void A_server_certificate_signed_by_the_configured_CA_passes_one_signed_by_another_CA_does_not()
    {
        using var bank = Authority("Banking local CA");
        using var other = Authority("Someone else's CA");
        using var server = ServerSignedBy(bank);
        using var impostor = ServerSignedBy(other);
        var certificates = new ServerCertificates(bank);

        // What SslStream reports for a chain to a root the machine does not know.
        Assert.That(certificates.Validate(null, server, null, SslPolicyErrors.RemoteCertificateChainErrors), Is.True);
        Assert.That(certificates.Validate(null, impostor, null, SslPolicyErrors.RemoteCertificateChainErrors), Is.False);
    }

    [Test]
    public void A_wrong_name_or_no_certificate_is_refused_whoever_signed_it()
    {
        using var bank = Authority("Banking local CA");
        using var server = ServerSignedBy(bank);
        var certificates = new ServerCertificates(bank);

        Assert.That(certificates.Validate(null, server, null, SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateChainErrors), Is.False);
        Assert.That(certificates.Validate(null, null, null, SslPolicyErrors.RemoteCertificateNotAvailable), Is.False);
    }

    [Test]
    public void Without_a_CA_configured_only_what_the_machine_trusts_passes()
    {
        using var bank = Authority("Banking local CA");
        using var server = ServerSignedBy(bank);
        var certificates = new ServerCertificates(Options.Create(new TlsOptions()));

        Assert.That(certificates.Validate(null, server, null, SslPolicyErrors.RemoteCertificateChainErrors), Is.False);
        Assert.That(certificates.Validate(null, server, null, SslPolicyErrors.None), Is.True);
    }

    [Test]
    public void A_CA_file_that_cannot_be_read_stops_the_service_at_start()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"banking-no-ca-{Guid.NewGuid():N}.crt");
        var refused = Assert.ThrowsAsync<OptionsValidationException>(() => TestApp.StartAsync(new Dictionary<string, string?> { ["Tls:CaCertificate"] = missing }));
        Assert.That(refused!.Message, Does.Contain("Tls:CaCertificate"));
    }

    [Test]
    public void The_CA_is_read_from_a_PEM_file_as_servers_sh_writes_it()
    {
        using var bank = Authority("Banking local CA");
        using var server = ServerSignedBy(bank);
        var path = Path.Combine(Path.GetTempPath(), $"banking-ca-{Guid.NewGuid():N}.crt");
        File.WriteAllText(path, bank.ExportCertificatePem());
        try
        {
            var certificates = new ServerCertificates(Options.Create(new TlsOptions { CaCertificate = path }));
            Assert.That(certificates.Validate(null, server, null, SslPolicyErrors.RemoteCertificateChainErrors), Is.True);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
