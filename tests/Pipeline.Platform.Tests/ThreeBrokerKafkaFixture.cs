using Pipeline.Testing;

namespace Pipeline.Platform.Tests;

/// <summary>An embedded cluster of three brokers, for tests that take brokers down.</summary>
public sealed class ThreeBrokerKafkaFixture() : KafkaFixture(brokers: 3);
