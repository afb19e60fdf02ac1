using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Pipeline.Processing.Whitelist;

namespace Pipeline.Processing.Tests;

/// <summary>The TLS side of the external peer channels: CA file parsing, errors naming key and path,
/// and the certificate check (custom root, host name or override).</summary>
public sealed class FabricPeerChannelUnitTests : IDisposable
{
    private const string Key = "Processing:Whitelist:FabricPeers:0:TlsCaFile";
    private readonly string _directory = Directory.CreateTempSubdirectory("fabric-tls-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void LoadTrustedRoots_PemWithTwoCertificates_ReturnsBoth()
    {
        using var first = new TestTls("CA one");
        using var second = new TestTls("CA two");
        var path = Path.Combine(_directory, "bundle.pem");
        File.WriteAllText(path, first.Ca.ExportCertificatePem() + "\n" + second.Ca.ExportCertificatePem());

        var roots = LoadAndKeep(path);

        Assert.Equal(["CN=CA one", "CN=CA two"], roots.Select(c => c.Subject));
    }

    [Fact]
    public void LoadTrustedRoots_MissingFile_NamesKeyAndPath()
    {
        var path = Path.Combine(_directory, "nope", "ca.pem");

        var error = Assert.Throws<ArgumentException>(() => FabricPeerChannel.LoadTrustedRoots(path, Key));

        Assert.Contains(Key, error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot read", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadTrustedRoots_FileWithoutCertificate_NamesKeyAndPath()
    {
        var path = Path.Combine(_directory, "key-only.pem");
        using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            File.WriteAllText(path, key.ExportPkcs8PrivateKeyPem());
        }

        var error = Assert.Throws<ArgumentException>(() => FabricPeerChannel.LoadTrustedRoots(path, Key));

        Assert.Contains(Key, error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("no PEM certificate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_HttpsPeerWithMissingCaFile_NamesKeyAndPath()
    {
        var path = Path.Combine(_directory, "absent.pem");
        var peer = new FabricPeerOptions { Id = "peer0", Endpoint = "https://127.0.0.1:7051", TlsCaFile = path };

        var error = Assert.Throws<ArgumentException>(() => FabricPeerChannel.Create(peer, "Processing:Whitelist:FabricPeers:0"));

        Assert.Contains(Key, error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_EndpointNotAUri_NamesThePeer()
    {
        var peer = new FabricPeerOptions { Id = "peer7", Endpoint = "peer7:7051" };

        var error = Assert.Throws<ArgumentException>(() => FabricPeerChannel.Create(peer, "Processing:Whitelist:FabricPeers:3"));

        Assert.Contains("Processing:Whitelist:FabricPeers:3:Endpoint of peer 'peer7'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IsTrusted_CertificateFromTheCaForTheName_IsTrusted()
    {
        using var tls = new TestTls();
        using var server = tls.IssueServer("peer0.orghq.example.com");
        var roots = LoadAndKeep(tls.WriteCaPem(Path.Combine(_directory, "ca.pem")));

        Assert.True(FabricPeerChannel.IsTrusted(server, null, roots, "peer0.orghq.example.com"));
    }

    [Fact]
    public void IsTrusted_OtherHostName_IsRefused()
    {
        using var tls = new TestTls();
        using var server = tls.IssueServer("peer0.orghq.example.com");
        var roots = LoadAndKeep(tls.WriteCaPem(Path.Combine(_directory, "ca.pem")));

        // Dialing https://localhost:7051 without ServerNameOverride checks "localhost".
        Assert.False(FabricPeerChannel.IsTrusted(server, null, roots, "localhost"));
    }

    [Fact]
    public void IsTrusted_CertificateFromAnotherCa_IsRefused()
    {
        using var trusted = new TestTls("Trusted CA");
        using var other = new TestTls("Other CA");
        using var server = other.IssueServer("peer0.orghq.example.com");
        var roots = LoadAndKeep(trusted.WriteCaPem(Path.Combine(_directory, "ca.pem")));

        Assert.False(FabricPeerChannel.IsTrusted(server, null, roots, "peer0.orghq.example.com"));
    }

    [Fact]
    public void IsTrusted_NoCertificate_IsRefused()
    {
        using var tls = new TestTls();
        var roots = LoadAndKeep(tls.WriteCaPem(Path.Combine(_directory, "ca.pem")));

        Assert.False(FabricPeerChannel.IsTrusted(null, null, roots, "peer0"));
    }

    private static X509Certificate2Collection LoadAndKeep(string path) => FabricPeerChannel.LoadTrustedRoots(path, Key);
}
