using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Producers.Scenarios;
using Pipeline.Producers.Simulation;

namespace Pipeline.Bench.Federation;

/// <summary>Labelled telemetry per cluster from the producers' seeded scenario world (the federation tests' data).</summary>
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
    public static Dictionary<string, List<(DeviceReading Reading, string Label)>> Generate(ScenarioWorld world, int count)
    {
        var result = world.ClusterIds.ToDictionary(c => c, _ => new List<(DeviceReading, string)>());
        var full = 0;
        foreach (var message in world.Stream(ProducerDomains.Iiot))
        {
            var reading = AvroSingleObject.Decode<DeviceReading>(message.Value);
            var list = result[reading.ClusterId];
            if (list.Count >= count) continue;
            list.Add((reading, message.Label ?? AttackLabels.Normal));
            if (list.Count == count && ++full == result.Count) break;
        }

        return result;
    }
}
