using Grpc.Core;

namespace Pipeline.Ledger.Fabric.Client;

/// <summary>The Gateway's CommitStatus (the validation code could not be obtained; the transaction may still commit) failed.</summary>
public sealed class CommitStatusException : GatewayException
{
    public CommitStatusException()
    {
    }

    public CommitStatusException(string message)
        : base(message)
    {
    }

    public CommitStatusException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CommitStatusException(string txId, RpcException cause)
        : base("CommitStatus", txId, cause)
    {
    }
}
