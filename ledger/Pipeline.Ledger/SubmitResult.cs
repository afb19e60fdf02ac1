namespace Pipeline.Ledger;

/// <summary>Outcome of a submitted transaction once committed on every peer.</summary>
/// <param name="TxId">Transaction id.</param>
/// <param name="Code">Validation code; only <see cref="TxValidationCode.Valid"/> changed the state.</param>
/// <param name="BlockNumber">Block holding it.</param>
/// <param name="Payload">Contract response from endorsement (JSON).</param>
public sealed record SubmitResult(string TxId, TxValidationCode Code, long BlockNumber, byte[] Payload)
{
    /// <summary>True when the transaction is valid.</summary>
    public bool IsValid => Code == TxValidationCode.Valid;
}
