
namespace Pipeline.Ledger.Fabric.Client;

/// <summary>The transaction was ordered into a block but validated as invalid (e.g. MVCC_READ_CONFLICT): its writes were discarded.</summary>
public sealed class CommitException : Exception
{
    public CommitException()
    {
    }

    public CommitException(string message)
        : base(message)
    {
    }

    public CommitException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public CommitException(CommitStatus status)
        : base($"transaction {status?.TxId} failed to commit with status {status?.Code} in block {status?.BlockNumber}")
    {
        ArgumentNullException.ThrowIfNull(status);
        TxId = status.TxId;
        Code = status.Code;
        BlockNumber = status.BlockNumber;
    }

    /// <summary>Transaction id.</summary>
    public string TxId { get; } = string.Empty;

    /// <summary>Validation code.</summary>
    public Protos.Peer.TxValidationCode Code { get; }

    /// <summary>Block holding the invalid transaction.</summary>
    public ulong BlockNumber { get; }
}
