using Pipeline.Contracts;

namespace Pipeline.Detection;

/// <summary>
/// Features of IIoT <see cref="DeviceReading"/> events, with context per device (cluster/factory/device). For each
/// configured measurement m: <c>m</c> (value), <c>m.delta</c> (change since the device's previous reading),
/// <c>m.dev</c> (value minus the rolling mean of the last w readings), <c>m.std</c> (rolling standard deviation; 0 for a
/// frozen sensor), <c>m.drift</c> (value minus a slow exponential baseline; grows under gradual drift). Then per reading:
/// <c>dt</c> (seconds since the previous reading), <c>seq_gap</c> (sequence minus previous sequence; ≤ 0 where a replay
/// starts), <c>seq_behind</c> (highest sequence seen minus this one, 0 normally: stays positive through a replay that
/// keeps its old numbering), <c>unchanged</c> (share of measurements exactly equal to the previous reading),
/// <c>repeat</c> (1 when the whole vector equals, exactly, one of the device's last
/// <see cref="FeaturizerOptions.ReplayMemory"/> readings: noisy sensors never repeat exactly, so this marks replays and
/// stuck feeds), <c>missing</c> (configured measurements absent), <c>history</c> (min(n, w)/w: how warm the context is).
/// </summary>
public sealed class DeviceReadingFeaturizer : IFeaturizer<DeviceReading>
{
    private const int PerMeasurement = 5;
    private const int Shared = 7;
    private readonly string[] _measurements;
    private readonly Dictionary<string, int> _index;
    private readonly FeaturizerOptions _options;
    private readonly LruCache<DeviceState> _devices;
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

        _devices = new LruCache<DeviceState>(_options.MaxEntities);
        _values = new float[_measurements.Length];
        var names = new List<string>();
        foreach (var m in _measurements) names.AddRange([m, $"{m}.delta", $"{m}.dev", $"{m}.std", $"{m}.drift"]);
        names.AddRange(["dt", "seq_gap", "seq_behind", "unchanged", "repeat", "missing", "history"]);
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
        var device = _devices.GetOrAdd(key, () => new DeviceState(k, _options.Window, _options.ReplayMemory), out _);
        var history = device.History;
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
        features[shared + 2] = warm ? Math.Max(0, device.MaxSequence - @event.Sequence) : 0;
        features[shared + 3] = warm ? unchanged / (float)k : 0;
        var fingerprint = Fingerprint(_values);
        features[shared + 4] = warm && device.Seen(fingerprint) ? 1 : 0;
        features[shared + 5] = k - present;
        features[shared + 6] = history.Filled / (float)_options.Window;
        history.Push(_values, @event.Timestamp, @event.Sequence, _options.BaselineAlpha);
        device.Remember(fingerprint, @event.Sequence);
    }

    // 64-bit FNV-1a over the exact float bits of the reading.
    private static ulong Fingerprint(ReadOnlySpan<float> values)
    {
        var hash = 14695981039346656037UL;
        foreach (var v in values)
        {
            var bits = (uint)BitConverter.SingleToInt32Bits(v);
            for (var b = 0; b < 4; b++)
            {
                hash ^= (bits >> (8 * b)) & 0xFF;
                hash *= 1099511628211UL;
            }
        }

        return hash;
    }

    private sealed class DeviceState(int signals, int window, int replayMemory)
    {
        private readonly ulong[] _recent = new ulong[replayMemory];
        private readonly HashSet<ulong> _lookup = [];
        private int _next;
        private int _count;

        public SignalHistory History { get; } = new(signals, window);

        public long MaxSequence { get; private set; } = long.MinValue;

        public bool Seen(ulong fingerprint) => _lookup.Contains(fingerprint);

        public void Remember(ulong fingerprint, long sequence)
        {
            MaxSequence = Math.Max(MaxSequence, sequence);
            if (_recent.Length == 0) return;
            if (_count == _recent.Length) _lookup.Remove(_recent[_next]);
            else _count++;
            _recent[_next] = fingerprint;
            _lookup.Add(fingerprint);
            _next = (_next + 1) % _recent.Length;
        }
    }
}
