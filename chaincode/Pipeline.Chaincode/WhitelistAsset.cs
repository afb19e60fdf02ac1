namespace Pipeline.Chaincode;

/// <summary>An approved application: its SHA-256 is the asset key.</summary>
public sealed record WhitelistAsset
{
    /// <summary>Document type tag stored with the asset.</summary>
    public const string AssetDocType = "asset";

    /// <summary>Always <see cref="AssetDocType"/>.</summary>
    public string DocType { get; init; } = AssetDocType;

    /// <summary>SHA-256 of the executable, 64 lower-case hex characters.</summary>
    public required string Sha256 { get; init; }

    public required string AppName { get; init; }

    public required string AppVersion { get; init; }

    /// <summary>Operating system / platform the executable is built for.</summary>
    public required string Platform { get; init; }

    /// <summary>Ownership class: <c>admin</c> (may only be run by admins) or <c>user</c>.</summary>
    public required string OwnerRole { get; init; }

    /// <summary>Owner id (a user or group); equals <see cref="OwnerRole"/> when only the class is known.</summary>
    public required string OwnerId { get; init; }

    /// <summary>Who approved the application.</summary>
    public required string Approver { get; init; }

    /// <summary>MSP id of the admin that created the asset.</summary>
    public required string CreatedByMsp { get; init; }

    /// <summary>Transaction timestamp of the creation.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Transaction timestamp of the last change.</summary>
    public required DateTimeOffset UpdatedAt { get; init; }
}
