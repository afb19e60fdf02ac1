namespace Pipeline.Ledger.Fabric.Chaincode;

/// <summary>
/// The chaincode shim conversation went wrong: a malformed or unexpected <c>ChaincodeMessage</c>, a peer
/// that answered a state call with ERROR, or a call the peer did not answer in time. The message names
/// the transaction, the message type and the cause.
/// </summary>
public sealed class ChaincodeProtocolException : Exception
{
    public ChaincodeProtocolException()
    {
    }

    public ChaincodeProtocolException(string message)
        : base(message)
    {
    }

    public ChaincodeProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates an exception for transaction <paramref name="txId"/> (may be empty).</summary>
    public ChaincodeProtocolException(string txId, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        TxId = txId;
    }

    /// <summary>Transaction the failure belongs to; empty when it concerns the stream itself.</summary>
    public string TxId { get; } = string.Empty;
}
