
namespace Pipeline.Ledger.Fabric.Client;

/// <summary>How a submitted transaction was validated.</summary>
/// <param name="TxId">Transaction id.</param>
/// <param name="Code">Fabric validation code; only VALID changed the ledger.</param>
/// <param name="BlockNumber">Block holding it.</param>
public sealed record CommitStatus(string TxId, Protos.Peer.TxValidationCode Code, ulong BlockNumber)
{
    /// <summary>True when the transaction is valid.</summary>
    public bool IsSuccessful => Code == Protos.Peer.TxValidationCode.Valid;
}
