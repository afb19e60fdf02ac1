using Pipeline.Producers.Catalogue;
using Pipeline.Producers.Simulation;

namespace Pipeline.Producers.Tests;

public sealed class CatalogueUnitTests
{
    [Fact]
    public void BuildCatalogue_SameScenarioAndSeed_SameHashes()
    {
        var first = CatalogueJson.Serialize(new ScenarioWorld(TestScenarios.Small(), 5).BuildCatalogue());
        var second = CatalogueJson.Serialize(new ScenarioWorld(TestScenarios.Small(), 5).BuildCatalogue());
        var otherSeed = CatalogueJson.Serialize(new ScenarioWorld(TestScenarios.Small(), 6).BuildCatalogue());

        Assert.Equal(first, second);
        Assert.NotEqual(first, otherSeed);
    }

    [Fact]
    public void BuildCatalogue_CoversEveryExecutableOfEveryAppAndEveryEndpoint()
    {
        var world = new ScenarioWorld(Scenarios.ScenarioLoader.Default, 1);

        var catalogue = world.BuildCatalogue();

        // Default apps: executables × platforms (docs/scenarios.md).
        Assert.Equal((3 * 2) + (4 * 2) + 6 + (24 * 2) + 2 + 2 + 5 + 4 + (3 * 2) + (1 * 2) + (2 * 2), catalogue.Apps.Count);
        Assert.Equal(catalogue.Apps.Count, catalogue.Apps.Select(a => a.Sha256).Distinct().Count());
        Assert.Equal(4 + 16 + 8 + 32 + 6 + 24, catalogue.Endpoints.Count);
        Assert.All(catalogue.Apps, a => Assert.Matches("^[0-9a-f]{64}$", a.Sha256));
    }

    [Fact]
    public void Serialize_IsReadByTheLedgerImporter()
    {
        var catalogue = new ScenarioWorld(Scenarios.ScenarioLoader.Default, 3).BuildCatalogue();
        var json = System.Text.Encoding.UTF8.GetString(CatalogueJson.Serialize(catalogue));

        var imported = Pipeline.Ledger.WhitelistCatalogue.Parse(json);

        Assert.Equal(catalogue.Apps.Select(a => (a.Sha256, a.AppName, a.AppVersion, a.Platform, a.OwnerRole, a.Approver)),
            imported.Apps.Select(a => (a.Sha256, a.AppName, a.AppVersion, a.Platform, a.OwnerRole, a.Approver!)));
        Assert.Equal(catalogue.Endpoints.Select(e => (e.EndpointId, e.Organisation, e.Platform)),
            imported.Endpoints.Select(e => (e.EndpointId, e.Organisation, e.Platform)));
    }
}
