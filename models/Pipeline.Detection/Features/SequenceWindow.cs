namespace Pipeline.Detection;

/// <summary>
/// The last w feature vectors of each entity, concatenated oldest first, so NED can judge a reading against its
/// neighbours in time (the paper's temporally sorted sequences). Missing history (cold start, partition hand-over) is
/// zero-filled.
/// </summary>
/// <remarks>Not thread-safe; bounded by an LRU over entities.</remarks>
public sealed class SequenceWindow
{
    private readonly LruCache<Ring> _entities;

    /// <summary>Creates windows of <paramref name="length"/> vectors of <paramref name="featureDimension"/> features.</summary>
    public SequenceWindow(int featureDimension, int length, int maxEntities = 100_000)
    {
        if (featureDimension < 1) throw new ArgumentOutOfRangeException(nameof(featureDimension), featureDimension, "Feature dimension must be positive.");
        if (length < 1) throw new ArgumentOutOfRangeException(nameof(length), length, "Window length must be positive.");
        if (maxEntities < 1) throw new ArgumentOutOfRangeException(nameof(maxEntities), maxEntities, "At least one entity must fit.");
        FeatureDimension = featureDimension;
        Length = length;
        _entities = new LruCache<Ring>(maxEntities);
    }

    /// <summary>Features per event.</summary>
    public int FeatureDimension { get; }

    /// <summary>Events per window w.</summary>
    public int Length { get; }

    /// <summary>Length of a window vector (w × features): the NED input dimension.</summary>
    public int Dimension => FeatureDimension * Length;

    /// <summary>Appends <paramref name="features"/> to <paramref name="entity"/>'s history and writes its window into <paramref name="window"/>.</summary>
    public void Push(string entity, ReadOnlySpan<float> features, Span<float> window)
    {
        ArgumentNullException.ThrowIfNull(entity);
        if (features.Length != FeatureDimension) throw new ArgumentException($"Expected {FeatureDimension} features, got {features.Length}.", nameof(features));
        if (window.Length != Dimension) throw new ArgumentException($"Expected a window span of {Dimension}, got {window.Length}.", nameof(window));
        var ring = _entities.GetOrAdd(entity, () => new Ring(FeatureDimension, Length), out _);
        ring.Add(features);
        ring.CopyOldestFirst(window);
    }

    /// <summary>Forgets <paramref name="entity"/>'s history: its next window starts zero-filled.</summary>
    public void Forget(string entity) => _entities.Remove(entity);

    private sealed class Ring(int d, int w)
    {
        private readonly float[] _values = new float[d * w];
        private int _next;
        private int _count;

        public void Add(ReadOnlySpan<float> features)
        {
            features.CopyTo(_values.AsSpan(_next * d, d));
            _next = (_next + 1) % w;
            if (_count < w) _count++;
        }

        public void CopyOldestFirst(Span<float> window)
        {
            var missing = w - _count;
            window[..(missing * d)].Clear();
            for (var i = 0; i < _count; i++)
            {
                var slot = (_next - _count + i + w) % w;
                _values.AsSpan(slot * d, d).CopyTo(window.Slice((missing + i) * d, d));
            }
        }
    }
}
