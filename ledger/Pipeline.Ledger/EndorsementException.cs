using Pipeline.Chaincode;

namespace Pipeline.Ledger;

/// <summary>The contract refused a submitted proposal during endorsement; nothing was ordered.</summary>
public sealed class EndorsementException : Exception
{
    public EndorsementException()
    {
    }

    public EndorsementException(string message)
        : base(message)
    {
    }

    public EndorsementException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public EndorsementException(string txId, string peerId, ContractException cause)
        : base($"transaction {txId} was refused by {peerId}: {cause?.Message}", cause)
    {
        ArgumentNullException.ThrowIfNull(cause);
        TxId = txId;
        PeerId = peerId;
        Code = cause.Code;
    }

    /// <summary>Transaction id of the refused proposal.</summary>
    public string TxId { get; } = string.Empty;

    /// <summary>Endorsing peer.</summary>
    public string PeerId { get; } = string.Empty;

    /// <summary>Contract error code.</summary>
    public ContractErrorCode Code { get; }
}
