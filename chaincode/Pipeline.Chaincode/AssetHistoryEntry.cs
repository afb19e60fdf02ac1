namespace Pipeline.Chaincode;

/// <summary>One committed change of an asset.</summary>
/// <param name="TxId">Transaction that made it.</param>
/// <param name="Timestamp">Its timestamp.</param>
/// <param name="IsDelete">True for a revocation.</param>
/// <param name="Asset">Asset after the change; null for a revocation.</param>
public sealed record AssetHistoryEntry(string TxId, DateTimeOffset Timestamp, bool IsDelete, WhitelistAsset? Asset);
