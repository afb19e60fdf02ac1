using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Processing.Scoring;
using Pipeline.Testing;

namespace Pipeline.Processing.Tests;

public sealed class ModelSwapTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    [Fact]
    public async Task RunAsync_NewGlobalModelMidStream_AlertsBeforeCarryOldVersionAndAfterCarryNew()
    {
        var topics = new KafkaTestTopics(kafka);
        // Threshold below every score: each event yields one alert, so every event's version is visible.
        await topics.PublishModelsAsync(ChainData.Models(version: 1, threshold: -1));
        var messages = ChainData.Take(clusters: 6, seed: 31, count: 4_000);
        using var processor = new ScoringProcessor(
            topics.Clients, "chain", new ProcessingOptions { BatchSize = 200, SummaryIntervalSeconds = 0 }, new ScoringOptions(), NullLoggerFactory.Instance);
        using var stop = new CancellationTokenSource();
        var run = processor.RunAsync(stop.Token);

        await Polling.UntilAsync(() => processor.Models.VersionOf(Topics.ChainBlocks) == 1 && processor.Models.VersionOf(Topics.ChainTransactions) == 1,
            TimeSpan.FromSeconds(30), () => "version 1 installed");
        var before = topics.Publish(messages.GetRange(0, 2_000));
        await Polling.UntilAsync(() => processor.Metrics.Events >= 2_000, TimeSpan.FromSeconds(60), () => $"{processor.Metrics.Events} of the first 2000 scored");

        await topics.PublishModelsAsync(ChainData.Models(version: 2, threshold: -1));
        await Polling.UntilAsync(() => processor.Models.VersionOf(Topics.ChainBlocks) == 2 && processor.Models.VersionOf(Topics.ChainTransactions) == 2,
            TimeSpan.FromSeconds(30), () => "version 2 installed");
        var after = topics.Publish(messages.GetRange(2_000, 2_000));
        await Polling.UntilAsync(() => processor.Metrics.Events >= 4_000, TimeSpan.FromSeconds(60), () => $"{processor.Metrics.Events} of 4000 scored");

        var alerts = topics.ReadUntil(Topics.Alerts, r => r.Count >= 4_000, TimeSpan.FromSeconds(60))
            .Select(r => AvroSingleObject.Decode<Alert>(r.Message.Value))
            .ToList();
        await stop.CancelAsync();
        await run;

        var version = alerts.GroupBy(a => (a.SourceTopic, a.SourcePartition, a.SourceOffset)).ToDictionary(g => g.Key, g => Assert.Single(g.Select(a => a.ModelVersion).Distinct()));
        Assert.Equal(4_000, version.Count);
        Assert.All(before, p => Assert.Equal(1, version[(p.Topic, p.Partition.Value, p.Offset.Value)]));
        Assert.All(after, p => Assert.Equal(2, version[(p.Topic, p.Partition.Value, p.Offset.Value)]));
        Assert.All(alerts, a => Assert.Equal(AlertIds.Create(a.SourceTopic, a.SourcePartition, a.SourceOffset, a.ModelVersion, "anomaly"), a.AlertId));
        Assert.Equal(2, processor.Metrics.ModelVersions[Topics.ChainTransactions]);
    }
}
