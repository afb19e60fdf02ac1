using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Processing.Scoring;
using Pipeline.Testing;
using Xunit.Abstractions;

namespace Pipeline.Processing.Tests;

/// <summary>When the broker refuses some of a scorer's alert deliveries, the loop produces the refused alerts again; it
/// does not read and score the batches again, which would feed every entity's context the same events twice (a
/// re-read transaction looks like a nonce reuse, a re-read reading like a replay).</summary>
public sealed class ScoringDeliveryRetryTests(KafkaFixture kafka, ITestOutputHelper output) : IClassFixture<KafkaFixture>
{
    // at_least_once only: the embedded broker drops transactional offset commits, so an exactly_once_v2 run's progress
    // cannot be read back here; BatchHoldTests covers a refused delivery under both guarantees.
    [Theory]
    [InlineData("at_least_once")]
    public async Task RunAsync_AlertDeliveriesRefusedMidStream_AlertsAsARunWithoutRefusals(string guarantee)
    {
        var messages = ChainData.Take(clusters: 6, seed: 47, count: 6_000);
        var clean = await ScoreAsync(messages, guarantee, refusals: 0);
        var refused = await ScoreAsync(messages, guarantee, refusals: 3);

        output.WriteLine($"{guarantee}: alerts without refusals {clean.Alerts.Count}; with 3 produce requests refused {refused.Alerts.Count} "
            + $"({refused.Alerts.Except(clean.Alerts).Count()} not in the clean run, {clean.Alerts.Except(refused.Alerts).Count()} missing); "
            + $"deliveries retried {refused.Retried}, events scored {refused.Events} of {messages.Count}");
        Assert.NotEmpty(clean.Alerts);
        Assert.True(refused.Retried > 0, "no alert delivery was refused: the injected errors did not reach the scorer's producer");
        Assert.Equal(clean.Alerts, refused.Alerts);
        Assert.Equal(messages.Count, refused.Events);
    }

    /// <summary>Scores <paramref name="messages"/> under <paramref name="guarantee"/> in a fresh topic set until every position is committed, the next
    /// <paramref name="refusals"/> produce requests of the cluster failing; returns the distinct alerts (source position,
    /// score, model version), how many deliveries the loop retried and how many events it scored.</summary>
    private async Task<(SortedSet<(string, int, long, double, long)> Alerts, long Retried, long Events)> ScoreAsync(List<Pipeline.Producers.Simulation.SimulatedMessage> messages, string guarantee, int refusals)
    {
        var topics = new KafkaTestTopics(kafka);
        await topics.PublishModelsAsync(ChainData.Models(version: 1));
        var positions = topics.Publish(messages);
        var group = $"retry-{Guid.NewGuid():N}";
        var ends = positions.GroupBy(p => p.TopicPartition).ToDictionary(g => g.Key, g => g.Max(p => p.Offset.Value) + 1);
        using var processor = new ScoringProcessor(
            topics.Clients, "chain", new ProcessingOptions { BatchSize = 200, GroupId = group, SummaryIntervalSeconds = 0, Guarantee = guarantee }, new ScoringOptions(), NullLoggerFactory.Instance);
        if (refusals > 0)
        {
            kafka.Broker.PushRequestErrors(0, [.. Enumerable.Repeat(ErrorCode.TopicAuthorizationFailed, refusals)]);
        }
        using var stop = new CancellationTokenSource();
        var run = processor.RunAsync(stop.Token);
        using var probe = topics.Clients.CreateConsumer(group, "retry-probe");
        Dictionary<TopicPartition, long> Committed() => probe.Committed(ends.Keys, TimeSpan.FromSeconds(10)).ToDictionary(c => c.TopicPartition, c => c.Offset.Value);
        await Polling.UntilAsync(() => ends.All(e => Committed()[e.Key] == e.Value) || run.IsCompleted, TimeSpan.FromSeconds(90),
            () => $"committed {string.Join(", ", Committed().Select(c => $"{c.Key.Partition.Value}:{c.Value}"))}");
        var retried = processor.Metrics.DeliveryRetries;
        var events = processor.Metrics.Events;
        await stop.CancelAsync();
        await run;

        var total = topics.CountMessages(Topics.Alerts, partitions: 3);
        var alerts = topics.ReadUntil(Topics.Alerts, r => r.Count >= total, TimeSpan.FromSeconds(30))
            .Select(r => AvroSingleObject.Decode<Alert>(r.Message.Value))
            .Select(a => (a.SourceTopic[topics.Prefix.Length..], a.SourcePartition, a.SourceOffset, a.Score, a.ModelVersion));
        return (new SortedSet<(string, int, long, double, long)>(alerts), retried, events);
    }
}
