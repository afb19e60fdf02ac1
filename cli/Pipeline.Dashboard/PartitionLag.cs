namespace Pipeline.Dashboard;

/// <summary>Progress of one consumer group on one partition.</summary>
/// <param name="Group">Consumer group id.</param>
/// <param name="Topic">Topic name as on the broker (prefix applied).</param>
/// <param name="Partition">Partition number.</param>
/// <param name="Committed">Committed offset, or -1 when the group has committed nothing here.</param>
/// <param name="LowWatermark">First offset still on the broker.</param>
/// <param name="HighWatermark">Offset the next message will get (end offset).</param>
public sealed record PartitionLag(string Group, string Topic, int Partition, long Committed, long LowWatermark, long HighWatermark)
{
    /// <summary>Messages the group has still to process: end minus committed; with no commit, everything
    /// still retained (the group would start from the earliest offset); never negative.</summary>
    public long Lag => Compute(Committed, LowWatermark, HighWatermark);

    /// <summary>The lag arithmetic on its own.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The high watermark is below the low watermark.</exception>
    public static long Compute(long committed, long lowWatermark, long highWatermark)
    {
        if (highWatermark < lowWatermark)
        {
            throw new ArgumentOutOfRangeException(nameof(highWatermark), $"high watermark {highWatermark} is below low watermark {lowWatermark}");
        }

        // No commit (librdkafka reports Offset.Unset = -1001) or a commit before retention: start at the low watermark.
        var from = committed < lowWatermark ? lowWatermark : committed;
        return Math.Max(0, highWatermark - from);
    }
}
