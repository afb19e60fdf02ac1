namespace Pipeline.Processing.Engine;

/// <summary>What a <see cref="BatchConsumerLoop"/> consumes and how.</summary>
/// <param name="Topics">Input topics (full names).</param>
/// <param name="GroupId">Consumer group: instances with the same id split the partitions.</param>
/// <param name="ClientId">Client id of this instance (also the stem of its transactional id).</param>
/// <param name="BatchSize">Most messages per batch.</param>
/// <param name="BatchTimeout">Longest time a batch stays open after its first message.</param>
/// <param name="Guarantee">At-least-once or exactly-once v2.</param>
/// <param name="MaxMessageBytes">Values larger than this are dead-lettered as oversize.</param>
/// <param name="RetryBackoff">Pause before a failed batch is retried.</param>
/// <param name="SummaryInterval">Period of the summary log line (zero: none).</param>
/// <param name="BatchLinger">How long an open batch waits for its next message once nothing more is
/// buffered (zero: process what has arrived at once).</param>
/// <param name="MaxBatchesInFlight">Processed batches whose outputs may await acknowledgement while the next ones
/// are processed (at_least_once); the loop waits for the oldest when this many are unacknowledged.</param>
public sealed record BatchLoopSettings(
    IReadOnlyList<string> Topics,
    string GroupId,
    string ClientId,
    int BatchSize,
    TimeSpan BatchTimeout,
    ProcessingGuarantee Guarantee,
    int MaxMessageBytes,
    TimeSpan RetryBackoff,
    TimeSpan SummaryInterval,
    TimeSpan BatchLinger,
    int MaxBatchesInFlight)
{
    /// <summary>The settings of a processor configured by <paramref name="processing"/>: its group is
    /// <see cref="ProcessingOptions.GroupId"/> or <paramref name="defaultGroupId"/>, its client id
    /// "<paramref name="role"/>-<paramref name="instanceId"/>" (default: process id and a random suffix).</summary>
    public static BatchLoopSettings For(
        ProcessingOptions processing, IReadOnlyList<string> topics, string defaultGroupId, string role, int maxMessageBytes, string? instanceId) =>
        new(
            topics,
            string.IsNullOrWhiteSpace(processing.GroupId) ? defaultGroupId : processing.GroupId,
            $"{role}-{instanceId ?? $"{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}"}",
            processing.BatchSize,
            TimeSpan.FromMilliseconds(processing.BatchTimeoutMs),
            processing.ParsedGuarantee,
            maxMessageBytes,
            TimeSpan.FromMilliseconds(processing.RetryBackoffMs),
            TimeSpan.FromSeconds(processing.SummaryIntervalSeconds),
            TimeSpan.FromMilliseconds(processing.BatchLingerMs),
            processing.MaxBatchesInFlight);
}
