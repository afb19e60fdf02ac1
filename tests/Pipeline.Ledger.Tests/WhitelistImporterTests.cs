using Pipeline.Chaincode;

namespace Pipeline.Ledger.Tests;

public sealed class WhitelistImporterTests
{
    [Fact]
    public async Task ImportAsync_CatalogueTwice_CreatesThenSkipsEverything()
    {
        using var temp = new TestLedger();
        await using var network = await LedgerNetwork.StartAsync(temp.Options(peers: 2));
        var catalogue = new WhitelistCatalogue
        {
            Endpoints = [new CatalogueEndpoint { EndpointId = "ws-1", Organisation = "plant-a", Platform = "linux" }],
            Apps = Enumerable.Range(0, 25)
                .Select(i => new CatalogueApp { Sha256 = TestLedger.Hash("imp" + i), AppName = "app" + i, AppVersion = "1", Platform = "linux", OwnerRole = OwnerRoles.User })
                .ToList(),
        };

        var first = await WhitelistImporter.ImportAsync(network, catalogue, TestLedger.Admin, 8, CancellationToken.None);
        var second = await WhitelistImporter.ImportAsync(network, catalogue, TestLedger.Admin, 8, CancellationToken.None);

        Assert.Equal((1, 25, 0, 0), (first.EndpointsEnrolled, first.AppsCreated, first.AlreadyPresent, first.Invalidated));
        Assert.Equal((0, 0, 26, 0), (second.EndpointsEnrolled, second.AppsCreated, second.AlreadyPresent, second.Invalidated));
        Assert.Equal(first.Height, second.Height);
        Assert.Single(network.Peers.Select(p => p.ComputeStateHash()).Distinct());
    }

    [Fact]
    public async Task ImportAsync_NonAdmin_ThrowsForbidden()
    {
        using var temp = new TestLedger();
        await using var network = await LedgerNetwork.StartAsync(temp.Options(peers: 1));
        var catalogue = new WhitelistCatalogue
        {
            Apps = [new CatalogueApp { Sha256 = TestLedger.Hash("x"), AppName = "x", AppVersion = "1", Platform = "linux", OwnerRole = OwnerRoles.User }],
        };

        var ex = await Assert.ThrowsAsync<EndorsementException>(() =>
            WhitelistImporter.ImportAsync(network, catalogue, TestLedger.User, 4, CancellationToken.None));

        Assert.Equal(ContractErrorCode.Forbidden, ex.Code);
    }
}
