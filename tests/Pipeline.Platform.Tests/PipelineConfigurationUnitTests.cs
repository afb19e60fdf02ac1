using Pipeline.Platform.Kafka;

namespace Pipeline.Platform.Tests;

public sealed class PipelineConfigurationUnitTests
{
    [Fact]
    public void Build_SetOverride_BindsIntoKafkaOptionsAndConfluentConfig()
    {
        var configuration = PipelineConfiguration.Build(["Kafka:BootstrapServers=broker-1:9092", "Kafka:Producer:LingerMs=20", "Kafka:TopicPrefix=staging."]);

        var options = configuration.Bind<KafkaOptions>(KafkaOptions.SectionName);

        Assert.Equal("broker-1:9092", options.BootstrapServers);
        Assert.False(options.UsesEmbeddedBroker);
        Assert.Equal("staging.alerts", new KafkaClientFactory(options.BootstrapServers!, options).Topic("alerts"));
        Assert.Equal(20, new KafkaClientFactory(options.BootstrapServers!, options).ProducerConfig("p").LingerMs);
    }

    [Fact]
    public void Build_NoSettings_UsesEmbeddedBrokerAndSafeProducerDefaults()
    {
        var options = PipelineConfiguration.Build().Bind<KafkaOptions>(KafkaOptions.SectionName);
        var producer = new KafkaClientFactory("localhost:1", options).ProducerConfig("p");
        var consumer = new KafkaClientFactory("localhost:1", options).ConsumerConfig("g", "c");

        Assert.True(options.UsesEmbeddedBroker);
        Assert.Equal(Confluent.Kafka.Acks.All, producer.Acks);
        Assert.True(producer.EnableIdempotence);
        Assert.False(consumer.EnableAutoCommit);
        Assert.Equal(KafkaClientFactory.FetchQueueBackoffMs, consumer.FetchQueueBackoffMs);
    }

    [Fact]
    public void Build_ConsumerOverride_ReplacesThePlatformDefault()
    {
        var options = PipelineConfiguration.Build(["Kafka:Consumer:FetchQueueBackoffMs=1000"]).Bind<KafkaOptions>(KafkaOptions.SectionName);

        Assert.Equal(1000, new KafkaClientFactory("localhost:1", options).ConsumerConfig("g", "c").FetchQueueBackoffMs);
    }

    [Fact]
    public void Build_OverrideWithoutEquals_ThrowsNamingTheItem()
    {
        var error = Assert.Throws<FormatException>(() => PipelineConfiguration.Build(["Kafka:BootstrapServers"]));

        Assert.Contains("'Kafka:BootstrapServers' is not KEY=VALUE", error.Message, StringComparison.Ordinal);
    }
}
