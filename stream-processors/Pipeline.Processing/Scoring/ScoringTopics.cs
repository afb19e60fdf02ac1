using Pipeline.Contracts;
using Pipeline.Platform.Kafka;

namespace Pipeline.Processing.Scoring;

/// <summary>The full topic names a scoring processor uses.</summary>
/// <param name="Inputs">Full input topic name → catalogue topic name (which model applies).</param>
/// <param name="Alerts">Full name of the alerts topic.</param>
/// <param name="Models">Full name of the global-model topic.</param>
public sealed record ScoringTopics(IReadOnlyDictionary<string, string> Inputs, string Alerts, string Models)
{
    /// <summary>The catalogue topics of <paramref name="stream"/> under the configured prefix.</summary>
    /// <exception cref="ArgumentException">Unknown stream.</exception>
    public static ScoringTopics For(string stream, KafkaClientFactory clients)
    {
        ArgumentNullException.ThrowIfNull(clients);
        return new ScoringTopics(
            ScoredStreams.Require(stream).ToDictionary(clients.Topic, t => t),
            clients.Topic(Topics.Alerts),
            clients.Topic(Topics.FlGlobalModel));
    }
}
