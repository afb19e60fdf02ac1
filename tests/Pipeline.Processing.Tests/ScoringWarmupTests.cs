using Confluent.Kafka;
using Pipeline.Processing.Scoring;
using Pipeline.Testing;
using Xunit.Abstractions;

namespace Pipeline.Processing.Tests;

/// <summary>A scoring instance that takes over partitions with a commit (restart, rebalance, scale-out) warms up on the
/// records before the commit (Processing:Scoring:WarmupRecords), so its alerts are those of an instance that never
/// stopped; without the warm-up it scores each entity's first event from a cold context.</summary>
public sealed class ScoringWarmupTests(KafkaFixture kafka, ITestOutputHelper output) : IClassFixture<KafkaFixture>
{
    [Fact]
    public async Task RunAsync_RestartedInstance_AlertsAfterTheCommitAsAnInstanceThatNeverStopped()
    {
        // The same stream in three topic sets: scored without a stop, stopped and restarted with the default warm-up,
        // and stopped and restarted without one. Thresholds are the calibrated ones.
        var messages = ChainData.Take(clusters: 6, seed: 43, count: 6_000);
        var runs = new Dictionary<string, (KafkaTestTopics Topics, List<TopicPartitionOffset> After)>();
        foreach (var name in new[] { "throughout", "warm", "cold" })
        {
            var topics = new KafkaTestTopics(kafka);
            await topics.PublishModelsAsync(ChainData.Models(version: 1));
            var group = $"{name}-{Guid.NewGuid():N}";
            var before = topics.Publish(messages.GetRange(0, 4_000));
            if (name != "throughout")
            {
                await ChainScoringRun.UntilCommittedAsync(topics, group, new ScoringOptions(), before);
            }
            var after = topics.Publish(messages.GetRange(4_000, 2_000));
            await ChainScoringRun.UntilCommittedAsync(topics, group, new ScoringOptions { WarmupRecords = name == "cold" ? 0 : 1_000 }, [.. before, .. after]);
            runs[name] = (topics, after);
        }

        var expected = AlertsOnRecordsAfterTheStop(runs["throughout"].Topics, runs["throughout"].After);
        var warm = AlertsOnRecordsAfterTheStop(runs["warm"].Topics, runs["warm"].After);
        var cold = AlertsOnRecordsAfterTheStop(runs["cold"].Topics, runs["cold"].After);

        static HashSet<(string, int, long)> Positions(List<(string Topic, int Partition, long Offset, double Score)> alerts) =>
            [.. alerts.Select(a => (a.Topic, a.Partition, a.Offset))];
        output.WriteLine($"alerts on the {runs["warm"].After.Count} records after the stop: never stopped {expected.Count}; "
            + $"warm restart {warm.Count}, at {Positions(warm).Except(Positions(expected)).Count()} other positions; "
            + $"cold restart {cold.Count}, at {Positions(cold).Except(Positions(expected)).Count()} other positions, "
            + $"{Positions(expected).Except(Positions(cold)).Count()} of the never-stopped one's positions without an alert");
        Assert.NotEmpty(expected);
        Assert.Equal(expected, warm);
        Assert.True(cold.Count > expected.Count, $"cold restart: {cold.Count} alerts on the records after the stop, never stopped: {expected.Count}");
    }

    /// <summary>The alerts on <paramref name="after"/>'s records: position and score, in order.</summary>
    private static List<(string Topic, int Partition, long Offset, double Score)> AlertsOnRecordsAfterTheStop(KafkaTestTopics topics, List<TopicPartitionOffset> after)
    {
        var positions = after.Select(p => (p.Topic, p.Partition.Value, p.Offset.Value)).ToHashSet();
        return [.. ChainScoringRun.Alerts(topics)
            .Where(a => positions.Contains((a.SourceTopic, a.SourcePartition, a.SourceOffset)))
            .Select(a => (a.SourceTopic[topics.Prefix.Length..], a.SourcePartition, a.SourceOffset, a.Score))
            .Order()];
    }
}
