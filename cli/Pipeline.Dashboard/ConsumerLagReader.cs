using Confluent.Kafka;
using Pipeline.Platform.Kafka;

namespace Pipeline.Dashboard;

/// <summary>Reads committed offsets of named consumer groups and the watermarks of their topics.</summary>
/// <remarks>Uses a consumer per group that never subscribes (so it never joins or disturbs the group):
/// <c>Committed</c> asks the group coordinator, <c>QueryWatermarkOffsets</c> the partition leader.
/// It deliberately avoids the admin ListConsumerGroups/DeleteGroups calls, which the embedded
/// (librdkafka mock) broker does not answer and whose failure aborts the process on dispose.</remarks>
public sealed class ConsumerLagReader(KafkaClientFactory clients)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>Lag of each group on every partition of the given topics (names without prefix).</summary>
    public Task<IReadOnlyList<PartitionLag>> ReadAsync(IReadOnlyList<string> groups, IReadOnlyList<string> topics, CancellationToken cancellationToken) =>
        Task.Run<IReadOnlyList<PartitionLag>>(() => Read(groups, topics, cancellationToken), cancellationToken);

    private List<PartitionLag> Read(IReadOnlyList<string> groups, IReadOnlyList<string> topics, CancellationToken cancellationToken)
    {
        var partitions = new List<TopicPartition>();
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = clients.BootstrapServers }).Build())
        {
            foreach (var topic in topics)
            {
                var name = clients.Topic(topic);
                var metadata = admin.GetMetadata(name, Timeout);
                foreach (var t in metadata.Topics.Where(t => t.Topic == name && !t.Error.IsError))
                {
                    partitions.AddRange(t.Partitions.Select(p => new TopicPartition(name, p.PartitionId)));
                }
            }
        }

        var result = new List<PartitionLag>();
        if (partitions.Count == 0)
        {
            return result;
        }

        partitions.Sort((a, b) => a.Topic != b.Topic ? string.CompareOrdinal(a.Topic, b.Topic) : a.Partition.Value.CompareTo(b.Partition.Value));
        foreach (var group in groups)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var consumer = clients.CreateConsumer(group, "pipeline-lag-reader");
            var committed = consumer.Committed(partitions, Timeout).ToDictionary(c => c.TopicPartition, c => c.Offset.Value);
            foreach (var tp in partitions)
            {
                var marks = consumer.QueryWatermarkOffsets(tp, Timeout);
                result.Add(new PartitionLag(group, tp.Topic, tp.Partition.Value, committed.GetValueOrDefault(tp, -1), marks.Low.Value, marks.High.Value));
            }
            consumer.Close();
        }
        return result;
    }
}
