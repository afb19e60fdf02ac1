namespace Pipeline.Ledger;

/// <summary>
/// An ordered block. Its <see cref="Hash"/> is SHA-256 over the header: the number (8 bytes,
/// big-endian), the previous block's hash and the data hash (SHA-256 of the transactions' JSON).
/// </summary>
public sealed record Block
{
    /// <summary>Position in the chain, from 0.</summary>
    public required long Number { get; init; }

    /// <summary>Hash of the previous block, hex; 64 zeros for block 0.</summary>
    public required string PreviousHash { get; init; }

    /// <summary>SHA-256 of the serialized transactions, hex.</summary>
    public required string DataHash { get; init; }

    /// <summary>SHA-256 of the header, hex.</summary>
    public required string Hash { get; init; }

    /// <summary>Transactions in order.</summary>
    public required IReadOnlyList<LedgerTransaction> Transactions { get; init; }
}
