using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Platform.Kafka;
using Pipeline.Processing.Scoring;
using Pipeline.Testing;

namespace Pipeline.Processing.Tests;

public sealed class ScoringPoisonTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    private const int Good = 100_000;
    private const int PoisonEvery = 100;
    private const int MaxMessageBytes = 8_192;

    [Fact]
    public async Task RunAsync_ThousandPoisonAmongHundredThousandGood_ExactlyThousandDeadLetteredAndEveryGoodEventScored()
    {
        var topics = new KafkaTestTopics(kafka, MaxMessageBytes);
        await topics.PublishModelsAsync(ChainData.Models(version: 1));
        var good = ChainData.Take(clusters: 12, seed: 21, count: Good);
        var poisonKinds = new Func<byte[]>[]
        {
            () => Encoding.ASCII.GetBytes("{\"not\":\"avro\"}"),
            () => [0xC3, 0x01, 0x42],
            () => AvroSingleObject.Encode(ContractSamples.Transaction with { Amount = double.NaN }),
            () => AvroSingleObject.Encode(ContractSamples.Alert),
            () => new byte[MaxMessageBytes + 1],
        };
        string[] reasons = ["bad_magic", "truncated", "invalid_value", "unexpected_schema", "oversize"];
        var input = new List<(string Topic, string? Key, byte[] Value, int Partition)>(Good + (Good / PoisonEvery));
        for (var i = 0; i < good.Count; i++)
        {
            var partition = ChainData.PartitionOf(good[i], KafkaTestTopics.InputPartitions);
            input.Add((good[i].Topic, good[i].Key, good[i].Value, partition));
            if (i % PoisonEvery == PoisonEvery - 1)
            {
                // Poison goes to chain.transactions, so each kind has exactly one reason (a transaction on
                // chain.blocks would be unexpected_schema, not invalid_value).
                input.Add((Topics.ChainTransactions, good[i].Key, poisonKinds[(i / PoisonEvery) % poisonKinds.Length](), partition));
            }
        }
        const int poisonCount = Good / PoisonEvery;
        topics.PublishRaw(input);

        using var processor = new ScoringProcessor(
            topics.Clients, "chain", new ProcessingOptions { BatchSize = 1_000, SummaryIntervalSeconds = 0 }, new ScoringOptions(), NullLoggerFactory.Instance);
        using var stop = new CancellationTokenSource();
        var run = processor.RunAsync(stop.Token);
        await Polling.UntilAsync(() => processor.Metrics.Events + processor.Metrics.DeadLetters >= Good + poisonCount || run.IsCompleted,
            TimeSpan.FromSeconds(150), () => $"{processor.Metrics.Events} scored, {processor.Metrics.DeadLetters} dead-lettered");
        await Polling.UntilAsync(() => topics.CountMessages(Topics.Alerts, 3) >= processor.Metrics.Alerts,
            TimeSpan.FromSeconds(30), () => $"{processor.Metrics.Alerts} alerts emitted, {topics.CountMessages(Topics.Alerts, 3)} on the topic");
        await stop.CancelAsync();
        await run;

        Assert.Equal(Good, processor.Metrics.Events);
        Assert.Equal(poisonCount, processor.Metrics.DeadLetters);
        Assert.Equal(0, processor.Metrics.Unscored);
        Assert.Equal(poisonCount, topics.CountMessages(Topics.DeadLetterOf(Topics.ChainBlocks), 1) + topics.CountMessages(Topics.DeadLetterOf(Topics.ChainTransactions), 1));
        Assert.Equal(processor.Metrics.Alerts, topics.CountMessages(Topics.Alerts, 3));
        Assert.True(processor.Metrics.Alerts > 0, "the calibrated models should flag some events");

        var dead = topics.ReadUntil(Topics.DeadLetterOf(Topics.ChainTransactions), r => r.Count >= poisonCount, TimeSpan.FromSeconds(30))
            .Concat(topics.ReadUntil(Topics.DeadLetterOf(Topics.ChainBlocks), _ => false, TimeSpan.FromSeconds(2)))
            .ToList();
        Assert.Equal(poisonCount, dead.Count);
        var byReason = dead.GroupBy(d => Encoding.UTF8.GetString(d.Message.Headers.GetLastBytes(DeadLetterHeaders.Reason))).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(reasons.Order(), byReason.Keys.Order());
        Assert.All(byReason.Values, n => Assert.Equal(poisonCount / reasons.Length, n));
        Assert.All(dead, d => Assert.StartsWith(topics.Prefix + "chain.", Encoding.UTF8.GetString(d.Message.Headers.GetLastBytes(DeadLetterHeaders.SourceTopic)), StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_RecordOverTheDefaultMessageMaxBytes_DeadLetteredCutToFitAndTheRestScored()
    {
        // With the defaults Kafka:MaxMessageBytes equals the dead-letter producer's message.max.bytes, so every
        // oversize record is too large to be copied whole. Another producer (allowed 2 MB) wrote one mid-partition.
        var topics = new KafkaTestTopics(kafka);
        await topics.PublishModelsAsync(ChainData.Models(version: 1));
        var good = ChainData.Take(clusters: 2, seed: 23, count: 2_000);
        var first = good.Take(1_000).ToList();
        topics.Publish(first);
        var big = new byte[topics.Clients.Options.MaxMessageBytes + 1];
        var bigConfig = topics.Clients.ProducerConfig("test-big");
        bigConfig.MessageMaxBytes = 2_000_000;
        using (var producer = new Confluent.Kafka.ProducerBuilder<string?, byte[]>(bigConfig).Build())
        {
            await producer.ProduceAsync(new Confluent.Kafka.TopicPartition(topics.Topic(Topics.ChainTransactions), ChainData.PartitionOf(first[^1], KafkaTestTopics.InputPartitions)),
                new Confluent.Kafka.Message<string?, byte[]> { Key = first[^1].Key, Value = big });
        }
        topics.Publish(good.Skip(1_000).ToList());

        using var processor = new ScoringProcessor(
            topics.Clients, "chain", new ProcessingOptions { SummaryIntervalSeconds = 0 }, new ScoringOptions(), NullLoggerFactory.Instance);
        using var stop = new CancellationTokenSource();
        var run = processor.RunAsync(stop.Token);
        await Polling.UntilAsync(() => (processor.Metrics.Events >= good.Count && processor.Metrics.DeadLetters >= 1) || run.IsCompleted,
            TimeSpan.FromSeconds(60), () => $"{processor.Metrics.Events} scored, {processor.Metrics.DeadLetters} dead-lettered, {processor.Metrics.DeliveryRetries} deliveries retried");
        await stop.CancelAsync();
        await run;

        Assert.Equal(good.Count, processor.Metrics.Events);
        Assert.Equal(1, processor.Metrics.DeadLetters);
        var dead = Assert.Single(topics.ReadUntil(Topics.DeadLetterOf(Topics.ChainTransactions), r => r.Count >= 1, TimeSpan.FromSeconds(30)));
        Assert.Equal("oversize", Encoding.UTF8.GetString(dead.Message.Headers.GetLastBytes(DeadLetterHeaders.Reason)));
        Assert.Equal(big.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), Encoding.UTF8.GetString(dead.Message.Headers.GetLastBytes(DeadLetterHeaders.ValueBytes)));
        Assert.True(dead.Message.Value.Length < big.Length);
    }
}
