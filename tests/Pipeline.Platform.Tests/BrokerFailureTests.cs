using System.Buffers.Binary;
using Confluent.Kafka;

namespace Pipeline.Platform.Tests;

public sealed class BrokerFailureTests(ThreeBrokerKafkaFixture kafka) : IClassFixture<ThreeBrokerKafkaFixture>
{
    [Fact]
    public async Task IdempotentProducer_LeaderBrokerDownAndUpMidStream_LosesAndDuplicatesNothing()
    {
        const int Total = 6_000;
        var topic = kafka.NewTopic(partitions: 1);
        kafka.Broker.SetPartitionLeader(topic, 0, 2);
        using var producer = kafka.Clients.CreateProducer("failover-producer");
        var deliveries = new List<Task<DeliveryResult<string?, byte[]>>>(Total);

        for (var i = 0; i < Total; i++)
        {
            var value = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(value, i);
            deliveries.Add(producer.ProduceAsync(topic, new Message<string?, byte[]> { Key = "k", Value = value }));
            if (i == Total / 3)
            {
                kafka.Broker.SetBrokerDown(2);
            }
            if (i == 2 * Total / 3)
            {
                kafka.Broker.SetBrokerUp(2);
            }
        }
        var results = await Task.WhenAll(deliveries);

        Assert.All(results, r => Assert.Equal(PersistenceStatus.Persisted, r.Status));
        using var consumer = kafka.Clients.CreateConsumer($"g-{Guid.NewGuid():N}", "failover-consumer");
        consumer.Subscribe(topic);
        var received = consumer.ConsumeExactly(Total, TimeSpan.FromSeconds(60));
        Assert.Null(consumer.Consume(TimeSpan.FromSeconds(1)));
        consumer.Close();
        var sequence = received.Select(r => BinaryPrimitives.ReadInt64LittleEndian(r.Message.Value)).ToArray();
        Assert.Equal(Enumerable.Range(0, Total).Select(i => (long)i), sequence);
    }
}
