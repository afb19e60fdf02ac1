namespace Pipeline.Ledger.Tests;

public sealed class WhitelistCatalogueUnitTests
{
    private static readonly string Sha = new('a', 64);

    [Fact]
    public void Parse_ObjectWithSections_ReadsEndpointsAndApps()
    {
        var text = $$"""
            {"endpoints":[{"endpointId":"ws-1","organisation":"plant-a","platform":"linux"}],
             "apps":[{"sha256":"{{Sha}}","appName":"chrome","appVersion":"120","platform":"linux","ownerRole":"user"}]}
            """;

        var catalogue = WhitelistCatalogue.Parse(text);

        Assert.Equal("ws-1", Assert.Single(catalogue.Endpoints).EndpointId);
        var app = Assert.Single(catalogue.Apps);
        Assert.Equal(("chrome", "user", null), (app.AppName, app.OwnerRole, app.OwnerId));
    }

    [Fact]
    public void Parse_JsonLines_ClassifiesEachLine()
    {
        var text = $$"""
            {"endpointId":"ws-1","organisation":"plant-a","platform":"linux"}

            {"sha256":"{{Sha}}","appName":"vim","appVersion":"9","platform":"linux","ownerRole":"admin","ownerId":"ops","approver":"carol"}
            """;

        var catalogue = WhitelistCatalogue.Parse(text);

        Assert.Single(catalogue.Endpoints);
        Assert.Equal(("ops", "carol"), (catalogue.Apps[0].OwnerId, catalogue.Apps[0].Approver));
    }

    [Fact]
    public void Parse_JsonArray_ReadsItems()
    {
        var text = $$"""[{"sha256":"{{Sha}}","appName":"a","appVersion":"1","platform":"linux","ownerRole":"user"}]""";

        Assert.Single(WhitelistCatalogue.Parse(text).Apps);
    }

    [Fact]
    public void ToJsonLines_RoundTrips()
    {
        var catalogue = new WhitelistCatalogue
        {
            Endpoints = [new CatalogueEndpoint { EndpointId = "ws-9", Organisation = "fleet", Platform = "android" }],
            Apps = [new CatalogueApp { Sha256 = Sha, AppName = "nav", AppVersion = "3", Platform = "android", OwnerRole = "user", OwnerId = "drivers" }],
        };

        var parsed = WhitelistCatalogue.Parse(catalogue.ToJsonLines());

        Assert.Equal(catalogue.Endpoints, parsed.Endpoints);
        Assert.Equal(catalogue.Apps, parsed.Apps);
    }

    [Fact]
    public void Parse_UpperCaseHashOnLineTwo_ThrowsNamingLine()
    {
        var text = $$"""
            {"endpointId":"ws-1","organisation":"plant-a","platform":"linux"}
            {"sha256":"{{Sha.ToUpperInvariant()}}","appName":"a","appVersion":"1","platform":"linux","ownerRole":"user"}
            """;

        var ex = Assert.Throws<CatalogueFormatException>(() => WhitelistCatalogue.Parse(text));

        Assert.Equal("line 2", ex.Item);
        Assert.Contains("64 lower-case hex", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AppMissingVersion_ThrowsNamingItem()
    {
        var text = $$"""{"apps":[{"sha256":"{{Sha}}","appName":"a","platform":"linux","ownerRole":"user"}]}""";

        var ex = Assert.Throws<CatalogueFormatException>(() => WhitelistCatalogue.Parse(text));

        Assert.Equal("apps[0]", ex.Item);
    }

    [Fact]
    public void Parse_UnknownItem_ThrowsNamingIt()
    {
        var ex = Assert.Throws<CatalogueFormatException>(() => WhitelistCatalogue.Parse("[{\"name\":\"x\"}]"));

        Assert.Equal("item 0", ex.Item);
    }

    [Fact]
    public void Parse_BrokenLine_ThrowsNamingLine()
    {
        var ex = Assert.Throws<CatalogueFormatException>(() =>
            WhitelistCatalogue.Parse("{\"endpointId\":\"a\",\"organisation\":\"o\",\"platform\":\"p\"}\n{oops"));

        Assert.Equal("line 2", ex.Item);
    }

    [Fact]
    public void Parse_ProducersExportWithExtraFields_ReadsAppsAndEndpoints()
    {
        // Shape written by 'pipeline produce catalogue': header fields and per-item extras are ignored.
        var text = $$"""
            {"format":"pipeline.whitelist-catalogue/v1","scenario":"default","seed":42,
             "apps":[{"sha256":"{{Sha}}","appName":"navigation","appVersion":"4.2.1","platform":"linux-x64",
                      "ownerRole":"user","ownerId":"user","approver":"it-security","executablePath":"/opt/navigation/bin/navigation"}],
             "endpoints":[{"endpointId":"truck-001","organisation":"fleet","platform":"linux-x64","kind":"vehicle"}]}
            """;

        var catalogue = WhitelistCatalogue.Parse(text);

        Assert.Equal("it-security", Assert.Single(catalogue.Apps).Approver);
        Assert.Equal("truck-001", Assert.Single(catalogue.Endpoints).EndpointId);
    }
}
