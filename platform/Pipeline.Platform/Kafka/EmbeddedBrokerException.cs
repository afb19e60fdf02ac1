namespace Pipeline.Platform.Kafka;

/// <summary>The embedded broker could not start or could not carry out a control call.</summary>
public sealed class EmbeddedBrokerException(string message) : Exception(message);
