namespace Pipeline.Producers.Catalogue;

/// <summary>One approved executable: a whitelist asset keyed by its SHA-256
/// (the arguments of the chaincode's CreateAsset, plus where the file lives).</summary>
public sealed record CatalogueApp
{
    /// <summary>64 lower-case hex digits.</summary>
    public required string Sha256 { get; init; }

    public required string AppName { get; init; }

    public required string AppVersion { get; init; }

    public required string Platform { get; init; }

    /// <summary>"admin" or "user".</summary>
    public required string OwnerRole { get; init; }

    public required string OwnerId { get; init; }

    public required string Approver { get; init; }

    public required string ExecutablePath { get; init; }
}
