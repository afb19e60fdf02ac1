namespace Pipeline.Processing.Engine;

/// <summary>A processor cannot go on (fatal Kafka error, fenced transactional producer, bad
/// configuration); the host should stop with this message.</summary>
public sealed class ProcessingFatalException(string message, Exception? inner = null) : Exception(message, inner);
