using Confluent.Kafka;
using Pipeline.Platform.Kafka;

namespace Pipeline.Testing;

/// <summary>An embedded Kafka broker shared by the tests of a class; every test asks it for its
/// own throw-away topics, so tests never see each other's messages and can run in parallel.</summary>
/// <remarks>The broker is ready when the constructor returns: it waits until a metadata request
/// is answered.</remarks>
public class KafkaFixture : IDisposable
{
    public KafkaFixture() : this(brokers: 1)
    {
    }

    protected KafkaFixture(int brokers)
    {
        Broker = EmbeddedKafkaBroker.Start(brokers);
        Clients = new KafkaClientFactory(Broker.BootstrapServers, new KafkaOptions { BootstrapServers = Broker.BootstrapServers });
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = Broker.BootstrapServers }).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(30));
        if (metadata.Brokers.Count != brokers)
        {
            throw new InvalidOperationException($"embedded broker answered with {metadata.Brokers.Count} brokers, expected {brokers}");
        }
    }

    public EmbeddedKafkaBroker Broker { get; }

    public KafkaClientFactory Clients { get; }

    public string BootstrapServers => Broker.BootstrapServers;

    /// <summary>Creates a topic with a unique name for one test.</summary>
    public string NewTopic(int partitions = 1, string hint = "t")
    {
        var name = $"{hint}-{Guid.NewGuid():N}";
        Broker.CreateTopic(name, partitions);
        return name;
    }

    public void Dispose()
    {
        Broker.Dispose();
        GC.SuppressFinalize(this);
    }
}
