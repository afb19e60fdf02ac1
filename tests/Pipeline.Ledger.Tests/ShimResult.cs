using System.Text;
using Pipeline.Ledger.Fabric.Protos.Peer;
using MessageType = Pipeline.Ledger.Fabric.Protos.Peer.ChaincodeMessage.Types.Type;

namespace Pipeline.Ledger.Tests;

/// <summary>How the chaincode ended a transaction, and the state calls it made before.</summary>
internal sealed record ShimResult(ChaincodeMessage Reply, IReadOnlyList<MessageType> Calls)
{
    public bool IsCompleted => Reply.Type == MessageType.Completed;

    /// <summary>The protos.Response of a COMPLETED reply.</summary>
    public Response Response => IsCompleted
        ? Response.Parser.ParseFrom(Reply.Payload)
        : throw new InvalidOperationException($"the chaincode answered {Reply.Type}: {Reply.Payload.ToStringUtf8()}");

    public string PayloadText => Encoding.UTF8.GetString(Response.Payload.Span);

    /// <summary>The text of an ERROR reply.</summary>
    public string ErrorText => Reply.Type == MessageType.Error
        ? Reply.Payload.ToStringUtf8()
        : throw new InvalidOperationException($"the chaincode answered {Reply.Type}, not ERROR");
}
