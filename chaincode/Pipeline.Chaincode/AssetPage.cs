namespace Pipeline.Chaincode;

/// <summary>One page of GetAllAssets.</summary>
/// <param name="Assets">Assets in hash order.</param>
/// <param name="Bookmark">Pass it to get the next page; empty when there are no more.</param>
public sealed record AssetPage(IReadOnlyList<WhitelistAsset> Assets, string Bookmark);
