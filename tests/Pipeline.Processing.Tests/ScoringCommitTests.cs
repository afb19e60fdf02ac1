using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Processing.Engine;
using Pipeline.Processing.Scoring;
using Pipeline.Testing;

namespace Pipeline.Processing.Tests;

public sealed class ScoringCommitTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    // A window of 1 makes every batch wait for the previous one's acknowledgements; the default lets many wait at once.
    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    public async Task RunAsync_StoppedRightAfterScoringManySmallBatches_EveryAcknowledgedBatchIsCommittedAndEveryEventHasItsAlert(int maxBatchesInFlight)
    {
        var topics = new KafkaTestTopics(kafka);
        // Every event alerts, so every batch has outputs awaiting acknowledgement while the next is processed.
        await topics.PublishModelsAsync(ChainData.Models(version: 1, threshold: -1));
        var positions = topics.Publish(ChainData.Take(clusters: 6, seed: 41, count: 3_000));
        var ends = positions.GroupBy(p => p.TopicPartition).ToDictionary(g => g.Key, g => g.Max(p => p.Offset.Value) + 1);
        var group = $"commit-test-{Guid.NewGuid():N}";
        using var processor = new ScoringProcessor(
            topics.Clients, "chain", new ProcessingOptions { BatchSize = 50, MaxBatchesInFlight = maxBatchesInFlight, GroupId = group, SummaryIntervalSeconds = 0 }, new ScoringOptions(), NullLoggerFactory.Instance);
        using var stop = new CancellationTokenSource();
        var run = processor.RunAsync(stop.Token);

        await Polling.UntilAsync(() => processor.Metrics.Events >= positions.Count || run.IsCompleted, TimeSpan.FromSeconds(60),
            () => $"{processor.Metrics.Events} of {positions.Count} scored");
        // Stop at once: batches still in flight must be finished and committed by the stop itself.
        await stop.CancelAsync();
        await run;

        using var probe = topics.Clients.CreateConsumer(group, "commit-probe");
        var committed = probe.Committed(ends.Keys, TimeSpan.FromSeconds(10)).ToDictionary(c => c.TopicPartition, c => c.Offset.Value);
        Assert.All(ends, e => Assert.Equal(e.Value, committed[e.Key]));
        // The offset commits themselves are timed (the tail report of the latency bench reads this stage).
        Assert.True(processor.Metrics.StageTotals.ContainsKey(BatchConsumerLoop.OffsetCommitStage),
            $"no {BatchConsumerLoop.OffsetCommitStage} stage among {string.Join(", ", processor.Metrics.StageTotals.Keys)}");
        var alerts = topics.ReadUntil(Topics.Alerts, r => r.Count >= positions.Count, TimeSpan.FromSeconds(30))
            .Select(r => AvroSingleObject.Decode<Alert>(r.Message.Value).AlertId)
            .ToHashSet();
        var expected = positions.Select(p => AlertIds.Create(p.Topic, p.Partition.Value, p.Offset.Value, 1, "anomaly")).ToHashSet();
        Assert.True(expected.SetEquals(alerts), $"{expected.Except(alerts).Count()} events without an alert, {alerts.Except(expected).Count()} unexpected alert ids");
    }
}
