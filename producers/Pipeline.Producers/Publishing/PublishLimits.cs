namespace Pipeline.Producers.Publishing;

/// <summary>When a publishing run stops, and how fast it goes.</summary>
public sealed record PublishLimits
{
    /// <summary>Messages per second (token bucket); 0 = as fast as the broker takes them.</summary>
    public double Rate { get; init; }

    /// <summary>Stop after this many messages; null = no limit.</summary>
    public long? Count { get; init; }

    /// <summary>Stop after this much wall-clock time; null = no limit.</summary>
    public TimeSpan? Duration { get; init; }

    /// <summary>How long the final flush may take on stop.</summary>
    public TimeSpan FlushTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
