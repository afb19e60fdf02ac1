using System.Collections.Concurrent;

namespace Pipeline.Producers.Publishing;

/// <summary>Live counters of a publishing run, safe to read from a display thread.</summary>
public sealed class PublishProgress
{
    private long _produced;
    private long _delivered;
    private long _failed;
    private readonly ConcurrentDictionary<string, long> _byTopic = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _byLabel = new(StringComparer.Ordinal);

    /// <summary>Messages handed to the producer.</summary>
    public long Produced => Interlocked.Read(ref _produced);

    /// <summary>Messages the broker acknowledged.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Messages whose delivery failed.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>The first delivery error, if any.</summary>
    public string? FirstError { get; private set; }

    public IReadOnlyDictionary<string, long> ByTopic => _byTopic;

    /// <summary>Produced messages per label ("none" for messages without one).</summary>
    public IReadOnlyDictionary<string, long> ByLabel => _byLabel;

    internal void OnProduced(string topic, string? label)
    {
        Interlocked.Increment(ref _produced);
        _byTopic.AddOrUpdate(topic, 1, static (_, n) => n + 1);
        _byLabel.AddOrUpdate(label ?? "none", 1, static (_, n) => n + 1);
    }

    internal void OnDelivered() => Interlocked.Increment(ref _delivered);

    internal void OnFailed(string reason)
    {
        if (Interlocked.Increment(ref _failed) == 1)
        {
            FirstError = reason;
        }
    }
}
