using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Google.Protobuf;
using Pipeline.Ledger.Fabric;
using Pipeline.Ledger.Fabric.Client;
using Pipeline.Ledger.Fabric.Msp;
using Pipeline.Ledger.Fabric.Protos.Common;
using Pipeline.Ledger.Fabric.Protos.Msp;
using Pipeline.Ledger.Fabric.Protos.Peer;

namespace Pipeline.Ledger.Tests;

public sealed class ProposalUnitTests : IDisposable
{
    private static readonly BigInteger P256Order = BigInteger.Parse(
        "115792089210356248762697446949407573529996955224135760342422259061068512044369", System.Globalization.CultureInfo.InvariantCulture);

    private readonly TestLedger _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Create_ParsesBackIntoFabricMessages_WithTheRightHeadersAndArgs()
    {
        MspGenerator.Generate(_dir.Directory, "Org1MSP");
        var identity = Identity.FromLedgerDirectory(_dir.Directory, "Org1MSP", MspLayout.User);
        using var signer = Signer.FromLedgerDirectory(_dir.Directory, "Org1MSP", MspLayout.User);
        var timestamp = new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

        var built = TransactionProposal.Create(identity, signer, "whitelist", "whitelist", "ReadAsset", ["abc", "zé"], timestamp);

        var proposal = Proposal.Parser.ParseFrom(built.Signed.ProposalBytes);
        var header = Header.Parser.ParseFrom(proposal.Header);
        var channelHeader = ChannelHeader.Parser.ParseFrom(header.ChannelHeader);
        var signatureHeader = SignatureHeader.Parser.ParseFrom(header.SignatureHeader);
        Assert.Equal((int)HeaderType.EndorserTransaction, channelHeader.Type);
        Assert.Equal("whitelist", channelHeader.ChannelId);
        Assert.Equal(built.TxId, channelHeader.TxId);
        Assert.Equal(timestamp, channelHeader.Timestamp.ToDateTimeOffset());
        Assert.Equal("whitelist", ChaincodeHeaderExtension.Parser.ParseFrom(channelHeader.Extension).ChaincodeId.Name);

        var creator = SerializedIdentity.Parser.ParseFrom(signatureHeader.Creator);
        Assert.Equal("Org1MSP", creator.Mspid);
        Assert.Equal(identity.CertificatePem, creator.IdBytes.ToStringUtf8());
        Assert.Equal(24, signatureHeader.Nonce.Length);
        var expectedTxId = Convert.ToHexStringLower(SHA256.HashData([.. signatureHeader.Nonce.ToByteArray(), .. signatureHeader.Creator.ToByteArray()]));
        Assert.Equal(expectedTxId, built.TxId);

        var spec = ChaincodeInvocationSpec.Parser.ParseFrom(ChaincodeProposalPayload.Parser.ParseFrom(proposal.Payload).Input).ChaincodeSpec;
        Assert.Equal("whitelist", spec.ChaincodeId.Name);
        Assert.Equal(["ReadAsset", "abc", "zé"], spec.Input.Args.Select(a => a.ToStringUtf8()));
    }

    [Fact]
    public void Create_SignsTheProposalBytes_WithALowSDerSignatureTheCertificateVerifies()
    {
        MspGenerator.Generate(_dir.Directory, "Org1MSP");
        var identity = Identity.FromLedgerDirectory(_dir.Directory, "Org1MSP", MspLayout.Admin);
        using var signer = Signer.FromLedgerDirectory(_dir.Directory, "Org1MSP", MspLayout.Admin);
        using var certificate = X509Certificate2.CreateFromPem(identity.CertificatePem);
        using var publicKey = certificate.GetECDsaPublicKey()!;

        for (var i = 0; i < 20; i++)
        {
            var built = TransactionProposal.Create(identity, signer, "whitelist", "whitelist", "AssetExists", [i.ToString(System.Globalization.CultureInfo.InvariantCulture)], DateTimeOffset.UtcNow);
            var signature = built.Signed.Signature.ToByteArray();
            var bytes = built.Signed.ProposalBytes.ToByteArray();

            Assert.True(publicKey.VerifyData(bytes, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
            Assert.True(S(signature) <= P256Order / 2, "signature S must be low");
            bytes[^1] ^= 1;
            Assert.False(publicKey.VerifyData(bytes, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        }
    }

    [Fact]
    public void Verify_HighSTwinOfAValidSignature_IsRefused()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var message = "proposal"u8.ToArray();
        var low = EcdsaSignatures.Sign(key, message);
        var reader = new AsnReader(low, AsnEncodingRules.DER).ReadSequence();
        var r = reader.ReadInteger();
        var s = reader.ReadInteger();
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(r);
            writer.WriteInteger(P256Order - s);
        }

        var high = writer.Encode();

        Assert.True(EcdsaSignatures.Verify(key, message, low));
        Assert.True(key.VerifyData(message, high, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence), "the twin is mathematically valid");
        Assert.False(EcdsaSignatures.Verify(key, message, high));
        Assert.False(EcdsaSignatures.Verify(key, message, [0x30, 0x01, 0x00]));
    }

    [Fact]
    public void Authenticate_GeneratedIdentities_CarryMspAndRoleAttribute()
    {
        MspGenerator.Generate(_dir.Directory, "Org1MSP");
        MspGenerator.Generate(_dir.Directory, "Org2MSP");
        using var registry = MembershipRegistry.Load(_dir.Directory);

        var admin = registry.Authenticate(Identity.FromLedgerDirectory(_dir.Directory, "Org2MSP", MspLayout.Admin).Serialize());
        var user = registry.Authenticate(Identity.FromLedgerDirectory(_dir.Directory, "Org1MSP", MspLayout.User).Serialize());

        Assert.Equal(["Org1MSP", "Org2MSP"], registry.MspIds);
        Assert.Equal("Org2MSP", admin.Identity.MspId);
        Assert.True(admin.Identity.IsAdmin);
        Assert.Equal("admin@Org2MSP", admin.Identity.Id);
        Assert.False(user.Identity.IsAdmin);
        Assert.Equal("user", user.Identity.GetAttribute("role"));
    }

    [Fact]
    public void Authenticate_CertificateFromAnotherCaUnderATrustedMspId_IsRefused()
    {
        var other = new TestLedger();
        try
        {
            MspGenerator.Generate(_dir.Directory, "Org1MSP");
            MspGenerator.Generate(other.Directory, "Org1MSP");
            using var registry = MembershipRegistry.Load(_dir.Directory);
            var impostor = Identity.FromLedgerDirectory(other.Directory, "Org1MSP", MspLayout.Admin);

            var error = Assert.Throws<MspException>(() => registry.Authenticate(impostor.Serialize()));
            Assert.Contains("not valid for MSP 'Org1MSP'", error.Message, StringComparison.Ordinal);
            Assert.Throws<MspException>(() => registry.Authenticate(ByteString.CopyFromUtf8("not a protobuf identity \u0001\u0002")));
            Assert.Contains("unknown", Assert.Throws<MspException>(() => registry.Authenticate(new Identity("Org9MSP", impostor.CertificatePem).Serialize())).Message, StringComparison.Ordinal);
        }
        finally
        {
            other.Dispose();
        }
    }

    [Fact]
    public void Details_OfAGatewayError_RoundTripThroughTheStatusTrailer()
    {
        var detail = new Pipeline.Ledger.Fabric.Protos.Gateway.ErrorDetail { Address = "127.0.0.1:7051", MspId = "Org1MSP", Message = "boom" };

        var error = GatewayStatus.Error(Grpc.Core.StatusCode.Aborted, "failed to endorse", detail);

        var trailer = error.Trailers.Get(GatewayStatus.DetailsTrailer)!;
        var status = Pipeline.Ledger.Fabric.Protos.Rpc.Status.Parser.ParseFrom(trailer.ValueBytes);
        Assert.Equal((int)Grpc.Core.StatusCode.Aborted, status.Code);
        Assert.Equal("type.googleapis.com/gateway.ErrorDetail", Assert.Single(status.Details).TypeUrl);
        Assert.Equal(detail, Assert.Single(GatewayStatus.Details(error)));
    }

    private static BigInteger S(byte[] der)
    {
        var sequence = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
        sequence.ReadInteger();
        return sequence.ReadInteger();
    }
}
