using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Pipeline.Ledger.Fabric.Protos.Common;
using Pipeline.Ledger.Fabric.Protos.Peer;

namespace Pipeline.Ledger.Fabric.Client;

/// <summary>
/// A signed transaction proposal as Fabric's clients build it: a channel header (ENDORSER_TRANSACTION,
/// channel, transaction id, timestamp, chaincode extension), a signature header (creator = serialized
/// identity, 24-byte random nonce), a chaincode invocation spec whose args are the function name then
/// the arguments, and the creator's signature over the proposal bytes. Transaction id = hex
/// SHA-256(nonce ‖ creator).
/// </summary>
internal sealed class TransactionProposal
{
    /// <summary>Length of the random nonce.</summary>
    public const int NonceLength = 24;

    private TransactionProposal(string txId, SignedProposal signed)
    {
        TxId = txId;
        Signed = signed;
    }

    public string TxId { get; }

    public SignedProposal Signed { get; }

    public static TransactionProposal Create(
        Identity identity, Signer signer, string channelName, string chaincodeName, string function, IReadOnlyList<string> args, DateTimeOffset timestamp)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentException.ThrowIfNullOrEmpty(channelName);
        ArgumentException.ThrowIfNullOrEmpty(chaincodeName);
        ArgumentException.ThrowIfNullOrEmpty(function);
        ArgumentNullException.ThrowIfNull(args);

        var creator = identity.Serialize();
        var nonce = RandomNumberGenerator.GetBytes(NonceLength);
        var txId = TransactionEnvelopes.TransactionId(nonce, creator.Span);
        var chaincodeId = new ChaincodeID { Name = chaincodeName };
        var channelHeader = new ChannelHeader
        {
            Type = (int)HeaderType.EndorserTransaction,
            ChannelId = channelName,
            TxId = txId,
            Timestamp = Timestamp.FromDateTimeOffset(timestamp),
            Epoch = 0,
            Extension = new ChaincodeHeaderExtension { ChaincodeId = chaincodeId }.ToByteString(),
        };
        var signatureHeader = new SignatureHeader { Creator = creator, Nonce = ByteString.CopyFrom(nonce) };
        var input = new ChaincodeInput();
        input.Args.Add(ByteString.CopyFrom(Encoding.UTF8.GetBytes(function)));
        foreach (var arg in args)
        {
            input.Args.Add(ByteString.CopyFrom(Encoding.UTF8.GetBytes(arg)));
        }

        var invocation = new ChaincodeInvocationSpec
        {
            ChaincodeSpec = new ChaincodeSpec { Type = ChaincodeSpec.Types.Type.Node, ChaincodeId = chaincodeId, Input = input },
        };
        var proposal = new Proposal
        {
            Header = new Header { ChannelHeader = channelHeader.ToByteString(), SignatureHeader = signatureHeader.ToByteString() }.ToByteString(),
            Payload = new ChaincodeProposalPayload { Input = invocation.ToByteString() }.ToByteString(),
        };
        var proposalBytes = proposal.ToByteString();
        var signed = new SignedProposal { ProposalBytes = proposalBytes, Signature = ByteString.CopyFrom(signer.Sign(proposalBytes.Span)) };
        return new TransactionProposal(txId, signed);
    }
}
