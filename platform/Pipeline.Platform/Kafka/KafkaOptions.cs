using Confluent.Kafka;

namespace Pipeline.Platform.Kafka;

/// <summary>Where Kafka is and how clients talk to it (configuration section "Kafka").</summary>
/// <remarks>Leave <see cref="BootstrapServers"/> empty to run on the embedded broker; set it
/// (e.g. PIPELINE__Kafka__BootstrapServers=kafka:9092) and the same code runs against a real
/// cluster. <see cref="Producer"/> and <see cref="Consumer"/> bind straight into Confluent's
/// config classes, so any librdkafka property can be overridden (Kafka:Producer:LingerMs=20).</remarks>
public sealed class KafkaOptions
{
    public const string SectionName = "Kafka";

    /// <summary>host:port list of a real cluster; empty = start the embedded broker.</summary>
    public string? BootstrapServers { get; set; }

    /// <summary>Prefix put in front of every topic name of the catalogue.</summary>
    public string TopicPrefix { get; set; } = "";

    /// <summary>Brokers of the embedded cluster when no bootstrap servers are set.</summary>
    public int EmbeddedBrokers { get; set; } = 1;

    /// <summary>Largest message value accepted; larger ones are dead-lettered as oversize (their .dlq copy is cut to
    /// fit the producer's message.max.bytes; docs/reliability.md).</summary>
    public int MaxMessageBytes { get; set; } = 1_000_000;

    /// <summary>Overrides for every producer (defaults: acks=all, idempotence, lz4, linger 5 ms).</summary>
    public ProducerConfig Producer { get; set; } = new();

    /// <summary>Overrides for every consumer (defaults: manual commits, earliest offset, fetch.queue.backoff.ms 20 instead of librdkafka's 1,000: a consumer that empties its prefetched queue within the backoff waits for the rest of it).</summary>
    public ConsumerConfig Consumer { get; set; } = new();

    public bool UsesEmbeddedBroker => string.IsNullOrWhiteSpace(BootstrapServers);
}
