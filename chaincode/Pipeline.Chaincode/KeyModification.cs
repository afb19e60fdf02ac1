namespace Pipeline.Chaincode;

/// <summary>One committed change of a key, as returned by <see cref="IChaincodeStub.GetHistoryForKey"/>.</summary>
/// <param name="TxId">Transaction that made the change.</param>
/// <param name="Timestamp">Timestamp of that transaction.</param>
/// <param name="IsDelete">True when the change deleted the key.</param>
/// <param name="Value">Value written (empty for a delete).</param>
public sealed record KeyModification(string TxId, DateTimeOffset Timestamp, bool IsDelete, byte[] Value);
