namespace Pipeline.Processing.Engine;

/// <summary>One consumed message as the processing logic sees it: no Kafka types, so logic is
/// testable without a broker.</summary>
/// <param name="Topic">Topic the message came from (with any deployment prefix).</param>
/// <param name="Partition">Partition.</param>
/// <param name="Offset">Offset within the partition.</param>
/// <param name="Key">Message key.</param>
/// <param name="Value">Raw value bytes.</param>
/// <param name="Timestamp">Kafka message timestamp.</param>
public readonly record struct InputRecord(string Topic, int Partition, long Offset, string? Key, byte[] Value, DateTimeOffset Timestamp);
