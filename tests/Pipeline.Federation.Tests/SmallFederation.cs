using Confluent.Kafka;
using Pipeline.Contracts;
using Pipeline.Testing;

namespace Pipeline.Federation.Tests;

/// <summary>
/// The quick federation of the lifecycle tests (quorum, restart, late join): PCA — a refit per round, milliseconds — on
/// full windows of <see cref="Window"/> readings from three clusters of the scenario world, so every participant answers
/// a round as soon as it reads the announcement and rounds end when all have answered, not at their deadline.
/// </summary>
internal static class SmallFederation
{
    /// <summary>Readings per cluster, the participants' whole window.</summary>
    public const int Window = 300;

    /// <summary>Generous for a round everyone answers; only the quorum tests wait for a deadline, and they set their own.</summary>
    public const double RoundTimeoutSeconds = 30;

    private static readonly Lazy<Dictionary<string, List<DeviceReading>>> Data =
        new(() => ScenarioData.Telemetry(clusters: 3, count: Window, seed: 31).ToDictionary(p => p.Key, p => p.Value.Select(r => r.Reading).ToList()));

    /// <summary>Clusters c01, c02, c03 and their readings.</summary>
    public static IReadOnlyDictionary<string, List<DeviceReading>> Readings => Data.Value;

    /// <summary>PCA, quorum 2, no pause between rounds, global calibration (two versions per round, as by default).</summary>
    public static FederationOptions Options(string modelName) => new()
    {
        ModelName = modelName,
        Detector = "pca",
        FeatureWindow = 8,
        MinParticipants = 2,
        RoundTimeoutSeconds = RoundTimeoutSeconds,
        RoundIntervalSeconds = 0,
        LocalWindow = Window,
        MinLocalSamples = Window,
    };

    /// <summary>Topics for one test with every cluster's readings already on <c>iiot.telemetry</c>.</summary>
    public static FederationTopics Create(KafkaFixture kafka, string hint, ConsumerConfig? consumer = null)
    {
        var topics = FederationTopics.Create(kafka, hint, consumer);
        topics.Produce(Readings);
        return topics;
    }

    /// <summary>Waits until <paramref name="participant"/> has read its whole window, so it answers a round at once.</summary>
    public static Task WindowFullAsync(FederationParticipant participant) =>
        Eventually.UntilAsync(() => participant.Window.Count >= Window, TimeSpan.FromSeconds(30), () => $"{participant.ParticipantId}'s window ({participant.Window.Count} of {Window} readings)");
}
