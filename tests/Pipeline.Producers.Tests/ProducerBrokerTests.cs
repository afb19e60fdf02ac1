using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Producers.Publishing;
using Pipeline.Producers.Replay;
using Pipeline.Producers.Simulation;
using Pipeline.Testing;

namespace Pipeline.Producers.Tests;

/// <summary>Produces to the embedded broker and consumes back (real librdkafka clients on both sides).</summary>
public sealed class ProducerBrokerTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    private static readonly string[] InputTopics = [Topics.ChainBlocks, Topics.ChainTransactions, Topics.IiotTelemetry, Topics.EndpointExecutions];

    [Fact]
    public async Task PublishAsync_SimulatedStream_ArrivesWithKeysLabelsAndDecodableValues()
    {
        var prefix = CreateTopics();
        var world = new ScenarioWorld(TestScenarios.Small(), 77);
        var expected = TestScenarios.Take(world, ProducerDomains.All, 3_000);
        using var producer = kafka.Clients.CreateProducer("producers-test");

        var progress = await new KafkaPublisher(producer, prefix).PublishAsync(world.Stream(ProducerDomains.All),
            new PublishLimits { Count = 3_000 }, null, CancellationToken.None);

        Assert.Equal(3_000, progress.Produced);
        Assert.Equal(3_000, progress.Delivered);
        Assert.Equal(0, progress.Failed);
        var received = Consume(prefix, 3_000);
        Assert.Equal(Fingerprints(expected), Fingerprints(received.Select(r => (
            r.Topic[prefix.Length..],
            r.Message.Key!,
            r.Message.Value,
            Encoding.UTF8.GetString(r.Message.Headers.GetLastBytes(AttackLabels.HeaderName))))));
        Assert.All(received, r => Assert.NotNull(AvroSingleObject.Decode(r.Message.Value)));
    }

    [Fact]
    public async Task PublishAsync_Replay_SendsParsedRowsAndSkipsBadOnes()
    {
        var prefix = CreateTopics();
        var csv = Path.Combine(Path.GetTempPath(), $"replay-{Guid.NewGuid():N}.csv");
        await File.WriteAllLinesAsync(csv,
        [
            "time,host,app,hash,label",
            $"2026-01-01T00:00:00Z,veh-1,navigation,{new string('a', 64)},normal",
            $"not-a-time,veh-1,navigation,{new string('b', 64)},normal",
            $"2026-01-01T00:00:02Z,veh-2,netsvc,{new string('c', 64)},Unknown Binary",
        ]);
        try
        {
            var mapping = new ReplayMapping
            {
                Topic = Topics.EndpointExecutions,
                TimestampColumn = "time",
                LabelColumn = "label",
                Fields = new() { ["endpointId"] = "host", ["appName"] = "app", ["sha256"] = "hash" },
            };
            var feed = new ReplayFeed(csv, mapping);
            using var producer = kafka.Clients.CreateProducer("producers-replay-test");

            var progress = await new KafkaPublisher(producer, prefix).PublishAsync(feed.Messages(CancellationToken.None),
                new PublishLimits(), null, CancellationToken.None);

            Assert.Equal((2L, 1L, 2L), (progress.Delivered, feed.Rejected, feed.Accepted));
            var received = Consume(prefix, 2).OrderBy(r => r.Message.Key).ToList();
            Assert.Equal(["veh-1", "veh-2"], received.Select(r => r.Message.Key));
            Assert.Equal("unknown_binary", Encoding.UTF8.GetString(received[1].Message.Headers.GetLastBytes(AttackLabels.HeaderName)));
            Assert.Equal("netsvc", AvroSingleObject.Decode<EndpointExecution>(received[1].Message.Value).AppName);
        }
        finally
        {
            File.Delete(csv);
        }
    }

    [Fact]
    public async Task PublishAsync_Cancelled_StopsAndFlushesWhatWasProduced()
    {
        var prefix = CreateTopics();
        var world = new ScenarioWorld(TestScenarios.Small(), 78);
        using var producer = kafka.Clients.CreateProducer("producers-cancel-test");
        using var cts = new CancellationTokenSource();
        var progress = new PublishProgress();

        // Paced at 2000/s so the run is still going when it is cancelled after 500 messages.
        var run = Task.Run(() => new KafkaPublisher(producer, prefix).PublishAsync(world.Stream(ProducerDomains.Iiot),
            new PublishLimits { Rate = 2_000 }, progress, cts.Token));
        var deadline = Stopwatch.StartNew();
        while (progress.Produced < 500 && deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Yield();
        }
        await cts.CancelAsync();
        await run;

        Assert.True(progress.Produced >= 500);
        Assert.Equal(progress.Produced, progress.Delivered);
        Assert.Equal((int)progress.Produced, Consume(prefix, (int)progress.Produced).Count);
    }

    private string CreateTopics()
    {
        var prefix = $"p{Guid.NewGuid():N}.";
        foreach (var topic in InputTopics)
        {
            kafka.Broker.CreateTopic(prefix + topic, Topics.InputPartitions);
        }
        return prefix;
    }

    private List<ConsumeResult<string?, byte[]>> Consume(string prefix, int count)
    {
        using var consumer = kafka.Clients.CreateConsumer($"g-{Guid.NewGuid():N}", "producers-test-consumer");
        consumer.Subscribe(InputTopics.Select(t => prefix + t));
        var results = new List<ConsumeResult<string?, byte[]>>();
        var deadline = Stopwatch.StartNew();
        while (results.Count < count && deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } r)
            {
                results.Add(r);
            }
        }
        // Nothing beyond what was produced.
        while (consumer.Consume(TimeSpan.FromMilliseconds(500)) is { } extra)
        {
            results.Add(extra);
        }
        consumer.Close();
        return results;
    }

    private static List<string> Fingerprints(IEnumerable<SimulatedMessage> messages) =>
        Fingerprints(messages.Select(m => (m.Topic, m.Key, m.Value, m.Label!)));

    private static List<string> Fingerprints(IEnumerable<(string Topic, string Key, byte[] Value, string Label)> messages) =>
        [.. messages.Select(m => $"{m.Topic}|{m.Key}|{Convert.ToHexString(m.Value)}|{m.Label}").Order(StringComparer.Ordinal)];
}
