using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Pipeline.Ledger.Fabric.Msp;
using Pipeline.Ledger.Fabric.Protos.Common;
using Pipeline.Ledger.Fabric.Protos.Msp;
using Pipeline.Ledger.Fabric.Protos.Peer;

namespace Pipeline.Ledger.Tests;

/// <summary>
/// A client of the test network: an MSP id, a freshly generated ECDSA P-256 key and an X.509 certificate
/// carrying the Fabric CA attribute extension (<c>{"attrs":{"role":...}}</c>) or a NodeOU in the subject.
/// It builds SignedProposals the way a Fabric client does.
/// </summary>
internal sealed class ShimTestIdentity : IDisposable
{
    private readonly ECDsa _key;

    private ShimTestIdentity(string mspId, ECDsa key, string certificatePem)
    {
        MspId = mspId;
        _key = key;
        CertificatePem = certificatePem;
    }

    public string MspId { get; }

    public string CertificatePem { get; }

    /// <summary>A client whose certificate carries the Fabric CA attribute <c>role</c> (or none when null).</summary>
    public static ShimTestIdentity WithRoleAttribute(string name, string mspId, string? role, string ou = "client") =>
        Create($"CN={name}, OU={ou}, O={mspId}", mspId, role is null ? null : $"{{\"attrs\":{{\"role\":\"{role}\",\"hf.EnrollmentID\":\"{name}\"}}}}");

    /// <summary>A cryptogen-style certificate: no attributes, the NodeOU in the subject (e.g. <c>admin</c>).</summary>
    public static ShimTestIdentity WithNodeOu(string name, string mspId, string ou) =>
        Create($"CN={name}, OU={ou}, O={mspId}", mspId, null);

    public ByteString SerializedIdentity() =>
        new SerializedIdentity { Mspid = MspId, IdBytes = ByteString.CopyFromUtf8(CertificatePem) }.ToByteString();

    /// <summary>A signed proposal for <paramref name="txId"/> invoking <paramref name="args"/>, as a Fabric client builds it.</summary>
    public SignedProposal Propose(string channelId, string chaincode, string txId, DateTimeOffset timestamp, IEnumerable<ByteString> args)
    {
        var channelHeader = new ChannelHeader
        {
            Type = (int)HeaderType.EndorserTransaction,
            ChannelId = channelId,
            TxId = txId,
            Timestamp = Timestamp.FromDateTimeOffset(timestamp),
            Extension = new ChaincodeHeaderExtension { ChaincodeId = new ChaincodeID { Name = chaincode } }.ToByteString(),
        };
        var signatureHeader = new SignatureHeader { Creator = SerializedIdentity(), Nonce = ByteString.CopyFrom(RandomNumberGenerator.GetBytes(24)) };
        var input = new ChaincodeInput();
        input.Args.AddRange(args);
        var proposal = new Proposal
        {
            Header = new Header { ChannelHeader = channelHeader.ToByteString(), SignatureHeader = signatureHeader.ToByteString() }.ToByteString(),
            Payload = new ChaincodeProposalPayload
            {
                Input = new ChaincodeInvocationSpec
                {
                    ChaincodeSpec = new ChaincodeSpec { ChaincodeId = new ChaincodeID { Name = chaincode }, Input = input, Type = ChaincodeSpec.Types.Type.Golang },
                }.ToByteString(),
            }.ToByteString(),
        };
        var bytes = proposal.ToByteString();
        return new SignedProposal
        {
            ProposalBytes = bytes,
            Signature = ByteString.CopyFrom(_key.SignData(bytes.Span, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)),
        };
    }

    public void Dispose() => _key.Dispose();

    private static ShimTestIdentity Create(string subject, string mspId, string? attributesJson)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        if (attributesJson is not null)
        {
            request.CertificateExtensions.Add(new X509Extension(FabricCaAttributes.Oid, Encoding.UTF8.GetBytes(attributesJson), critical: false));
        }

        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return new ShimTestIdentity(mspId, key, certificate.ExportCertificatePem());
    }
}
