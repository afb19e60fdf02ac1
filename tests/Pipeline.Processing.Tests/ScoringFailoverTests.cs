using System.Collections.Concurrent;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Processing.Engine;
using Pipeline.Processing.Scoring;
using Pipeline.Testing;

namespace Pipeline.Processing.Tests;

/// <summary>Two `pipeline process scoring` processes in one consumer group; one is SIGKILLed mid-stream.</summary>
public sealed class ScoringFailoverTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    [Fact]
    public async Task TwoInstances_OneKilledMidStream_EveryEventScoredAndNoAlertIdMissing()
    {
        var topics = new KafkaTestTopics(kafka);
        // Every event alerts (threshold below every score), so the set of alert ids is the set of
        // scored events; the reference is an in-process scoring of the same records.
        await topics.PublishModelsAsync(ChainData.Models(version: 1, threshold: -1));
        var messages = ChainData.Take(clusters: 12, seed: 41, count: 24_000);
        string[] args =
        [
            "process", "scoring", "--stream", "chain",
            "--bootstrap-servers", kafka.BootstrapServers,
            "--set", $"Kafka:TopicPrefix={topics.Prefix}",
            "--set", $"Processing:GroupId=failover-{Guid.NewGuid():N}",
            "--set", "Processing:BatchSize=200",
            "--set", "Processing:SummaryIntervalSeconds=1",
        ];
        using var first = ChildProcess.StartPipeline(args);
        using var second = ChildProcess.StartPipeline(args);
        static bool Assigned(ChildProcess p) => p.Stdout.Any(l => l.Contains(": assigned ", StringComparison.Ordinal) && l.Contains("chain.", StringComparison.Ordinal));
        first.WaitUntil(() => Assigned(first) && Assigned(second), TimeSpan.FromSeconds(60), "both instances to hold partitions");
        second.WaitUntil(() => Assigned(first) && Assigned(second), TimeSpan.FromSeconds(5), "both instances to hold partitions");

        var seen = new ConcurrentDictionary<string, Alert>();
        using var stopReading = new CancellationTokenSource();
        var reader = Task.Run(() => ReadAlerts(topics, seen, stopReading.Token));
        var positions = topics.Publish(messages.GetRange(0, 12_000));
        await Polling.UntilAsync(() => seen.Count >= 3_000, TimeSpan.FromSeconds(60), () => $"{seen.Count} alerts before the kill");
        first.KillHard();
        positions.AddRange(topics.Publish(messages.GetRange(12_000, 12_000)));

        var expected = await ReferenceAlertIdsAsync(messages, positions);
        await Polling.UntilAsync(() => expected.IsSubsetOf(seen.Keys), TimeSpan.FromSeconds(120),
            () => $"{expected.Count(id => !seen.ContainsKey(id))} of {expected.Count} alert ids missing; survivor stderr: {string.Join('\n', second.Stderr.TakeLast(5))}");
        await stopReading.CancelAsync();
        await reader;

        Assert.Equal(messages.Count, expected.Count);
        Assert.True(seen.Keys.ToHashSet().SetEquals(expected), "no alert id outside the reference");
        Assert.All(seen.Values, a => Assert.Equal(1, a.ModelVersion));
        Assert.False(second.HasExited, "the surviving instance keeps running");
    }

    private static void ReadAlerts(KafkaTestTopics topics, ConcurrentDictionary<string, Alert> seen, CancellationToken cancellationToken)
    {
        using var consumer = topics.Clients.CreateConsumer($"alerts-{Guid.NewGuid():N}", "alerts-reader");
        consumer.Subscribe(topics.Topic(Topics.Alerts));
        while (!cancellationToken.IsCancellationRequested)
        {
            var record = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (record?.Message?.Value is { } value)
            {
                var alert = AvroSingleObject.Decode<Alert>(value);
                seen.TryAdd(alert.AlertId, alert);
            }
        }
        consumer.Close();
    }

    private static async Task<HashSet<string>> ReferenceAlertIdsAsync(
        List<Pipeline.Producers.Simulation.SimulatedMessage> messages, List<Confluent.Kafka.TopicPartitionOffset> positions)
    {
        var models = new ModelRegistry();
        foreach (var record in ChainData.Models(version: 1, threshold: -1))
        {
            models.Offer(ScoringModelDecoder.Decode(record));
        }
        var inputs = positions.Select(p => p.Topic).Distinct().ToDictionary(t => t, t => t[(t.IndexOf('.', StringComparison.Ordinal) + 1)..]);
        using var metrics = new ProcessingMetrics("reference");
        var processor = new ScoringBatchProcessor("chain", inputs, "reference.alerts", models, new ScoringOptions(), metrics);
        var records = messages.Select((m, i) => new InputRecord(positions[i].Topic, positions[i].Partition.Value, positions[i].Offset.Value, m.Key, m.Value,
            DateTimeOffset.FromUnixTimeMilliseconds(m.TimestampMs))).ToList();
        var result = new BatchResult();
        await processor.ProcessAsync(records, result, CancellationToken.None);
        return [.. result.Outputs.Select(o => AvroSingleObject.Decode<Alert>(o.Value).AlertId)];
    }
}
