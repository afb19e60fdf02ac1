using Confluent.Kafka;
using Pipeline.Platform.Kafka;

namespace Pipeline.Dashboard;

/// <summary>Reads every partition of a topic from its low to its current high watermark by manual
/// assignment (no group join, no commits), so analysts can read a finished run without moving
/// any consumer group.</summary>
public sealed class TopicSnapshotReader(KafkaClientFactory clients)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Calls <paramref name="onMessage"/> for each message present when the call starts.</summary>
    /// <param name="topic">Catalogue name; the configured prefix is applied.</param>
    /// <param name="onMessage">Receives each message; runs on the reading thread.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <returns>The number of messages read.</returns>
    public Task<long> ReadAsync(string topic, Action<ConsumeResult<string?, byte[]>> onMessage, CancellationToken cancellationToken) =>
        Task.Run(() => Read(clients.Topic(topic), onMessage, cancellationToken), cancellationToken);

    private long Read(string name, Action<ConsumeResult<string?, byte[]>> onMessage, CancellationToken cancellationToken)
    {
        List<int> partitionIds;
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = clients.BootstrapServers }).Build())
        {
            var topic = admin.GetMetadata(name, Timeout).Topics.SingleOrDefault(t => t.Topic == name);
            if (topic is null || topic.Error.IsError)
            {
                throw new InvalidOperationException($"topic '{name}' is not on the broker {clients.BootstrapServers}: {topic?.Error.Reason ?? "no metadata"}");
            }
            partitionIds = topic.Partitions.Select(p => p.PartitionId).ToList();
        }

        using var consumer = clients.CreateConsumer("pipeline-snapshot-" + Guid.NewGuid().ToString("N"), "pipeline-snapshot");
        var remaining = new Dictionary<int, long>();
        var assignment = new List<TopicPartitionOffset>();
        foreach (var p in partitionIds)
        {
            var marks = consumer.QueryWatermarkOffsets(new TopicPartition(name, p), Timeout);
            if (marks.High.Value > marks.Low.Value)
            {
                remaining[p] = marks.High.Value;
                assignment.Add(new TopicPartitionOffset(name, p, marks.Low));
            }
        }

        long count = 0;
        if (assignment.Count == 0)
        {
            return count;
        }

        consumer.Assign(assignment);
        while (remaining.Count > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null || result.IsPartitionEOF)
            {
                continue;
            }
            var p = result.Partition.Value;
            if (remaining.TryGetValue(p, out var end) && result.Offset.Value < end)
            {
                onMessage(result);
                count++;
            }
            if (result.Offset.Value + 1 >= end)
            {
                remaining.Remove(p);
            }
        }
        return count;
    }
}
