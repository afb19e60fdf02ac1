namespace Pipeline.Ledger.Fabric.Client;

/// <summary>
/// Remembers how far an event listener got: the block to resume at and the last transaction
/// processed in it, so a restarted stream neither misses nor repeats events.
/// </summary>
/// <remarks>In memory; persist <see cref="BlockNumber"/> and <see cref="TransactionId"/> to survive a restart. Thread-safe.</remarks>
public sealed class Checkpointer
{
    private readonly Lock _gate = new();
    private ulong? _blockNumber;
    private string _transactionId = string.Empty;

    /// <summary>Block to resume at (null: no position yet).</summary>
    public ulong? BlockNumber
    {
        get
        {
            lock (_gate)
            {
                return _blockNumber;
            }
        }
    }

    /// <summary>Last transaction processed in <see cref="BlockNumber"/> (empty: none).</summary>
    public string TransactionId
    {
        get
        {
            lock (_gate)
            {
                return _transactionId;
            }
        }
    }

    /// <summary>Block <paramref name="blockNumber"/> is fully processed: resume at the next one.</summary>
    public void CheckpointBlock(ulong blockNumber)
    {
        lock (_gate)
        {
            _blockNumber = blockNumber + 1;
            _transactionId = string.Empty;
        }
    }

    /// <summary>Transaction <paramref name="transactionId"/> of <paramref name="blockNumber"/> is processed.</summary>
    public void CheckpointTransaction(ulong blockNumber, string transactionId)
    {
        ArgumentException.ThrowIfNullOrEmpty(transactionId);
        lock (_gate)
        {
            _blockNumber = blockNumber;
            _transactionId = transactionId;
        }
    }

    /// <summary>The event's transaction is processed.</summary>
    public void CheckpointChaincodeEvent(CommittedChaincodeEvent chaincodeEvent)
    {
        ArgumentNullException.ThrowIfNull(chaincodeEvent);
        CheckpointTransaction(chaincodeEvent.BlockNumber, chaincodeEvent.TxId);
    }
}
