using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Pipeline.Contracts.Avro;
using Pipeline.Platform.Kafka;
using Pipeline.Testing;

namespace Pipeline.Platform.Tests;

public sealed class EmbeddedBrokerTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    [Fact]
    public async Task ProduceConsume_EveryContract_ArrivesDecodableWithKeyAndHeaders()
    {
        var topic = kafka.NewTopic(partitions: 3);
        using var producer = kafka.Clients.CreateProducer("test-producer");
        foreach (var name in ContractSamples.AllNames)
        {
            var message = new Message<string?, byte[]>
            {
                Key = name,
                Value = ContractSamples.Encode(ContractSamples.ByName(name)),
                Headers = new Headers { { "label", Encoding.UTF8.GetBytes("normal") } },
            };
            var delivery = await producer.ProduceAsync(topic, message);
            Assert.Equal(PersistenceStatus.Persisted, delivery.Status);
        }

        using var consumer = kafka.Clients.CreateConsumer($"g-{Guid.NewGuid():N}", "test-consumer");
        consumer.Subscribe(topic);
        var received = consumer.ConsumeExactly(ContractSamples.AllNames.Length, TimeSpan.FromSeconds(30));
        consumer.Close();

        Assert.Equal(ContractSamples.AllNames.Order(), received.Select(r => r.Message.Key!).Order());
        foreach (var result in received)
        {
            var expected = ContractSamples.ByName(result.Message.Key!);
            var decoded = AvroSingleObject.Decode(result.Message.Value);
            Assert.Equal(JsonSerializer.Serialize(expected, expected.GetType()), JsonSerializer.Serialize(decoded, decoded.GetType()));
            Assert.Equal("normal", Encoding.UTF8.GetString(result.Message.Headers.GetLastBytes("label")));
        }
    }

    [Fact]
    public async Task DeadLetterPublisher_PoisonMessage_KeepsBytesAndNamesReasonAndSource()
    {
        var topic = kafka.NewTopic();
        kafka.Broker.CreateTopic(topic + ".dlq", 1);
        using var producer = kafka.Clients.CreateProducer("test-producer");
        byte[] poison = [0x7B, 0x22, 0x78, 0x22, 0x7D];
        await producer.ProduceAsync(topic, new Message<string?, byte[]> { Key = "device-9", Value = poison, Headers = new Headers { { "label", "spoofing"u8.ToArray() } } });
        using var consumer = kafka.Clients.CreateConsumer($"g-{Guid.NewGuid():N}", "test-consumer");
        consumer.Subscribe(topic);
        var source = consumer.ConsumeExactly(1, TimeSpan.FromSeconds(30))[0];
        var dlq = new DeadLetterPublisher(producer, DeadLetterPublisher.DefaultMessageMaxBytes);
        var error = Assert.Throws<AvroContractException>(() => AvroSingleObject.Decode(source.Message.Value));

        await dlq.PublishAsync(source, error.ReasonCode, error.Message, CancellationToken.None);

        Assert.Equal(1, dlq.Count);
        using var dlqConsumer = kafka.Clients.CreateConsumer($"g-{Guid.NewGuid():N}", "test-dlq");
        dlqConsumer.Subscribe(topic + ".dlq");
        var dead = dlqConsumer.ConsumeExactly(1, TimeSpan.FromSeconds(30))[0];
        string Header(string name) => Encoding.UTF8.GetString(dead.Message.Headers.GetLastBytes(name));
        Assert.Equal(poison, dead.Message.Value);
        Assert.Equal("device-9", dead.Message.Key);
        Assert.Equal("bad_magic", Header(DeadLetterHeaders.Reason));
        Assert.Contains("7B 22", Header(DeadLetterHeaders.Detail), StringComparison.Ordinal);
        Assert.Equal(topic, Header(DeadLetterHeaders.SourceTopic));
        Assert.Equal("0", Header(DeadLetterHeaders.SourcePartition));
        Assert.Equal(source.Offset.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), Header(DeadLetterHeaders.SourceOffset));
        Assert.Equal("spoofing", Header("label"));
        consumer.Close();
        dlqConsumer.Close();
    }

    [Fact]
    public async Task DeadLetterPublisher_ValueOverMessageMaxBytes_CopyIsCutToFitAndCarriesLengthAndHash()
    {
        // librdkafka refuses a copy over the producer's message.max.bytes before it leaves the process, on every retry.
        var original = new byte[DeadLetterPublisher.DefaultMessageMaxBytes + 1];
        new Random(5).NextBytes(original);

        var (source, dead) = await DeadLetteredAsync(new Message<string?, byte[]> { Key = "camera-3", Value = original, Headers = new Headers { { "label", "normal"u8.ToArray() } } });

        string Header(string name) => Encoding.UTF8.GetString(dead.Message.Headers.GetLastBytes(name));
        var kept = dead.Message.Value;
        Assert.Equal(original.Length, source.Message.Value.Length);
        Assert.InRange(kept.Length, DeadLetterPublisher.DefaultMessageMaxBytes - 1_000, DeadLetterPublisher.DefaultMessageMaxBytes - 1);
        Assert.Equal(original.AsSpan(0, kept.Length).ToArray(), kept);
        Assert.Equal(original.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), Header(DeadLetterHeaders.ValueBytes));
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(original)), Header(DeadLetterHeaders.ValueSha256));
        Assert.Equal("oversize", Header(DeadLetterHeaders.Reason));
        Assert.Equal("normal", Header("label"));
        Assert.Equal("camera-3", dead.Message.Key);
        Assert.False(dead.Message.Headers.TryGetLastBytes(DeadLetterHeaders.HeadersDropped, out _));
    }

    [Fact]
    public async Task DeadLetterPublisher_SourceHeadersFillMessageMaxBytes_LeftOutAndCounted()
    {
        byte[] value = [1, 2, 3];
        var headers = new Headers { { "trace", new byte[DeadLetterPublisher.DefaultMessageMaxBytes - 100] }, { "label", "normal"u8.ToArray() } };

        var (_, dead) = await DeadLetteredAsync(new Message<string?, byte[]> { Key = "k", Value = value, Headers = headers });

        Assert.Equal(value, dead.Message.Value);
        Assert.Equal("2", Encoding.UTF8.GetString(dead.Message.Headers.GetLastBytes(DeadLetterHeaders.HeadersDropped)));
        Assert.False(dead.Message.Headers.TryGetLastBytes("trace", out _));
        Assert.Equal("oversize", Encoding.UTF8.GetString(dead.Message.Headers.GetLastBytes(DeadLetterHeaders.Reason)));
    }

    [Fact]
    public async Task DeadLetterPublisher_ValueThatFits_HasNoCutHeaders()
    {
        var value = new byte[DeadLetterPublisher.DefaultMessageMaxBytes - 2_000];

        var (_, dead) = await DeadLetteredAsync(new Message<string?, byte[]> { Key = "k", Value = value });

        Assert.Equal(value, dead.Message.Value);
        Assert.False(dead.Message.Headers.TryGetLastBytes(DeadLetterHeaders.ValueBytes, out _));
        Assert.False(dead.Message.Headers.TryGetLastBytes(DeadLetterHeaders.ValueSha256, out _));
    }

    /// <summary>Writes <paramref name="message"/> with a producer allowed 2 MB, reads it back, dead-letters it as
    /// oversize through a producer with the default message.max.bytes and reads the copy.</summary>
    private async Task<(ConsumeResult<string?, byte[]> Source, ConsumeResult<string?, byte[]> Dead)> DeadLetteredAsync(Message<string?, byte[]> message)
    {
        var topic = kafka.NewTopic();
        kafka.Broker.CreateTopic(topic + ".dlq", 1);
        var bigConfig = kafka.Clients.ProducerConfig("test-big");
        bigConfig.MessageMaxBytes = 2_000_000;
        using (var big = new ProducerBuilder<string?, byte[]>(bigConfig).Build())
        {
            await big.ProduceAsync(topic, message);
        }
        using var consumer = kafka.Clients.CreateConsumer($"g-{Guid.NewGuid():N}", "test-consumer");
        consumer.Subscribe(topic);
        var source = consumer.ConsumeExactly(1, TimeSpan.FromSeconds(30))[0];
        consumer.Close();
        using var producer = kafka.Clients.CreateProducer("test-dlq-producer");
        var dlq = new DeadLetterPublisher(producer, DeadLetterPublisher.MessageMaxBytesOf(kafka.Clients.ProducerConfig("test-dlq-producer")));

        await dlq.PublishAsync(source, "oversize", $"value of {source.Message.Value.Length} bytes", CancellationToken.None);

        using var dlqConsumer = kafka.Clients.CreateConsumer($"g-{Guid.NewGuid():N}", "test-dlq");
        dlqConsumer.Subscribe(topic + ".dlq");
        var dead = dlqConsumer.ConsumeExactly(1, TimeSpan.FromSeconds(30))[0];
        dlqConsumer.Close();
        return (source, dead);
    }

    [Fact]
    public async Task Kcat_ProducesAndConsumes_ThroughTheEmbeddedBroker()
    {
        var kcat = Tools.Require("kcat", "apt-get update && apt-get install -y kcat");
        var topic = kafka.NewTopic(partitions: 2);

        // kcat → our consumer
        var produced = Tools.Run(kcat, ["-P", "-b", kafka.BootstrapServers, "-t", topic, "-K:"], stdin: "k1:from-kcat-1\nk2:from-kcat-2\n");
        Assert.Equal(0, produced.ExitCode);
        using var consumer = kafka.Clients.CreateConsumer($"g-{Guid.NewGuid():N}", "test-consumer");
        consumer.Subscribe(topic);
        var fromKcat = consumer.ConsumeExactly(2, TimeSpan.FromSeconds(30));
        consumer.Close();
        Assert.Equal(["from-kcat-1", "from-kcat-2"], fromKcat.Select(r => Encoding.UTF8.GetString(r.Message.Value)).Order());

        // our producer (Avro single-object bytes) → kcat
        using var producer = kafka.Clients.CreateProducer("test-producer");
        var alert = ContractSamples.Encode(ContractSamples.Alert);
        await producer.ProduceAsync(topic, new Message<string?, byte[]> { Key = "ours", Value = alert });
        var consumed = Tools.Run(kcat, ["-C", "-b", kafka.BootstrapServers, "-t", topic, "-e", "-J", "-q"]);
        Assert.Equal(0, consumed.ExitCode);
        var lines = consumed.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(3, lines.Count);
        Assert.Contains(lines, l => l.GetProperty("key").GetString() == "ours");
    }
}
