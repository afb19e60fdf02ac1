using Confluent.Kafka;
using Pipeline.Platform.Kafka;

namespace Pipeline.Federation;

/// <summary>Reads a topic from its beginning to the high watermark seen at the start (used to resume from fl.global-model and fl.rounds).</summary>
internal static class TopicSnapshot
{
    public static void ReadToEnd(KafkaClientFactory clients, string topic, string clientId, Action<ConsumeResult<string?, byte[]>> handle, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = clients.BootstrapServers }).Build();
        var metadata = admin.GetMetadata(topic, timeout);
        var partitions = metadata.Topics.SelectMany(t => t.Partitions).Select(p => new TopicPartition(topic, p.PartitionId)).ToList();
        if (partitions.Count == 0) return;
        using var consumer = clients.CreateConsumer($"{clientId}-snapshot-{Guid.NewGuid():N}", clientId);
        var ends = new Dictionary<int, long>();
        foreach (var tp in partitions)
        {
            var marks = consumer.QueryWatermarkOffsets(tp, timeout);
            if (marks.High.Value > marks.Low.Value) ends[tp.Partition.Value] = marks.High.Value;
        }

        if (ends.Count == 0) return;
        consumer.Assign(partitions.Where(tp => ends.ContainsKey(tp.Partition.Value)).Select(tp => new TopicPartitionOffset(tp, Offset.Beginning)));
        var deadline = DateTime.UtcNow + timeout;
        try
        {
            while (ends.Count > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"Reading {topic} to its end took longer than {timeout.TotalSeconds:F0} s.");
                var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (result is null || result.IsPartitionEOF) continue;
                handle(result);
                if (ends.TryGetValue(result.Partition.Value, out var end) && result.Offset.Value + 1 >= end) ends.Remove(result.Partition.Value);
            }
        }
        finally
        {
            consumer.Close();
        }
    }
}
