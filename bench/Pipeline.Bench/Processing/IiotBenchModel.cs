using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Detection;
using Pipeline.Producers.Scenarios;
using Pipeline.Producers.Simulation;

namespace Pipeline.Bench.Processing;

/// <summary>The IIoT global model the benchmark scores with: a NED bundle trained, as the federation's
/// bootstrap round would, with the coordinator's default layout and detector settings
/// (water-treatment measurements, feature window 16, encoder 32-8, E = 4, B = 32, η = 0.03,
/// momentum 0.9, contamination 1 %), on readings of the default scenario under another seed than
/// the events that are then scored. With <c>massBalance</c> the layout also carries the tanks' mass balance
/// (docs/detection.md, "Mass balance"), which needs more readings per unit to fit.</summary>
internal static class IiotBenchModel
{
    public const string ModelName = "iiot-ned";

    public static ModelBundle Train(int readings, long seed, bool massBalance = false)
    {
        var events = new List<DeviceReading>(readings);
        foreach (var message in new ScenarioWorld(ScenarioLoader.Default, seed).Stream(ProducerDomains.Iiot))
        {
            events.Add(AvroSingleObject.Decode<DeviceReading>(message.Value));
            if (events.Count == readings)
            {
                break;
            }
        }
        var layout = new BundleLayout
        {
            Stream = Topics.IiotTelemetry,
            Measurements = BundleLayout.WaterTreatmentMeasurements,
            Featurizer = massBalance ? new FeaturizerOptions { Window = 16, BalanceLevel = "level_m", BalanceFlow = "flow_m3h" } : new FeaturizerOptions { Window = 16 },
        };
        var options = new NedOptions { HiddenLayers = [32, 8], Epochs = 4, BatchSize = 32, LearningRate = 0.03, Momentum = 0.9, Contamination = 0.01, Seed = 7 };
        return BundleTrainer.Fit(layout, BundleTrainer.Featurize(layout, events), options);
    }

    /// <summary>The fl.global-model record of <paramref name="bundle"/>; <paramref name="threshold"/>
    /// replaces the calibrated threshold when given.</summary>
    public static GlobalModel Record(ModelBundle bundle, long version, double? threshold = null) => new()
    {
        ModelName = ModelName,
        Version = version,
        Round = version,
        DetectorKind = "ned",
        Stream = Topics.IiotTelemetry,
        Model = bundle.Serialize(),
        Threshold = threshold ?? bundle.Threshold,
        CreatedAt = DateTimeOffset.UtcNow,
    };
}
