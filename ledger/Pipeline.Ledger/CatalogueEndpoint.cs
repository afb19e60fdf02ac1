namespace Pipeline.Ledger;

/// <summary>An endpoint to enroll, as listed in a <see cref="WhitelistCatalogue"/>.</summary>
public sealed record CatalogueEndpoint
{
    public required string EndpointId { get; init; }

    public required string Organisation { get; init; }

    public required string Platform { get; init; }
}
