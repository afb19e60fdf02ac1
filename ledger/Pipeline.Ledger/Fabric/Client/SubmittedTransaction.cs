namespace Pipeline.Ledger.Fabric.Client;

/// <summary>A submitted transaction: its id, the endorsed result and how it committed.</summary>
/// <param name="TxId">Transaction id.</param>
/// <param name="Result">The contract's response payload, as endorsed.</param>
/// <param name="Status">Validation code and block.</param>
public sealed record SubmittedTransaction(string TxId, byte[] Result, CommitStatus Status);
