namespace Pipeline.Detection;

/// <summary>Turns events of one type into fixed-length float vectors with per-entity temporal context.</summary>
/// <typeparam name="TEvent">The event contract.</typeparam>
/// <remarks>
/// Stateful and not thread-safe: use one instance per consumer. State is in memory and bounded (LRU over entities);
/// after a restart or a partition hand-over the new owner starts cold, so the first events of each entity carry zeroed
/// context (deltas, rolling statistics, time since last) and a "history" feature below 1 tells the detector so.
/// </remarks>
public interface IFeaturizer<in TEvent>
{
    /// <summary>Length of every vector.</summary>
    int Dimension { get; }

    /// <summary>Name of each feature, in vector order (documented in docs/detection.md).</summary>
    IReadOnlyList<string> FeatureNames { get; }

    /// <summary>Entities currently holding context.</summary>
    int TrackedEntities { get; }

    /// <summary>Writes the features of <paramref name="event"/> into <paramref name="features"/> and updates the entity's context.</summary>
    /// <exception cref="ArgumentException"><paramref name="features"/> is not <see cref="Dimension"/> long.</exception>
    void Featurize(TEvent @event, Span<float> features);
}
