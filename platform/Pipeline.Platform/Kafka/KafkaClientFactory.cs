using Confluent.Kafka;

namespace Pipeline.Platform.Kafka;

/// <summary>Builds producers and consumers with the platform's defaults and the configured overrides.</summary>
/// <remarks>Thread-safe; clients it returns follow Confluent.Kafka's own threading rules
/// (producers are thread-safe, consumers are not).</remarks>
public sealed class KafkaClientFactory(string bootstrapServers, KafkaOptions options)
{
    public string BootstrapServers { get; } = bootstrapServers;

    public KafkaOptions Options { get; } = options;

    /// <summary>fetch.queue.backoff.ms of every consumer unless Kafka:Consumer:FetchQueueBackoffMs is set.</summary>
    public const int FetchQueueBackoffMs = 20;

    /// <summary>The name of a catalogue topic under the configured prefix.</summary>
    public string Topic(string name) => Options.TopicPrefix + name;

    public ProducerConfig ProducerConfig(string clientId)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = BootstrapServers,
            ClientId = clientId,
            Acks = Acks.All,
            EnableIdempotence = true,
            CompressionType = CompressionType.Lz4,
            LingerMs = 5,
            BatchNumMessages = 10_000,
        };
        Overlay(config, Options.Producer);
        return config;
    }

    public ConsumerConfig ConsumerConfig(string groupId, string clientId)
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = groupId,
            ClientId = clientId,
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnablePartitionEof = false,
            SessionTimeoutMs = 10_000,
            HeartbeatIntervalMs = 1_000,
            // librdkafka stops fetching a partition once queued.min.messages (100,000) are buffered and looks again only
            // after this backoff (default 1,000 ms). A consumer that works through the buffer faster than that, like a
            // scorer at 100-250k events/s, then sat idle for the rest of the second with the broker full of data.
            FetchQueueBackoffMs = FetchQueueBackoffMs,
        };
        Overlay(config, Options.Consumer);
        return config;
    }

    /// <summary>A producer of raw values keyed by string; values are usually
    /// <see cref="Contracts.Avro.AvroSingleObject"/> bytes.</summary>
    public IProducer<string?, byte[]> CreateProducer(string clientId, Action<ProducerBuilder<string?, byte[]>>? configure = null)
    {
        var builder = new ProducerBuilder<string?, byte[]>(ProducerConfig(clientId));
        configure?.Invoke(builder);
        return builder.Build();
    }

    /// <summary>A consumer of raw bytes, so a value that does not decode can be dead-lettered as it came.</summary>
    public IConsumer<string?, byte[]> CreateConsumer(string groupId, string clientId, Action<ConsumerBuilder<string?, byte[]>>? configure = null)
    {
        var builder = new ConsumerBuilder<string?, byte[]>(ConsumerConfig(groupId, clientId));
        configure?.Invoke(builder);
        return builder.Build();
    }

    private static void Overlay(ClientConfig target, ClientConfig overrides)
    {
        foreach (var (key, value) in overrides)
        {
            target.Set(key, value);
        }
    }
}
