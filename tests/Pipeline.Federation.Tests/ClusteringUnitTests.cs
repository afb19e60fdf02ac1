using Pipeline.Producers.Scenarios;
using Pipeline.Producers.Simulation;

namespace Pipeline.Federation.Tests;

public sealed class ClusteringUnitTests
{
    // Three groups of factories 20 km apart; factories of a group 1 km apart with devices around their sites.
    private static List<FactoryLocation> Groups(int groups = 3, int perGroup = 4)
    {
        var result = new List<FactoryLocation>();
        for (var g = 0; g < groups; g++)
        {
            for (var f = 0; f < perGroup; f++)
            {
                var (x, y) = ((g * 20.0) + (f % 2), g * 7.0 + (f / 2));
                var id = $"g{g}-f{f}";
                result.Add(new FactoryLocation(id, x, y, [.. Enumerable.Range(0, 3).Select(d => new DeviceLocation($"{id}-d{d}", x + (0.2 * d), y + 0.1))]));
            }
        }

        return result;
    }

    [Fact]
    public void Cluster_SeparatedGroups_RecoversTheGroups()
    {
        var clusters = FactoryClustering.Cluster(Groups(), 3);

        Assert.Equal(3, clusters.Count);
        Assert.All(clusters, c => Assert.Single(c.Factories.Select(f => f[..2]).Distinct()));
        Assert.Equal([1, 2, 3], clusters.Select(c => c.Index));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(12)]
    public void Cluster_AnyValidK_EveryFactoryInExactlyOneOfKNonEmptyClusters(int k)
    {
        var factories = Groups();

        var clusters = FactoryClustering.Cluster(factories, k);

        Assert.Equal(k, clusters.Count);
        Assert.All(clusters, c => Assert.NotEmpty(c.Factories));
        Assert.Equal(factories.Select(f => f.FactoryId).Order(StringComparer.Ordinal), clusters.SelectMany(c => c.Factories).Order(StringComparer.Ordinal));
        Assert.Equal(factories.SelectMany(f => f.Devices.Select(d => d.DeviceId)).Order(StringComparer.Ordinal), clusters.SelectMany(c => c.Devices).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Cluster_Head_MinimisesTheSumOfDistancesWithinItsCluster()
    {
        var factories = Groups(groups: 2, perGroup: 5);
        var ids = factories.Select(f => f.FactoryId).Order(StringComparer.Ordinal).ToList();
        var distance = FactoryClustering.Distances(factories);

        foreach (var cluster in FactoryClustering.Cluster(factories, 2))
        {
            double Sum(string candidate) => cluster.Factories.Sum(m => distance[ids.IndexOf(candidate), ids.IndexOf(m)]);
            Assert.Contains(cluster.Head, cluster.Factories);
            Assert.All(cluster.Factories, m => Assert.True(Sum(cluster.Head) <= Sum(m), $"{m} is more central than head {cluster.Head}"));
            Assert.Equal(Sum(cluster.Head), cluster.Cost, 9);
        }
    }

    [Fact]
    public void Cluster_InputInAnotherOrder_GivesTheSameClusters()
    {
        var factories = Groups();
        var shuffled = factories.OrderBy(f => f.FactoryId.GetHashCode(StringComparison.Ordinal)).Reverse().ToList();

        var a = FactoryClustering.Cluster(factories, 4);
        var b = FactoryClustering.Cluster(shuffled, 4);

        Assert.Equal(a.Select(c => (c.Head, string.Join(",", c.Factories))), b.Select(c => (c.Head, string.Join(",", c.Factories))));
    }

    [Fact]
    public void Distances_SharedNeighbouringDevices_BringFactoriesCloser()
    {
        // Same site distance apart; only b's devices stand within radio range of a's.
        FactoryLocation F(string id, double x, double deviceX) => new(id, x, 0, [new DeviceLocation(id + "-d", deviceX, 0)]);
        List<FactoryLocation> factories = [F("a", 0, 0), F("b", 3, 0.5), F("c", -3, -3)];

        var d = FactoryClustering.Distances(factories, radioRangeKm: 1);

        Assert.True(d[0, 1] < d[0, 2], $"d(a,b) {d[0, 1]} should be below d(a,c) {d[0, 2]}");
        Assert.Equal(0, d[1, 1]);
        Assert.Equal(d[0, 1], d[1, 0]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(13)]
    public void Cluster_KOutOfRange_ThrowsNamingKAndTheFactoryCount(int k)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => FactoryClustering.Cluster(Groups(), k));

        Assert.Contains($"K = {k}", error.Message, StringComparison.Ordinal);
        Assert.Contains("12 factories", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cluster_RepeatedFactory_Throws()
    {
        var factories = Groups();
        factories.Add(factories[0]);

        var error = Assert.Throws<ArgumentException>(() => FactoryClustering.Cluster(factories, 2));
        Assert.Contains("listed twice", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cluster_NoFactories_Throws() =>
        Assert.Throws<ArgumentException>(() => FactoryClustering.Cluster([], 1));

    [Fact]
    public void Cluster_NonFiniteCoordinate_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => FactoryClustering.Cluster([new FactoryLocation("x", double.NaN, 0, [])], 1));
        Assert.Contains("non-finite", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cluster_DefaultScenarioWorld_GroupsFactoriesAsTheScenarioClusters()
    {
        var world = new ScenarioWorld(ScenarioLoader.Default, 42);
        var factories = world.Sites.Select(s => new FactoryLocation(s.FactoryId, s.XKm, s.YKm, [.. s.Devices.Select(d => new DeviceLocation(d.DeviceId, d.XKm, d.YKm))])).ToList();

        var clusters = FactoryClustering.Cluster(factories, world.ClusterIds.Count);

        Assert.Equal(world.ClusterIds.Count, clusters.Count);
        Assert.All(clusters, c => Assert.Single(world.Sites.Where(s => c.Factories.Contains(s.FactoryId)).Select(s => s.ClusterId).Distinct()));
    }
}
