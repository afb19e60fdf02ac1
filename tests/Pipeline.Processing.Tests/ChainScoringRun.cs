using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Processing.Scoring;
using Pipeline.Testing;

namespace Pipeline.Processing.Tests;

/// <summary>One chain scoring instance (batches of 200) run over a topic set until it has committed given positions.</summary>
internal static class ChainScoringRun
{
    /// <summary>Runs an instance of <paramref name="group"/> until it has committed every one of
    /// <paramref name="positions"/>, then stops it; <paramref name="starting"/> runs right before it starts. Returns the
    /// events it scored and the deliveries it produced again.</summary>
    public static async Task<(long Events, long DeliveryRetries)> UntilCommittedAsync(
        KafkaTestTopics topics, string group, ScoringOptions scoring, IReadOnlyList<TopicPartitionOffset> positions, Action? starting = null)
    {
        var ends = positions.GroupBy(p => p.TopicPartition).ToDictionary(g => g.Key, g => g.Max(p => p.Offset.Value) + 1);
        using var processor = new ScoringProcessor(
            topics.Clients, "chain", new ProcessingOptions { BatchSize = 200, GroupId = group, SummaryIntervalSeconds = 0 }, scoring, NullLoggerFactory.Instance);
        starting?.Invoke();
        using var stop = new CancellationTokenSource();
        var run = processor.RunAsync(stop.Token);
        using var probe = topics.Clients.CreateConsumer(group, "scoring-run-probe");
        Dictionary<TopicPartition, long> Committed() => probe.Committed(ends.Keys, TimeSpan.FromSeconds(10)).ToDictionary(c => c.TopicPartition, c => c.Offset.Value);
        await Polling.UntilAsync(() => ends.All(e => Committed()[e.Key] == e.Value) || run.IsCompleted, TimeSpan.FromSeconds(90),
            () => $"committed {string.Join(", ", Committed().Select(c => $"{c.Key.Partition.Value}:{c.Value}"))}");
        var totals = (processor.Metrics.Events, processor.Metrics.DeliveryRetries);
        await stop.CancelAsync();
        await run;
        return totals;
    }

    /// <summary>Every alert on the topic set's alerts topic.</summary>
    public static List<Alert> Alerts(KafkaTestTopics topics)
    {
        var total = topics.CountMessages(Topics.Alerts, partitions: 3);
        return [.. topics.ReadUntil(Topics.Alerts, r => r.Count >= total, TimeSpan.FromSeconds(30)).Select(r => AvroSingleObject.Decode<Alert>(r.Message.Value))];
    }
}
