using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Pipeline.Chaincode;
using Pipeline.Ledger.Fabric.Chaincode;

namespace Pipeline.Ledger.Tests;

/// <summary>The chaincode server with TLS and required client certificates (connection.json tls_required + client_auth_required).</summary>
public sealed class ChaincodeShimTlsTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "pipeline-ccaas-tls", Guid.NewGuid().ToString("N"));
    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _ca;

    public ChaincodeShimTlsTests()
    {
        Directory.CreateDirectory(_dir);
        var request = new CertificateRequest("CN=tlsca.example.com", _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature, true));
        _ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(2));
        File.WriteAllText(Path.Combine(_dir, "ca.pem"), _ca.ExportCertificatePem());
        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var server = Issue("CN=whitelist-cc", serverKey, serverAuth: true);
        File.WriteAllText(Path.Combine(_dir, "server.pem"), server.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_dir, "server.key"), serverKey.ExportPkcs8PrivateKeyPem());
    }

    [Fact]
    public async Task Connect_TlsWithClientCertificateFromTrustedCa_RegistersAndServesTransactions()
    {
        await using var server = await StartAsync();
        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var clientCert = Issue("CN=peer0.orghq.example.com", clientKey, serverAuth: false);
        using var withKey = clientCert.CopyWithPrivateKey(clientKey);
        using var identity = ShimTestIdentity.WithRoleAttribute("bob", "OrgHQMSP", OwnerRoles.User);

        await using var peer = await ShimPeerHarness.ConnectAsync(server.Address, options: Channel(withKey), scheme: "https");
        var result = await peer.InvokeAsync(identity, WhitelistFunctions.AssetExists, TestLedger.Hash("tls"));

        Assert.Equal(200, result.Response.Status);
        Assert.Equal("false", result.PayloadText);
    }

    [Fact]
    public async Task Connect_TlsWithoutClientCertificate_RefusedBeforeRegister()
    {
        await using var server = await StartAsync();

        await using var peer = await ShimPeerHarness.ConnectAsync(server.Address, handshake: false, options: Channel(null), scheme: "https");

        await Assert.ThrowsAsync<RpcException>(peer.RegisterAsync);
    }

    [Fact]
    public async Task StartAsync_KeyFileMissing_ThrowsNamingTheFile()
    {
        var options = new ChaincodeServerOptions
        {
            Address = "127.0.0.1:0",
            PackageId = "whitelist_1.0:00",
            TlsCertificateFile = Path.Combine(_dir, "server.pem"),
            TlsKeyFile = Path.Combine(_dir, "missing.key"),
        };

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => ChaincodeServer.StartAsync(options));

        Assert.Contains("missing.key", ex.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _ca.Dispose();
        _caKey.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private Task<ChaincodeServer> StartAsync() => ChaincodeServer.StartAsync(new ChaincodeServerOptions
    {
        Address = "127.0.0.1:0",
        PackageId = "whitelist_1.0:0f1e",
        TlsCertificateFile = Path.Combine(_dir, "server.pem"),
        TlsKeyFile = Path.Combine(_dir, "server.key"),
        ClientCaFile = Path.Combine(_dir, "ca.pem"),
    });

    private X509Certificate2 Issue(string subject, ECDsa key, bool serverAuth)
    {
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [serverAuth ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2")], false));
        if (serverAuth)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            request.CertificateExtensions.Add(san.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        return request.Create(_ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), serial);
    }

    /// <summary>A channel that trusts only the test CA for the server and presents <paramref name="clientCertificate"/> (if any).</summary>
    private GrpcChannelOptions Channel(X509Certificate2? clientCertificate)
    {
        var ca = _ca;
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                {
                    if (certificate is null)
                    {
                        return false;
                    }

                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(ca);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    using var server = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                    return chain.Build(server);
                },
                ClientCertificates = clientCertificate is null ? null : new X509CertificateCollection { clientCertificate },
            },
        };
        return new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true };
    }
}
