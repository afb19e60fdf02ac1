namespace Pipeline.Platform.Kafka;

/// <summary>Header names of dead-lettered messages.</summary>
public static class DeadLetterHeaders
{
    public const string Reason = "dlq.reason";
    public const string Detail = "dlq.detail";
    public const string SourceTopic = "dlq.source.topic";
    public const string SourcePartition = "dlq.source.partition";
    public const string SourceOffset = "dlq.source.offset";
}
