namespace Pipeline.Producers.Catalogue;

/// <summary>One enrolled endpoint (the arguments of the chaincode's EnrollEndpoint, plus its kind).</summary>
public sealed record CatalogueEndpoint
{
    public required string EndpointId { get; init; }

    public required string Organisation { get; init; }

    public required string Platform { get; init; }

    /// <summary>"vehicle" or "seat-tablet".</summary>
    public required string Kind { get; init; }
}
