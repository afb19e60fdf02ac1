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
    // Range: the eager protocol (every rebalance revokes every partition); CooperativeSticky: the incremental one (the
    // survivor keeps its partitions, with their held blocks, and is given the killed instance's).
    [Theory]
    [InlineData("Range")]
    [InlineData("CooperativeSticky")]
    public async Task TwoInstances_OneKilledMidStream_EveryEventScoredAndNoAlertIdMissing(string assignmentStrategy)
    {
        var topics = new KafkaTestTopics(kafka);
        // Every event alerts (threshold below every score), so the set of alert ids is the set of
        // scored events. The block model holds each block for its confirmations, so commits stay below
        // held blocks: the survivor must read them again. The short time limit scores each chain's last
        // blocks once input stops.
        await topics.PublishModelsAsync(ChainData.Models(version: 1, threshold: -1, holdBlocks: true));
        var messages = ChainData.Take(clusters: 12, seed: 41, count: 24_000);
        string[] args =
        [
            "process", "scoring", "--stream", "chain",
            "--bootstrap-servers", kafka.BootstrapServers,
            "--set", $"Kafka:TopicPrefix={topics.Prefix}",
            "--set", $"Processing:GroupId=failover-{Guid.NewGuid():N}",
            "--set", "Processing:BatchSize=200",
            "--set", "Processing:SummaryIntervalSeconds=1",
            "--set", "Processing:Scoring:ConfirmationTimeoutSeconds=2",
            "--set", $"Kafka:Consumer:PartitionAssignmentStrategy={assignmentStrategy}",
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

        var expected = positions.Select(p => AlertIds.Create(p.Topic, p.Partition.Value, p.Offset.Value, 1, "anomaly")).ToHashSet();
        await Polling.UntilAsync(() => expected.IsSubsetOf(seen.Keys), TimeSpan.FromSeconds(120),
            () => $"{expected.Count(id => !seen.ContainsKey(id))} of {expected.Count} alert ids missing; survivor stderr: {string.Join('\n', second.Stderr.TakeLast(5))}");
        await stopReading.CancelAsync();
        await reader;

        Assert.True(seen.Keys.ToHashSet().SetEquals(expected), "no alert id outside the input's");
        Assert.Contains(seen.Values, a => a.SourceTopic == topics.Topic(Topics.ChainBlocks));
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
}
