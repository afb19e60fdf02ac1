using Grpc.Core;

namespace Pipeline.Ledger.Fabric.Client;

/// <summary>The Gateway's Submit (the orderer did not accept the signed transaction) failed.</summary>
public sealed class SubmitException : GatewayException
{
    public SubmitException()
    {
    }

    public SubmitException(string message)
        : base(message)
    {
    }

    public SubmitException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SubmitException(string txId, RpcException cause)
        : base("Submit", txId, cause)
    {
    }
}
