using Pipeline.Contracts;

namespace Pipeline.Detection;

/// <summary>
/// Features of IIoT <see cref="DeviceReading"/> events, with context per device (cluster/factory/device). For each
/// configured measurement m: <c>m</c> (value), <c>m.delta</c> (change since the device's previous reading),
/// <c>m.dev</c> (value minus the rolling mean of the last w readings), <c>m.std</c> (rolling standard deviation; 0 for a
/// frozen sensor), <c>m.drift</c> (value minus a slow exponential baseline; grows under gradual drift). Then per reading:
/// <c>dt</c> (seconds since the previous reading), <c>seq_gap</c> (sequence minus previous sequence; ≤ 0 for replays),
/// <c>unchanged</c> (share of measurements exactly equal to the previous reading), <c>repeat</c> (1 when the whole vector
/// equals one of the last w vectors: replay), <c>missing</c> (configured measurements absent), <c>history</c> (min(n, w)/w:
/// how warm the context is).
/// </summary>
public sealed class DeviceReadingFeaturizer : IFeaturizer<DeviceReading>
{
    private const int PerMeasurement = 5;
    private const int Shared = 6;
    private readonly string[] _measurements;
    private readonly Dictionary<string, int> _index;
    private readonly FeaturizerOptions _options;
    private readonly LruCache<SignalHistory> _devices;
    private readonly float[] _values;

    /// <summary>Creates a featurizer for the ordered <paramref name="measurements"/> (names as in <see cref="NamedValue.Name"/>).</summary>
    public DeviceReadingFeaturizer(IReadOnlyList<string> measurements, FeaturizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(measurements);
        if (measurements.Count == 0) throw new ArgumentException("At least one measurement name is required.", nameof(measurements));
        _options = options ?? new FeaturizerOptions();
        _options.Validate();
        _measurements = [.. measurements];
        _index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < _measurements.Length; i++)
        {
            if (!_index.TryAdd(_measurements[i], i)) throw new ArgumentException($"Measurement '{_measurements[i]}' is listed twice.", nameof(measurements));
        }

        _devices = new LruCache<SignalHistory>(_options.MaxEntities);
        _values = new float[_measurements.Length];
        var names = new List<string>();
        foreach (var m in _measurements) names.AddRange([m, $"{m}.delta", $"{m}.dev", $"{m}.std", $"{m}.drift"]);
        names.AddRange(["dt", "seq_gap", "unchanged", "repeat", "missing", "history"]);
        FeatureNames = names;
    }

    /// <inheritdoc />
    public int Dimension => FeatureNames.Count;

    /// <inheritdoc />
    public IReadOnlyList<string> FeatureNames { get; }

    /// <inheritdoc />
    public int TrackedEntities => _devices.Count;

    /// <summary>Devices evicted from the context cache so far.</summary>
    public long Evictions => _devices.Evictions;

    /// <inheritdoc />
    public void Featurize(DeviceReading @event, Span<float> features)
    {
        ArgumentNullException.ThrowIfNull(@event);
        if (features.Length != Dimension) throw new ArgumentException($"Expected {Dimension} features, got a span of {features.Length}.", nameof(features));

        var k = _measurements.Length;
        Array.Clear(_values);
        var present = 0;
        foreach (var m in @event.Measurements)
        {
            if (_index.TryGetValue(m.Name, out var i) && double.IsFinite(m.Value))
            {
                _values[i] = (float)m.Value;
                present++;
            }
        }

        var key = string.Concat(@event.ClusterId, "/", @event.FactoryId, "/", @event.DeviceId);
        var history = _devices.GetOrAdd(key, () => new SignalHistory(k, _options.Window), out _);
        var warm = history.Seen > 0;
        var unchanged = 0;
        for (var i = 0; i < k; i++)
        {
            var v = _values[i];
            var at = i * PerMeasurement;
            features[at] = v;
            features[at + 1] = warm ? v - history.Previous[i] : 0;
            features[at + 2] = warm ? v - history.Mean(i) : 0;
            features[at + 3] = history.Std(i);
            features[at + 4] = warm ? (float)(v - history.Baseline[i]) : 0;
            if (warm && v == history.Previous[i]) unchanged++;
        }

        var shared = k * PerMeasurement;
        features[shared] = warm ? (float)(@event.Timestamp - history.LastTimestamp).TotalSeconds : 0;
        features[shared + 1] = warm ? @event.Sequence - history.LastSequence : 0;
        features[shared + 2] = warm ? unchanged / (float)k : 0;
        features[shared + 3] = warm && history.RepeatsWindowedVector(_values) ? 1 : 0;
        features[shared + 4] = k - present;
        features[shared + 5] = history.Filled / (float)_options.Window;
        history.Push(_values, @event.Timestamp, @event.Sequence, _options.BaselineAlpha);
    }
}
