namespace Pipeline.Chaincode;

/// <summary>Function names of <see cref="WhitelistContract"/> and their string arguments.</summary>
public static class WhitelistFunctions
{
    /// <summary>(endpointId, organisation, platform) → EndpointRecord. Admin only.</summary>
    public const string EnrollEndpoint = nameof(EnrollEndpoint);

    /// <summary>(endpointId) → EndpointRecord.</summary>
    public const string ReadEndpoint = nameof(ReadEndpoint);

    /// <summary>(sha256, appName, appVersion, platform, ownerRole[, ownerId[, approver]]) → WhitelistAsset. Admin only.</summary>
    public const string CreateAsset = nameof(CreateAsset);

    /// <summary>(sha256) → WhitelistAsset.</summary>
    public const string ReadAsset = nameof(ReadAsset);

    /// <summary>(sha256) → true/false.</summary>
    public const string AssetExists = nameof(AssetExists);

    /// <summary>(sha256, appName, appVersion, platform[, approver]) → WhitelistAsset. Admin only; ownership unchanged.</summary>
    public const string UpdateAsset = nameof(UpdateAsset);

    /// <summary>(sha256, newOwnerRole[, newOwnerId]) → WhitelistAsset. Admin only.</summary>
    public const string TransferAsset = nameof(TransferAsset);

    /// <summary>(sha256[, reason]) → the revoked WhitelistAsset. Admin only.</summary>
    public const string DeleteAsset = nameof(DeleteAsset);

    /// <summary>([pageSize[, bookmark]]) → AssetPage.</summary>
    public const string GetAllAssets = nameof(GetAllAssets);

    /// <summary>(sha256) → AssetHistoryEntry[] oldest first.</summary>
    public const string GetAssetHistory = nameof(GetAssetHistory);

    /// <summary>(appName) → WhitelistAsset[] with that name.</summary>
    public const string FindByAppName = nameof(FindByAppName);

    /// <summary>(sha256...) or one JSON array of hashes → ExecutionCheck[] in the same order.</summary>
    public const string VerifyExecutions = nameof(VerifyExecutions);

    /// <summary>Functions that change state (must be submitted).</summary>
    public static IReadOnlySet<string> Writes { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        EnrollEndpoint, CreateAsset, UpdateAsset, TransferAsset, DeleteAsset,
    };
}
