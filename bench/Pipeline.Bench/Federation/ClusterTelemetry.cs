using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Producers.Scenarios;
using Pipeline.Producers.Simulation;

namespace Pipeline.Bench.Federation;

/// <summary>Labelled events per cluster from the producers' seeded scenario world: IIoT telemetry (the federation tests' data) and chain events.</summary>
internal static class ClusterTelemetry
{
    /// <summary>The first <paramref name="count"/> readings of each of <paramref name="clusters"/> clusters, with attack labels.</summary>
    public static Dictionary<string, List<(DeviceReading Reading, bool Attack)>> Generate(int clusters, int count, long seed, double attackRate)
    {
        var definition = new ScenarioDefinition
        {
            Name = "federation-bench",
            Clusters = clusters,
            Iiot = new IiotScenario
            {
                FactoriesPerCluster = 1,
                StagesPerFactory = 1,
                Attacks = new() { ["sensor_spoofing"] = attackRate, ["actuator_manipulation"] = attackRate, ["replay"] = attackRate, ["slow_drift"] = attackRate },
            },
        };
        return Generate(new ScenarioWorld(definition, seed), count)
            .ToDictionary(p => p.Key, p => p.Value.Select(r => (r.Reading, r.Label != AttackLabels.Normal)).ToList());
    }

    /// <summary>The first <paramref name="count"/> readings of each of <paramref name="world"/>'s clusters in stream order, with
    /// their label (<c>normal</c> or the attack type).</summary>
    public static Dictionary<string, List<(DeviceReading Reading, string Label)>> Generate(ScenarioWorld world, int count) =>
        PerCluster<DeviceReading>(world, ProducerDomains.Iiot, Topics.IiotTelemetry, count, static r => r.ClusterId);

    /// <summary>The first <paramref name="count"/> events of <paramref name="topic"/> (one of <paramref name="domains"/>' topics) of
    /// each of <paramref name="world"/>'s clusters in stream order, with their label (<c>normal</c> or the attack type).</summary>
    public static Dictionary<string, List<(T Event, string Label)>> PerCluster<T>(ScenarioWorld world, ProducerDomains domains, string topic, int count,
        Func<T, string> clusterOf)
        where T : IAvroRecord<T>
    {
        var result = world.ClusterIds.ToDictionary(c => c, _ => new List<(T, string)>());
        var full = 0;
        foreach (var message in world.Stream(domains))
        {
            if (message.Topic != topic) continue;
            var decoded = AvroSingleObject.Decode<T>(message.Value);
            var list = result[clusterOf(decoded)];
            if (list.Count >= count) continue;
            list.Add((decoded, message.Label ?? AttackLabels.Normal));
            if (list.Count == count && ++full == result.Count) break;
        }

        return result;
    }
}
