using Google.Protobuf;
using Pipeline.Chaincode;
using Pipeline.Ledger.Fabric.Protos.Common;
using Pipeline.Ledger.Fabric.Protos.Peer;

namespace Pipeline.Ledger.Fabric.Chaincode;

/// <summary>
/// What a chaincode learns from the signed proposal that came with a TRANSACTION: the creator
/// identity (signature header), the client's timestamp (channel header) and the transaction id.
/// </summary>
/// <param name="Creator">The identity that signed the proposal.</param>
/// <param name="Timestamp">Timestamp the client put in the channel header.</param>
/// <param name="TxId">Transaction id in the channel header.</param>
/// <param name="ChannelId">Channel in the channel header.</param>
internal sealed record TransactionHeader(ClientIdentity Creator, DateTimeOffset Timestamp, string TxId, string ChannelId)
{
    /// <summary>
    /// Reads SignedProposal → Proposal → Header → (ChannelHeader, SignatureHeader → SerializedIdentity),
    /// as Fabric's shim does when it builds a stub. The peer has already verified the signature.
    /// </summary>
    /// <exception cref="ChaincodeProtocolException">The proposal is missing or any layer is malformed.</exception>
    public static TransactionHeader Read(SignedProposal? signed, string txId)
    {
        if (signed is null || signed.ProposalBytes.IsEmpty)
        {
            throw new ChaincodeProtocolException(txId, $"transaction {txId} carries no signed proposal; the creator identity comes from it");
        }

        var proposal = Parse(Proposal.Parser, signed.ProposalBytes, "proposal", txId);
        var header = Parse(Header.Parser, proposal.Header, "proposal header", txId);
        var channelHeader = Parse(ChannelHeader.Parser, header.ChannelHeader, "channel header", txId);
        if (channelHeader.Type != (int)HeaderType.EndorserTransaction)
        {
            throw new ChaincodeProtocolException(txId, $"transaction {txId}: channel header type {channelHeader.Type} is not ENDORSER_TRANSACTION ({(int)HeaderType.EndorserTransaction})");
        }

        var signatureHeader = Parse(SignatureHeader.Parser, header.SignatureHeader, "signature header", txId);
        if (signatureHeader.Creator.IsEmpty)
        {
            throw new ChaincodeProtocolException(txId, $"transaction {txId}: signature header has no creator");
        }

        ClientIdentity creator;
        try
        {
            creator = CertificateIdentity.FromSerializedIdentity(signatureHeader.Creator);
        }
        catch (ChaincodeProtocolException ex)
        {
            throw new ChaincodeProtocolException(txId, $"transaction {txId}: {ex.Message}", ex);
        }

        var timestamp = channelHeader.Timestamp is null ? DateTimeOffset.UnixEpoch : channelHeader.Timestamp.ToDateTimeOffset();
        return new TransactionHeader(creator, timestamp, channelHeader.TxId, channelHeader.ChannelId);
    }

    private static T Parse<T>(MessageParser<T> parser, ByteString bytes, string what, string txId)
        where T : IMessage<T>
    {
        try
        {
            return parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new ChaincodeProtocolException(txId, $"transaction {txId}: {what} is malformed ({ex.Message})", ex);
        }
    }
}
