using Grpc.Core;

namespace Pipeline.Ledger.Fabric.Client;

/// <summary>The Gateway's Endorse (simulation or endorsement refused; nothing was ordered) failed.</summary>
public sealed class EndorseException : GatewayException
{
    public EndorseException()
    {
    }

    public EndorseException(string message)
        : base(message)
    {
    }

    public EndorseException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public EndorseException(string txId, RpcException cause)
        : base("Endorse", txId, cause)
    {
    }
}
