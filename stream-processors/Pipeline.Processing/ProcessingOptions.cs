namespace Pipeline.Processing;

/// <summary>How a processor consumes, batches and commits (configuration section "Processing").</summary>
/// <remarks>Instances that share <see cref="GroupId"/> form one consumer group and split the input
/// partitions between them.</remarks>
public sealed class ProcessingOptions
{
    public const string SectionName = "Processing";

    /// <summary>at_least_once (default) or exactly_once_v2 (transactional produce; needs a real Kafka broker).</summary>
    public string Guarantee { get; set; } = "at_least_once";

    /// <summary>Most messages in one batch.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>Longest time a batch stays open after its first message, in milliseconds.</summary>
    public int BatchTimeoutMs { get; set; } = 20;

    /// <summary>How long an open batch waits for its next message once the consumer has nothing more
    /// buffered, in milliseconds. 0 (default) processes what has arrived at once: batches are as large as
    /// the backlog (up to <see cref="BatchSize"/>), so they fill under load and stay small, and fast, when
    /// input is light. A value up to <see cref="BatchTimeoutMs"/> trades latency for fuller batches.</summary>
    public int BatchLingerMs { get; set; }

    /// <summary>Processed batches whose outputs may await the broker's acknowledgement while the next batches are
    /// processed (at_least_once; exactly_once_v2 commits each batch in its transaction). Offsets are committed in
    /// batch order once a batch's outputs are all acknowledged. When this many are unacknowledged the loop waits for
    /// the oldest, so throughput is capped near BatchSize × this / acknowledgement latency: a window of 4 held a
    /// scorer to ~90,000 events/s with acknowledgements slowed by a busy broker (docs/benchmarks-processing.md).</summary>
    public int MaxBatchesInFlight { get; set; } = 64;

    /// <summary>Consumer group; empty = "pipeline-scoring-&lt;stream&gt;" or "pipeline-whitelist".</summary>
    public string? GroupId { get; set; }

    /// <summary>Seconds between summary log lines (0 = none).</summary>
    public int SummaryIntervalSeconds { get; set; } = 10;

    /// <summary>Pause before retrying a batch whose outputs or commit failed transiently, in milliseconds.</summary>
    public int RetryBackoffMs { get; set; } = 500;

    /// <summary>The parsed <see cref="Guarantee"/>.</summary>
    /// <exception cref="ArgumentException">The value is neither at_least_once nor exactly_once_v2.</exception>
    public ProcessingGuarantee ParsedGuarantee => Guarantee.Trim().ToLowerInvariant() switch
    {
        "at_least_once" or "atleastonce" => ProcessingGuarantee.AtLeastOnce,
        "exactly_once_v2" or "exactlyoncev2" => ProcessingGuarantee.ExactlyOnceV2,
        _ => throw new ArgumentException($"Processing:Guarantee must be at_least_once or exactly_once_v2, got '{Guarantee}'"),
    };

    /// <summary>Checks the values and names the first bad one.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public void Validate()
    {
        _ = ParsedGuarantee;
        if (BatchSize is < 1 or > 100_000)
        {
            throw new ArgumentException($"Processing:BatchSize must be 1..100000, got {BatchSize}");
        }
        if (BatchTimeoutMs is < 0 or > 60_000)
        {
            throw new ArgumentException($"Processing:BatchTimeoutMs must be 0..60000, got {BatchTimeoutMs}");
        }
        if (BatchLingerMs is < 0 or > 60_000)
        {
            throw new ArgumentException($"Processing:BatchLingerMs must be 0..60000, got {BatchLingerMs}");
        }
        if (MaxBatchesInFlight is < 1 or > 4096)
        {
            throw new ArgumentException($"Processing:MaxBatchesInFlight must be 1..4096, got {MaxBatchesInFlight}");
        }
        if (RetryBackoffMs is < 0 or > 60_000)
        {
            throw new ArgumentException($"Processing:RetryBackoffMs must be 0..60000, got {RetryBackoffMs}");
        }
    }
}
