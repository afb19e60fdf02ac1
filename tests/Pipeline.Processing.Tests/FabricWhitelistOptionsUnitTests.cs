using Pipeline.Processing.Whitelist;

namespace Pipeline.Processing.Tests;

/// <summary>Validation of the external Fabric keys (Processing:Whitelist:FabricPeers / FabricIdentity): each bad value is named.</summary>
public sealed class FabricWhitelistOptionsUnitTests
{
    [Fact]
    public void Validate_CompleteHttpsAndHttpPeers_Passes()
    {
        var options = Valid();
        options.FabricPeers.Add(new FabricPeerOptions { Id = "peer1", Endpoint = "http://127.0.0.1:7051", Slots = 4 });

        options.Validate();

        Assert.True(options.UsesExternalFabric);
    }

    [Fact]
    public void Validate_NoFabricPeers_DoesNotRequireIdentity()
    {
        var options = new WhitelistOptions { Transport = WhitelistTransport.InProcess };

        options.Validate();

        Assert.False(options.UsesExternalFabric);
    }

    [Fact]
    public void Validate_FabricPeersWithInProcessTransport_SaysToSetGateway()
    {
        var options = Valid();
        options.Transport = WhitelistTransport.InProcess;

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("Processing:Whitelist:FabricPeers", error.Message, StringComparison.Ordinal);
        Assert.Contains("Transport is InProcess", error.Message, StringComparison.Ordinal);
        Assert.Contains("Transport=Gateway", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("peer0.orghq.example.com:7051")]
    [InlineData("not a uri")]
    [InlineData("grpc://peer0:7051")]
    [InlineData("https://peer0:7051/some/path")]
    [InlineData("")]
    public void Validate_EndpointNotAnHttpUri_NamesThePeerAndTheKey(string endpoint)
    {
        var options = Valid();
        options.FabricPeers[0].Endpoint = endpoint;

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("Processing:Whitelist:FabricPeers:0:Endpoint", error.Message, StringComparison.Ordinal);
        Assert.Contains("peer 'peer0.orghq.example.com'", error.Message, StringComparison.Ordinal);
        Assert.Contains($"got '{endpoint}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_HttpsWithoutTlsCaFile_NamesTheKey()
    {
        var options = Valid();
        options.FabricPeers[0].TlsCaFile = "";

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("Processing:Whitelist:FabricPeers:0:TlsCaFile", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_HttpWithTlsCaFile_SaysTheEndpointIsPlaintext()
    {
        var options = Valid();
        options.FabricPeers[0].Endpoint = "http://peer0:7051";

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("FabricPeers:0:TlsCaFile is set", error.Message, StringComparison.Ordinal);
        Assert.Contains("is http", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_DuplicatePeerId_NamesTheSecondEntry()
    {
        var options = Valid();
        options.FabricPeers.Add(new FabricPeerOptions { Id = "peer0.orghq.example.com", Endpoint = "http://other:7051" });

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("FabricPeers:1:Id 'peer0.orghq.example.com'", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("-peer")]
    [InlineData("peer 0")]
    public void Validate_BadPeerId_NamesTheKey(string id)
    {
        var options = Valid();
        options.FabricPeers[0].Id = id;

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("Processing:Whitelist:FabricPeers:0:Id", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Validate_SlotsBelowOne_NamesTheKey(int slots)
    {
        var options = Valid();
        options.FabricPeers[0].Slots = slots;

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("FabricPeers:0:Slots", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MissingIdentityFiles_NameTheirKeys()
    {
        var noCertificate = Valid();
        noCertificate.FabricIdentity.CertificateFile = " ";
        var noKey = Valid();
        noKey.FabricIdentity.KeyFile = "";
        var noMsp = Valid();
        noMsp.FabricIdentity.MspId = "";

        Assert.Contains("Processing:Whitelist:FabricIdentity:CertificateFile", Assert.Throws<ArgumentException>(noCertificate.Validate).Message, StringComparison.Ordinal);
        Assert.Contains("Processing:Whitelist:FabricIdentity:KeyFile", Assert.Throws<ArgumentException>(noKey.Validate).Message, StringComparison.Ordinal);
        Assert.Contains("Processing:Whitelist:FabricIdentity:MspId", Assert.Throws<ArgumentException>(noMsp.Validate).Message, StringComparison.Ordinal);
    }

    private static WhitelistOptions Valid() => new()
    {
        Transport = WhitelistTransport.Gateway,
        FabricPeers =
        [
            new FabricPeerOptions
            {
                Id = "peer0.orghq.example.com",
                Endpoint = "https://peer0.orghq.example.com:7051",
                TlsCaFile = "/fabric/tlsca.orghq.example.com-cert.pem",
            },
        ],
        FabricIdentity = new FabricIdentityOptions { MspId = "OrgHQMSP", CertificateFile = "/fabric/cert.pem", KeyFile = "/fabric/priv_sk" },
    };
}
