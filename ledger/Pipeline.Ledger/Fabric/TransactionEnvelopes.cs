using Google.Protobuf;
using Pipeline.Ledger.Fabric.Protos.Common;
using Pipeline.Ledger.Fabric.Protos.Peer;

namespace Pipeline.Ledger.Fabric;

/// <summary>Reading the parts of an endorser transaction envelope that client and peer both need.</summary>
internal static class TransactionEnvelopes
{
    /// <summary>The chaincode response (status, message, payload) endorsed inside <paramref name="envelope"/>.</summary>
    /// <exception cref="InvalidProtocolBufferException">The envelope's bytes are malformed.</exception>
    /// <exception cref="FormatException">The envelope is not a single-action endorser transaction.</exception>
    public static Response ChaincodeResponse(Envelope envelope) => ChaincodeAction(envelope).Response
        ?? throw new FormatException("endorsed chaincode action has no response");

    /// <summary>The endorsed chaincode action (read/write set, event, response).</summary>
    public static ChaincodeAction ChaincodeAction(Envelope envelope)
    {
        var responsePayload = ProposalResponsePayload.Parser.ParseFrom(ActionPayload(envelope).Action.ProposalResponsePayload);
        return Protos.Peer.ChaincodeAction.Parser.ParseFrom(responsePayload.Extension);
    }

    /// <summary>The single chaincode action payload of the envelope's transaction.</summary>
    public static ChaincodeActionPayload ActionPayload(Envelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var payload = Payload.Parser.ParseFrom(envelope.Payload);
        var transaction = Transaction.Parser.ParseFrom(payload.Data);
        if (transaction.Actions.Count != 1)
        {
            throw new FormatException($"endorser transaction has {transaction.Actions.Count} actions, expected 1");
        }

        var action = ChaincodeActionPayload.Parser.ParseFrom(transaction.Actions[0].Payload);
        return action.Action is null ? throw new FormatException("chaincode action payload has no endorsed action") : action;
    }

    /// <summary>
    /// The proposal hash endorsements sign over: SHA-256 of channel header ‖ signature header ‖
    /// chaincode proposal payload without its transient map, as Fabric computes it.
    /// </summary>
    public static byte[] ProposalHash(ByteString channelHeader, ByteString signatureHeader, ByteString chaincodeProposalPayloadWithoutTransient)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        hash.AppendData(channelHeader.Span);
        hash.AppendData(signatureHeader.Span);
        hash.AppendData(chaincodeProposalPayloadWithoutTransient.Span);
        return hash.GetHashAndReset();
    }

    /// <summary>Transaction id as Fabric derives it: lower-case hex SHA-256 of nonce ‖ creator.</summary>
    public static string TransactionId(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> creator)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        hash.AppendData(nonce);
        hash.AppendData(creator);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
