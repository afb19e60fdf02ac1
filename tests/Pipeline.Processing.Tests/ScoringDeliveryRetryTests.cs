using Confluent.Kafka;
using Pipeline.Processing.Scoring;
using Pipeline.Testing;
using Xunit.Abstractions;

namespace Pipeline.Processing.Tests;

/// <summary>When the broker refuses some of a scorer's alert deliveries, the loop produces the refused alerts again; it
/// does not read and score the batches again, which would feed every entity's context the same events twice (a
/// re-read transaction looks like a nonce reuse, a re-read reading like a replay).</summary>
/// <remarks>at_least_once only: the embedded broker drops transactional offset commits, so an exactly_once_v2 run's
/// progress cannot be read back here; BatchHoldTests refuses a delivery under both guarantees.</remarks>
public sealed class ScoringDeliveryRetryTests(KafkaFixture kafka, ITestOutputHelper output) : IClassFixture<KafkaFixture>
{
    [Fact]
    public async Task RunAsync_AlertDeliveriesRefusedMidStream_AlertsAsARunWithoutRefusals()
    {
        var messages = ChainData.Take(clusters: 6, seed: 47, count: 6_000);
        var clean = await ScoreAsync(messages, refusals: 0);
        var refused = await ScoreAsync(messages, refusals: 3);

        output.WriteLine($"alerts without refusals {clean.Alerts.Count}; with 3 produce requests refused {refused.Alerts.Count} "
            + $"({refused.Alerts.Except(clean.Alerts).Count()} not in the clean run, {clean.Alerts.Except(refused.Alerts).Count()} missing); "
            + $"deliveries retried {refused.Retried}, events scored {refused.Events} of {messages.Count}");
        Assert.NotEmpty(clean.Alerts);
        Assert.True(refused.Retried > 0, "no alert delivery was refused: the injected errors did not reach the scorer's producer");
        Assert.Equal(clean.Alerts, refused.Alerts);
        Assert.Equal(messages.Count, refused.Events);
    }

    /// <summary>Scores <paramref name="messages"/> in a fresh topic set until every position is committed, the cluster
    /// failing its next <paramref name="refusals"/> produce requests; returns the distinct alerts (source position, score,
    /// model version), how many deliveries the loop produced again and how many events it scored.</summary>
    private async Task<(SortedSet<(string, int, long, double, long)> Alerts, long Retried, long Events)> ScoreAsync(
        List<Pipeline.Producers.Simulation.SimulatedMessage> messages, int refusals)
    {
        var topics = new KafkaTestTopics(kafka);
        await topics.PublishModelsAsync(ChainData.Models(version: 1));
        var positions = topics.Publish(messages);
        var (events, retried) = await ChainScoringRun.UntilCommittedAsync(topics, $"retry-{Guid.NewGuid():N}", new ScoringOptions(), positions, starting: () =>
        {
            if (refusals > 0)
            {
                kafka.Broker.PushRequestErrors(0, [.. Enumerable.Repeat(ErrorCode.TopicAuthorizationFailed, refusals)]);
            }
        });
        var alerts = ChainScoringRun.Alerts(topics)
            .Select(a => (a.SourceTopic[topics.Prefix.Length..], a.SourcePartition, a.SourceOffset, a.Score, a.ModelVersion));
        return (new SortedSet<(string, int, long, double, long)>(alerts), retried, events);
    }
}
