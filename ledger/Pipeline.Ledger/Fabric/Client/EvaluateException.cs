using Grpc.Core;

namespace Pipeline.Ledger.Fabric.Client;

/// <summary>The Gateway's Evaluate (a query on one peer) failed.</summary>
public sealed class EvaluateException : GatewayException
{
    public EvaluateException()
    {
    }

    public EvaluateException(string message)
        : base(message)
    {
    }

    public EvaluateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public EvaluateException(string txId, RpcException cause)
        : base("Evaluate", txId, cause)
    {
    }
}
