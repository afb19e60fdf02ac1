using Pipeline.Chaincode;

namespace Pipeline.Ledger;

/// <summary>An endorsed transaction as ordered into a block: the proposal and its read/write set.</summary>
public sealed record LedgerTransaction
{
    public required string TxId { get; init; }

    public required string ChannelId { get; init; }

    public required string Function { get; init; }

    public required IReadOnlyList<string> Args { get; init; }

    public required ClientIdentity Creator { get; init; }

    /// <summary>Client timestamp of the proposal.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Peer that simulated the proposal.</summary>
    public required string EndorserId { get; init; }

    /// <summary>Keys read, ordinal order, with the versions seen.</summary>
    public required IReadOnlyList<ReadSetEntry> Reads { get; init; }

    /// <summary>Keys written, ordinal order.</summary>
    public required IReadOnlyList<WriteSetEntry> Writes { get; init; }

    /// <summary>Event set by the contract, if any.</summary>
    public ChaincodeEvent? Event { get; init; }
}
