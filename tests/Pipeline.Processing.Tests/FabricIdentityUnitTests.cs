using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Pipeline.Processing.Whitelist;

namespace Pipeline.Processing.Tests;

/// <summary>Loading Processing:Whitelist:FabricIdentity: a PEM certificate and its PKCS#8 / SEC1 key,
/// with errors naming the key and the path.</summary>
public sealed class FabricIdentityUnitTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("fabric-identity-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LoadIdentity_CertificateAndItsKey_SignsForTheMsp(bool sec1Key)
    {
        var (certificate, key) = WriteIdentity("user1", sec1Key);

        var (identity, signer) = ExternalFabricLookup.LoadIdentity(new FabricIdentityOptions { MspId = "OrgHQMSP", CertificateFile = certificate, KeyFile = key });
        using var _ = signer;

        Assert.Equal("OrgHQMSP", identity.MspId);
        Assert.Equal(File.ReadAllText(certificate), identity.CertificatePem);
    }

    [Fact]
    public void LoadIdentity_MissingCertificate_NamesKeyAndPath()
    {
        var (_, key) = WriteIdentity("user1");
        var missing = Path.Combine(_directory, "signcerts", "User1@orghq.example.com-cert.pem");

        var error = Assert.Throws<ArgumentException>(() => ExternalFabricLookup.LoadIdentity(new FabricIdentityOptions { MspId = "OrgHQMSP", CertificateFile = missing, KeyFile = key }));

        Assert.Contains("Processing:Whitelist:FabricIdentity:CertificateFile", error.Message, StringComparison.Ordinal);
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadIdentity_CertificateFileHoldsAKey_NamesKeyAndPath()
    {
        var (_, key) = WriteIdentity("user1");

        var error = Assert.Throws<ArgumentException>(() => ExternalFabricLookup.LoadIdentity(new FabricIdentityOptions { MspId = "OrgHQMSP", CertificateFile = key, KeyFile = key }));

        Assert.Contains("Processing:Whitelist:FabricIdentity:CertificateFile", error.Message, StringComparison.Ordinal);
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadIdentity_MissingKey_NamesKeyAndPath()
    {
        var (certificate, _) = WriteIdentity("user1");
        var missing = Path.Combine(_directory, "keystore", "priv_sk");

        var error = Assert.Throws<ArgumentException>(() => ExternalFabricLookup.LoadIdentity(new FabricIdentityOptions { MspId = "OrgHQMSP", CertificateFile = certificate, KeyFile = missing }));

        Assert.Contains("Processing:Whitelist:FabricIdentity:KeyFile", error.Message, StringComparison.Ordinal);
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadIdentity_KeyFileHoldsACertificate_NamesKeyAndPath()
    {
        var (certificate, _) = WriteIdentity("user1");

        var error = Assert.Throws<ArgumentException>(() => ExternalFabricLookup.LoadIdentity(new FabricIdentityOptions { MspId = "OrgHQMSP", CertificateFile = certificate, KeyFile = certificate }));

        Assert.Contains("Processing:Whitelist:FabricIdentity:KeyFile", error.Message, StringComparison.Ordinal);
        Assert.Contains("no PEM ECDSA P-256 private key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadIdentity_KeyOfAnotherCertificate_SaysTheyDoNotMatch()
    {
        var (certificate, _) = WriteIdentity("user1");
        var (_, otherKey) = WriteIdentity("user2");

        var error = Assert.Throws<ArgumentException>(() => ExternalFabricLookup.LoadIdentity(new FabricIdentityOptions { MspId = "OrgHQMSP", CertificateFile = certificate, KeyFile = otherKey }));

        Assert.Contains($"KeyFile '{otherKey}' is not the private key of", error.Message, StringComparison.Ordinal);
        Assert.Contains(certificate, error.Message, StringComparison.Ordinal);
    }

    private (string Certificate, string Key) WriteIdentity(string name, bool sec1Key = false)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}, OU=client", key, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certificatePath = Path.Combine(_directory, name + "-cert.pem");
        var keyPath = Path.Combine(_directory, name + "-priv_sk");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, sec1Key ? key.ExportECPrivateKeyPem() : key.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }
}
