namespace Pipeline.Platform.Kafka;

/// <summary>Header names of dead-lettered messages.</summary>
public static class DeadLetterHeaders
{
    public const string Reason = "dlq.reason";
    public const string Detail = "dlq.detail";
    public const string SourceTopic = "dlq.source.topic";
    public const string SourcePartition = "dlq.source.partition";
    public const string SourceOffset = "dlq.source.offset";

    /// <summary>Only on a copy that had to be reduced to fit the producer's message.max.bytes (its value cut, or its
    /// source headers left out): the original value's length.</summary>
    public const string ValueBytes = "dlq.value.bytes";

    /// <summary>Only on a reduced copy: the lowercase hex SHA-256 of the whole original value.</summary>
    public const string ValueSha256 = "dlq.value.sha256";

    /// <summary>Only on a reduced copy whose source headers alone did not fit: how many of them were left out.</summary>
    public const string HeadersDropped = "dlq.headers.dropped";
}
