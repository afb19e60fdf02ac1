namespace Pipeline.Ledger;

/// <summary>An approved application to whitelist, as listed in a <see cref="WhitelistCatalogue"/>.</summary>
public sealed record CatalogueApp
{
    /// <summary>SHA-256 of the executable, 64 lower-case hex characters.</summary>
    public required string Sha256 { get; init; }

    public required string AppName { get; init; }

    public required string AppVersion { get; init; }

    public required string Platform { get; init; }

    /// <summary><c>admin</c> or <c>user</c>.</summary>
    public required string OwnerRole { get; init; }

    /// <summary>Owner id; defaults to <see cref="OwnerRole"/>.</summary>
    public string? OwnerId { get; init; }

    /// <summary>Approver; defaults to the importing admin.</summary>
    public string? Approver { get; init; }
}
