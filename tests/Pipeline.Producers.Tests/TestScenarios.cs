using Pipeline.Producers.Scenarios;
using Pipeline.Producers.Simulation;

namespace Pipeline.Producers.Tests;

internal static class TestScenarios
{
    /// <summary>A small world: enough entities to exercise every generator quickly.</summary>
    public static ScenarioDefinition Small() => new()
    {
        Name = "small",
        Clusters = 2,
        Iiot = new IiotScenario { FactoriesPerCluster = 2, StagesPerFactory = 1 },
        Chain = new ChainScenario { MinersPerCluster = 4, TransactionsPerSecond = 2 },
    };

    public static List<SimulatedMessage> Take(ScenarioWorld world, ProducerDomains domains, int count)
    {
        var list = new List<SimulatedMessage>(count);
        foreach (var message in world.Stream(domains))
        {
            list.Add(message);
            if (list.Count == count)
            {
                break;
            }
        }
        return list;
    }
}
