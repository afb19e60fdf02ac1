using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Processing.Scoring;

/// <summary>A stateful, single-consumer scorer of one model version: featurizes events in order
/// (keeping per-entity context) and scores them.</summary>
/// <remarks>Not thread-safe. <see cref="Explain"/> refers to the events scored by the last call.
/// A scorer that <see cref="Holds"/> events (blocks awaiting their confirmations) scores an event only
/// once later events have arrived: it is fed with <see cref="Hold"/>, and its held events are scored
/// early by <see cref="Release"/> or forgotten by <see cref="Drop"/>.</remarks>
public interface IEventScorer
{
    /// <summary>Scores <paramref name="events"/> (BlockEvent, TransactionEvent or DeviceReading
    /// objects, in consumption order) into <paramref name="scores"/>.</summary>
    void Score(IReadOnlyList<object> events, Span<float> scores);

    /// <summary>Up to <paramref name="count"/> features that contributed most to the score of event
    /// <paramref name="index"/> of the last call (empty when the detector cannot say).</summary>
    IReadOnlyList<NamedValue> Explain(int index, int count);

    /// <summary>Whether events wait for later ones before they are scored.</summary>
    bool Holds => false;

    /// <summary>Events held now.</summary>
    int Held => 0;

    /// <summary>Hands <paramref name="events"/> over with where each came from; appends the held events
    /// that are now scored (these or earlier ones; the tag of each is its <see cref="HeldSource"/>).</summary>
    void Hold(IReadOnlyList<object> events, IReadOnlyList<HeldSource> sources, List<HeldScore> scored) =>
        throw new NotSupportedException("This scorer scores each event when it arrives.");

    /// <summary>Scores now, with what has arrived after them, the held events whose source satisfies
    /// <paramref name="due"/>.</summary>
    void Release(Func<HeldSource, bool> due, List<HeldScore> scored)
    {
    }

    /// <summary>Forgets, unscored, the held events whose source satisfies <paramref name="which"/> and the
    /// context they belong to (their records will be read again); returns them, oldest first.</summary>
    IReadOnlyList<(BlockEvent Event, HeldSource Source)> Drop(Func<HeldSource, bool> which) => [];
}

/// <summary>Where a held event came from and since when it is held (its alert carries this position).</summary>
/// <param name="Topic">Input topic.</param>
/// <param name="Partition">Partition.</param>
/// <param name="Offset">Offset.</param>
/// <param name="Since">When it was consumed (the hold's time limit counts from here).</param>
public sealed record HeldSource(string Topic, int Partition, long Offset, DateTimeOffset Since);
