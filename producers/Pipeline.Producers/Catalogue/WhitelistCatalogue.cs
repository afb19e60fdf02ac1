namespace Pipeline.Producers.Catalogue;

/// <summary>
/// A scenario's whitelist: the approved executables (BCDID process 2, import apps on-chain) and the
/// enrolled endpoints (process 1). JSON format: docs/scenarios.md#whitelist-catalogue.
/// </summary>
public sealed record WhitelistCatalogue
{
    /// <summary>Format tag, so an importer can refuse what it does not understand.</summary>
    public string Format { get; init; } = FormatV1;

    public const string FormatV1 = "pipeline.whitelist-catalogue/v1";

    public required string Scenario { get; init; }

    public required long Seed { get; init; }

    public required IReadOnlyList<CatalogueApp> Apps { get; init; }

    public required IReadOnlyList<CatalogueEndpoint> Endpoints { get; init; }
}
