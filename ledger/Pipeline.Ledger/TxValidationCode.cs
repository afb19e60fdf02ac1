namespace Pipeline.Ledger;

/// <summary>Outcome of validating a transaction at commit (the same on every peer).</summary>
public enum TxValidationCode
{
    /// <summary>Committed: its writes are in the world state.</summary>
    Valid = 0,

    /// <summary>A key it read changed between endorsement and commit; its writes were discarded.</summary>
    MvccReadConflict = 1,

    /// <summary>A transaction with the same id was already committed.</summary>
    DuplicateTxId = 2,

    /// <summary>It was endorsed on another channel.</summary>
    WrongChannel = 3,
}
