using Confluent.Kafka;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Platform.Kafka;
using Pipeline.Producers.Simulation;
using Pipeline.Testing;

namespace Pipeline.Processing.Tests;

/// <summary>The catalogue topics a test needs, under a prefix of its own on the shared embedded broker.</summary>
internal sealed class KafkaTestTopics
{
    public const int InputPartitions = 6;

    public KafkaTestTopics(KafkaFixture kafka, int maxMessageBytes = 1_000_000)
    {
        Prefix = $"t{Guid.NewGuid():N}.";
        foreach (var (name, partitions) in new[]
        {
            (Topics.ChainBlocks, InputPartitions), (Topics.ChainTransactions, InputPartitions), (Topics.EndpointExecutions, InputPartitions),
            (Topics.Alerts, 3), (Topics.EndpointVerdicts, 3), (Topics.FlGlobalModel, 1),
            (Topics.DeadLetterOf(Topics.ChainBlocks), 1), (Topics.DeadLetterOf(Topics.ChainTransactions), 1), (Topics.DeadLetterOf(Topics.EndpointExecutions), 1),
        })
        {
            kafka.Broker.CreateTopic(Prefix + name, partitions);
        }
        Clients = new KafkaClientFactory(kafka.BootstrapServers, new KafkaOptions
        {
            BootstrapServers = kafka.BootstrapServers,
            TopicPrefix = Prefix,
            MaxMessageBytes = maxMessageBytes,
        });
    }

    public string Prefix { get; }

    public KafkaClientFactory Clients { get; }

    public string Topic(string catalogueName) => Prefix + catalogueName;

    /// <summary>Publishes global-model records and waits for their acknowledgements.</summary>
    public async Task PublishModelsAsync(IEnumerable<GlobalModel> models)
    {
        using var producer = Clients.CreateProducer("test-models");
        foreach (var model in models)
        {
            await producer.ProduceAsync(Topic(Topics.FlGlobalModel), new Message<string?, byte[]> { Key = model.ModelName, Value = AvroSingleObject.Encode(model) });
        }
    }

    /// <summary>Publishes simulated messages to their prefixed topics, spreading clusters evenly over
    /// the partitions; returns each message's position, in input order.</summary>
    public List<TopicPartitionOffset> Publish(IReadOnlyList<SimulatedMessage> messages) =>
        PublishRaw(messages.Select(m => (m.Topic, (string?)m.Key, m.Value, ChainData.PartitionOf(m, InputPartitions))).ToList());

    /// <summary>Publishes raw values (catalogue topic, key, value, partition); returns positions in input order.</summary>
    public List<TopicPartitionOffset> PublishRaw(IReadOnlyList<(string Topic, string? Key, byte[] Value, int Partition)> messages)
    {
        using var producer = Clients.CreateProducer("test-input");
        var positions = new TopicPartitionOffset[messages.Count];
        var failures = 0;
        for (var i = 0; i < messages.Count; i++)
        {
            var index = i;
            var (topic, key, value, partition) = messages[i];
            while (true)
            {
                try
                {
                    producer.Produce(new TopicPartition(Topic(topic), partition), new Message<string?, byte[]> { Key = key, Value = value }, report =>
                    {
                        if (report.Error.IsError)
                        {
                            Interlocked.Increment(ref failures);
                        }
                        positions[index] = report.TopicPartitionOffset;
                    });
                    break;
                }
                catch (ProduceException<string?, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(100));
                }
            }
        }
        producer.Flush(TimeSpan.FromSeconds(60));
        Assert.Equal(0, failures);
        return [.. positions];
    }

    /// <summary>Reads a topic from the beginning until <paramref name="done"/> holds for what was read
    /// (or the deadline passes), and returns the values.</summary>
    public List<ConsumeResult<string?, byte[]>> ReadUntil(string catalogueName, Func<IReadOnlyList<ConsumeResult<string?, byte[]>>, bool> done, TimeSpan within)
    {
        using var consumer = Clients.CreateConsumer($"reader-{Guid.NewGuid():N}", "reader");
        consumer.Subscribe(Topic(catalogueName));
        var read = new List<ConsumeResult<string?, byte[]>>();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!done(read) && clock.Elapsed < within)
        {
            var record = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (record is not null)
            {
                read.Add(record);
            }
        }
        consumer.Close();
        return read;
    }

    /// <summary>Messages in a topic: the sum of its partitions' high watermarks.</summary>
    public long CountMessages(string catalogueName, int partitions)
    {
        using var consumer = Clients.CreateConsumer($"counter-{Guid.NewGuid():N}", "counter");
        long total = 0;
        for (var p = 0; p < partitions; p++)
        {
            var w = consumer.QueryWatermarkOffsets(new TopicPartition(Topic(catalogueName), p), TimeSpan.FromSeconds(10));
            total += w.High.Value - w.Low.Value;
        }
        return total;
    }
}
