using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Federation.Tests;

/// <summary>
/// Five clusters of the scenario world: the first <c>train</c> readings of each cluster are its participant's local
/// window, the next <c>test</c> readings (all clusters, labelled) the held-out evaluation set.
/// </summary>
internal sealed class FederatedData
{
    private FederatedData(Dictionary<string, List<DeviceReading>> train, Dictionary<string, bool[]> trainAttacks, List<DeviceReading> test, bool[] labels)
    {
        Train = train;
        TrainAttacks = trainAttacks;
        Test = test;
        Labels = labels;
    }

    public Dictionary<string, List<DeviceReading>> Train { get; }

    /// <summary>Ground truth of <see cref="Train"/>, reading by reading (true = attack).</summary>
    public Dictionary<string, bool[]> TrainAttacks { get; }

    public List<DeviceReading> Test { get; }

    public bool[] Labels { get; }

    public static FederatedData Create(int clusters = 5, int train = 1500, int test = 1500, long seed = 2024)
    {
        // Training windows hold the scenario's default 2 % attacks; the held-out stream (another seed) 8 %.
        var trainRows = ScenarioData.Telemetry(clusters, train, seed);
        var trainSets = trainRows.ToDictionary(p => p.Key, p => p.Value.Select(r => r.Reading).ToList());
        var trainAttacks = trainRows.ToDictionary(p => p.Key, p => p.Value.Select(r => r.Attack).ToArray());
        var testRows = ScenarioData.Telemetry(clusters, test, seed + 1, attackRate: 0.02).Values.SelectMany(v => v).ToList();
        return new FederatedData(trainSets, trainAttacks, [.. testRows.Select(r => r.Reading)], [.. testRows.Select(r => r.Attack)]);
    }

    /// <summary>ROC AUC of <paramref name="bundle"/> on the held-out readings (one fresh scorer, events in stream order per cluster).</summary>
    public double Auc(ModelBundle bundle)
    {
        var scores = new float[Test.Count];
        bundle.CreateScorer().Score(Test, scores);
        return DetectionMetrics.RocAuc(scores, Labels);
    }

    /// <summary>The "central" baseline: the same detector fitted on the union of all local windows.</summary>
    public ModelBundle Central(BundleLayout layout, DetectorOptions options)
    {
        var union = Train.Values.SelectMany(v => v).ToList();
        return BundleTrainer.Fit(layout, BundleTrainer.Featurize(layout, union), options);
    }
}
