using Pipeline.Platform.Kafka;
using Pipeline.Testing;

namespace Pipeline.Dashboard.Tests;

/// <summary>The lag that <c>pipeline status</c> and the dashboard report, against the embedded broker.</summary>
public sealed class ConsumerLagReaderTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    [Fact]
    public async Task ReadAsync_StoppedGroupThenCaughtUp_LagDropsToZero()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var topic = kafka.NewTopic(partitions: 1, hint: "lag");
        var group = "lag-" + Guid.NewGuid().ToString("N");
        using (var producer = kafka.Clients.CreateProducer("lag-test"))
        {
            for (var i = 0; i < 10; i++)
            {
                await producer.ProduceAsync(topic, new() { Key = $"k{i}", Value = [(byte)i] }, cts.Token);
            }
        }
        var reader = new ConsumerLagReader(kafka.Clients);

        var before = Assert.Single(await reader.ReadAsync([group], [topic], cts.Token));
        Assert.Equal((10L, 10L), (before.HighWatermark, before.Lag));

        ConsumeAndCommit(group, topic, 4, cts.Token);
        var stopped = Assert.Single(await reader.ReadAsync([group], [topic], cts.Token));
        Assert.Equal((4L, 6L), (stopped.Committed, stopped.Lag));

        ConsumeAndCommit(group, topic, 6, cts.Token);
        var caughtUp = Assert.Single(await reader.ReadAsync([group], [topic], cts.Token));
        Assert.Equal((10L, 0L), (caughtUp.Committed, caughtUp.Lag));
    }

    private void ConsumeAndCommit(string group, string topic, int count, CancellationToken cancellationToken)
    {
        using var consumer = kafka.Clients.CreateConsumer(group, "lag-test");
        consumer.Subscribe(topic);
        for (var read = 0; read < count;)
        {
            var result = consumer.Consume(cancellationToken);
            if (result?.Message is null)
            {
                continue;
            }
            consumer.Commit(result);
            read++;
        }
        consumer.Close();
    }
}
