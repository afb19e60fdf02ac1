using System.Runtime.CompilerServices;
using Pipeline.Contracts;

namespace Pipeline.Detection;

/// <summary>
/// Features of IIoT <see cref="DeviceReading"/> events, with context per device (cluster/factory/device) and per
/// process unit. For each configured measurement m: <c>m</c> (value), <c>m.delta</c> (change since the device's
/// previous reading), <c>m.dev</c> (value minus the rolling mean of the last w readings), <c>m.logstd</c>
/// (log10 of the rolling standard deviation + 1e-4: a frozen or spoofed sensor loses its noise, which a log scale
/// makes stand out), <c>m.drift</c> (value minus a slow exponential baseline; grows under gradual drift). Then per
/// reading: <c>dt</c> (seconds since the previous reading), <c>seq_gap</c> (sequence minus previous sequence; ≤ 0
/// where a replay starts), <c>seq_behind</c> (highest sequence seen minus this one, 0 normally: stays positive
/// through a replay that keeps its old numbering), <c>unchanged</c> (share of measurements exactly equal to the
/// previous reading), <c>repeat</c> (1 when the whole vector equals, exactly, one of the device's last
/// <see cref="FeaturizerOptions.ReplayMemory"/> readings, older than the previous one), <c>replay_run</c>
/// (log2(1 + n) where n readings in a row each repeated the reading that followed the previous one's match: a
/// replayed recording; chance collisions of noisy values stay isolated), <c>missing</c> (configured measurements
/// absent), <c>history</c> (min(n, w)/w: how warm the context is). Last, the unit snapshot (when
/// <see cref="FeaturizerOptions.UnitSlots"/> &gt; 0): <c>unit.m.i</c>, the latest value of m reported by the i-th
/// device (by device id) of the reading's process unit, so a reading is judged against the state of the devices
/// physically coupled to it (a level against the pump and valve, a pressure against the level), and
/// <c>unit.m.i.avg</c>, the same device's exponential moving average (α = 2/(w + 1)): relations between smoothed
/// values are less noisy, so a slowly drifting sensor breaks them earlier.
/// </summary>
/// <remarks>
/// The process unit is the factory plus the loop number of the device's ISA-5.1 style tag divided by 100: the tag is
/// the last '-'-separated part of the device id, letters then digits (LIT101, FIT101, MV101, P101 → unit 1 of the
/// factory, as in SWaT). A device id without trailing digits belongs to the factory-wide unit. Unit state is kept in
/// the same LRU bound as devices; a unit tracks at most 64 devices (the first seen), which bounds the
/// per-reading cost of the snapshot.
/// </remarks>
public sealed class DeviceReadingFeaturizer : IFeaturizer<DeviceReading>
{
    private const int PerMeasurement = 5;
    private const int Shared = 8;

    // m.logstd of a signal without variation (constant, frozen, or fewer than two readings): computed as for any other
    // value, once.
    private static readonly float LogStdOfConstant = (float)Math.Log10(0f + 1e-4);
    private readonly string[] _measurements;
    private readonly Dictionary<string, int> _index;
    private readonly FeaturizerOptions _options;
    private readonly LruCache<DeviceState> _devices;
    private readonly LruCache<UnitState> _units;
    private readonly float[] _values;
    private readonly bool[] _present;
    private readonly float[] _means;
    private readonly float[] _stds;
    private readonly sbyte[] _ownSlots;

    /// <summary>Name of the relation residual feature (the last one, or the last but one before <see cref="BalanceFeature"/>).</summary>
    internal const string RelationFeature = "rel";

    /// <summary>Name of the mass balance residual feature (the last one, when the featurizer has it).</summary>
    internal const string BalanceFeature = "bal";

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
        _units = new LruCache<UnitState>(_options.MaxEntities);
        _values = new float[_measurements.Length];
        _present = new bool[_measurements.Length];
        _means = new float[_measurements.Length];
        _stds = new float[_measurements.Length];
        _ownSlots = new sbyte[_measurements.Length];
        _ownSlots.AsSpan().Fill(-1);
        var names = new List<string>();
        foreach (var m in _measurements) names.AddRange([m, $"{m}.delta", $"{m}.dev", $"{m}.logstd", $"{m}.drift"]);
        names.AddRange(["dt", "seq_gap", "seq_behind", "unchanged", "repeat", "replay_run", "missing", "history"]);
        foreach (var suffix in (string[])["", ".avg"])
        {
            foreach (var m in _measurements)
            {
                for (var slot = 1; slot <= _options.UnitSlots; slot++) names.Add($"unit.{m}.{slot}{suffix}");
            }
        }

        if (_options.UnitSlots > 0 && _options.RelationResiduals) names.Add(RelationFeature);
        if (_options.MassBalance)
        {
            foreach (var name in (string[])[_options.BalanceLevel!, _options.BalanceFlow!])
            {
                if (!_index.ContainsKey(name)) throw new ArgumentException($"The mass balance measurement '{name}' is not one of the configured measurements.", nameof(options));
            }

            names.Add(BalanceFeature);
        }

        FeatureNames = names;
    }

    /// <inheritdoc />
    public int Dimension => FeatureNames.Count;

    /// <inheritdoc />
    public IReadOnlyList<string> FeatureNames { get; }

    /// <inheritdoc />
    public int TrackedEntities => _devices.Count;

    /// <summary>Process units holding a snapshot.</summary>
    public int TrackedUnits => _units.Count;

    /// <summary>Devices evicted from the context cache so far.</summary>
    public long Evictions => _devices.Evictions;

    // Positions in the feature vector, for RelationModel: the value of measurement m, the start of the unit snapshot
    // (then 2·k·slots snapshot features and k m.rel features), and the whole width.
    internal static int ValueIndex(int measurement) => measurement * PerMeasurement;

    /// <summary>Index of the <c>dt</c> feature, the first of the shared ones after the per-measurement features.</summary>
    internal static int DtIndex(int measurements) => measurements * PerMeasurement;

    internal static int SnapshotStart(int measurements) => (measurements * PerMeasurement) + Shared;

    internal static int DimensionOf(int measurements, int slots, bool balance = false) =>
        SnapshotStart(measurements) + (slots == 0 ? 0 : (2 * measurements * slots) + 1 + (balance ? 1 : 0));

    /// <summary>The process unit of a device (see the remarks): cluster/factory/loop-hundreds, or cluster/factory.</summary>
    public static string UnitOf(string clusterId, string factoryId, string deviceId)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        var tag = deviceId.AsSpan(deviceId.LastIndexOf('-') + 1);
        var digits = tag.Length;
        while (digits > 0 && char.IsAsciiDigit(tag[digits - 1])) digits--;
        var number = tag[digits..];
        if (number.Length == 0 || digits == 0) return string.Concat(clusterId, "/", factoryId);
        var loop = number.Length > 9 ? long.Parse(number[^9..], System.Globalization.CultureInfo.InvariantCulture) : long.Parse(number, System.Globalization.CultureInfo.InvariantCulture);
        return string.Concat(clusterId, "/", factoryId, "/", (loop / 100).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <inheritdoc />
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Featurize(DeviceReading @event, Span<float> features)
    {
        ArgumentNullException.ThrowIfNull(@event);
        if (features.Length != Dimension) throw new ArgumentException($"Expected {Dimension} features, got a span of {features.Length}.", nameof(features));

        var k = _measurements.Length;
        var values = _values;
        var flags = _present;
        Array.Clear(values);
        Array.Clear(flags);
        var present = 0;
        var measurements = @event.Measurements;
        for (var p = 0; p < measurements.Count; p++)
        {
            var m = measurements[p];
            var i = IndexOf(m.Name, p);
            if (i >= 0 && double.IsFinite(m.Value))
            {
                values[i] = (float)m.Value;
                if (!flags[i]) present++;
                flags[i] = true;
            }
        }

        var device = Device(@event);
        var history = device.History;
        var warm = history.Seen > 0;
        var unchanged = 0;
        var previous = history.Previous;
        var baseline = history.Baseline;
        history.MeansAndStds(_means, _stds);
        for (var i = 0; i < k; i++)
        {
            var v = values[i];
            var at = i * PerMeasurement;
            var std = _stds[i];
            features[at] = v;
            features[at + 1] = warm ? v - previous[i] : 0;
            features[at + 2] = warm ? v - _means[i] : 0;
            features[at + 3] = std == 0 ? LogStdOfConstant : (float)Math.Log10(std + 1e-4);
            features[at + 4] = warm ? (float)(v - baseline[i]) : 0;
            if (warm && v == previous[i]) unchanged++;
        }

        var shared = k * PerMeasurement;
        features[shared] = warm ? (float)(@event.Timestamp - history.LastTimestamp).TotalSeconds : 0;
        features[shared + 1] = warm ? @event.Sequence - history.LastSequence : 0;
        features[shared + 2] = warm ? Math.Max(0, device.MaxSequence - @event.Sequence) : 0;
        features[shared + 3] = warm ? unchanged / (float)k : 0;
        var fingerprint = Fingerprint(values);
        var run = device.Observe(fingerprint, out var repeat);
        features[shared + 4] = repeat ? 1 : 0;
        features[shared + 5] = (float)Math.Log2(1 + Math.Min(run, 1024));
        features[shared + 6] = k - present;
        features[shared + 7] = history.Filled / (float)_options.Window;
        history.Push(values, @event.Timestamp, @event.Sequence, _options.BaselineAlpha);
        device.MaxSequence = Math.Max(device.MaxSequence, @event.Sequence);

        if (_options.UnitSlots > 0)
        {
            var unit = Unit(device);
            unit.Update(device, values, flags);
            var snapshot = 2 * k * _options.UnitSlots;
            unit.Snapshot(features.Slice(shared + Shared, snapshot), _options.UnitSlots, device.Slot, _ownSlots);
            if (_options.RelationResiduals) features[shared + Shared + snapshot] = 0; // rel: filled by the bundle's RelationModel
            if (_options.MassBalance) features[shared + Shared + snapshot + 1] = 0; // bal: filled by the scorer's MassBalanceTracker
        }
    }

    /// <summary>
    /// For each measurement of the last featurized reading, the slot (0-based) its device holds among the devices of
    /// the unit snapshot that report it, or −1 when the device does not report it or is not in the snapshot
    /// (<see cref="RelationModel"/> keys and masks by it). All −1 when <see cref="FeaturizerOptions.UnitSlots"/> is 0.
    /// </summary>
    internal ReadOnlySpan<sbyte> LastOwnSlots => _ownSlots;

    /// <summary>The context key of the last featurized reading: cluster/factory/device (the cached string, not a copy).</summary>
    internal string LastKey { get; private set; } = "";

    /// <summary>The process unit of the last featurized reading (<see cref="UnitOf"/>; the cached string, not a copy).</summary>
    internal string LastUnit { get; private set; } = "";

    // The configured index of a measurement name; readings usually list them in the configured order, so the name at
    // the same position is compared first.
    private int IndexOf(string name, int position)
    {
        if ((uint)position < (uint)_measurements.Length && string.Equals(_measurements[position], name, StringComparison.Ordinal)) return position;
        return _index.TryGetValue(name, out var i) ? i : -1;
    }

    // The device's context, looked up by cluster/factory/device without allocating the key on a hit.
    // AggressiveOptimization: a per-event method without loops would run as unoptimised tier-0 code until tiered
    // compilation promotes it, which on one CPU can take a whole run (docs/benchmarks-processing.md).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private DeviceState Device(DeviceReading reading)
    {
        var length = reading.ClusterId.Length + reading.FactoryId.Length + reading.DeviceId.Length + 2;
        Span<char> key = length <= 256 ? stackalloc char[length] : new char[length];
        reading.ClusterId.CopyTo(key);
        var at = reading.ClusterId.Length;
        key[at++] = '/';
        reading.FactoryId.CopyTo(key[at..]);
        at += reading.FactoryId.Length;
        key[at++] = '/';
        reading.DeviceId.CopyTo(key[at..]);
        var entry = _devices.GetOrAddEntry(key, (this, reading), static (_, s) => s.Item1.NewDevice(s.reading), out _);
        LastKey = entry.Key;
        LastUnit = entry.Value.UnitKey;
        return entry.Value;
    }

    private DeviceState NewDevice(DeviceReading reading) =>
        new(_measurements.Length, _options.Window, _options.ReplayMemory, reading.DeviceId, UnitOf(reading.ClusterId, reading.FactoryId, reading.DeviceId));

    // The device's process unit, made most recent in the unit cache: the device remembers its unit's cache entry, which
    // is the entry a lookup by the unit key would find for as long as it is cached.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private UnitState Unit(DeviceState device)
    {
        if (device.UnitEntry is null || !_units.Touch(device.UnitEntry))
        {
            device.UnitEntry = _units.GetOrAddEntry(device.UnitKey, this, static (_, self) => new UnitState(self._measurements.Length, 2.0 / (self._options.Window + 1)), out _);
        }

        return device.UnitEntry.Value;
    }

    // 64-bit FNV-1a over the exact float bits of the reading.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

    private sealed class DeviceState(int signals, int window, int replayMemory, string deviceId, string unitKey)
    {
        private readonly ulong[] _recent = new ulong[replayMemory];
        private readonly FingerprintPositions _latest = new();
        private long _position; // readings observed so far
        private long _lastMatch = -1;
        private int _run;

        public SignalHistory History { get; } = new(signals, window);

        public string DeviceId { get; } = deviceId;

        public string UnitKey { get; } = unitKey;

        public LruCache<UnitState>.Entry? UnitEntry { get; set; }

        // This device's slot in UnitEntry's unit (null while not looked up, or when the unit was full).
        public UnitState? SlotUnit { get; set; }

        public UnitState.Slot? Slot { get; set; }

        public long MaxSequence { get; set; } = long.MinValue;

        // Looks the reading up among the remembered ones (ignoring the immediately previous reading: an unchanged
        // value is "unchanged", not a replay), extends or resets the replay run, then remembers the reading.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public int Observe(ulong fingerprint, out bool repeat)
        {
            repeat = false;
            if (_recent.Length == 0) return 0;
            if (_latest.TryGetValue(fingerprint, out var at) && at < _position - 1)
            {
                repeat = true;
                _run = _lastMatch >= 0 && at == _lastMatch + 1 ? _run + 1 : 1;
                _lastMatch = at;
            }
            else
            {
                _run = 0;
                _lastMatch = -1;
            }

            var slot = (int)(_position % _recent.Length);
            if (_position >= _recent.Length)
            {
                var evicted = _recent[slot];
                if (_latest.TryGetValue(evicted, out var evictedAt) && evictedAt == _position - _recent.Length) _latest.Remove(evicted);
            }

            _recent[slot] = fingerprint;
            _latest.Set(fingerprint, _position);
            _position++;
            return _run;
        }
    }

    // Latest and smoothed values of every device of one process unit, devices ordered by id (ordinal).
    private sealed class UnitState(int signals, double alpha)
    {
        private const int MaxDevicesPerUnit = 64;
        private readonly List<string> _ids = [];
        private readonly List<Slot> _slots = [];

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Update(DeviceState device, ReadOnlySpan<float> values, ReadOnlySpan<bool> present)
        {
            if (!ReferenceEquals(device.SlotUnit, this))
            {
                device.SlotUnit = this;
                device.Slot = Find(device.DeviceId, values);
            }

            var entry = device.Slot;
            if (entry is null) return;
            var smoothed = entry.Smoothed;
            for (var s = 0; s < signals; s++) smoothed[s] += (float)(alpha * (values[s] - smoothed[s]));
            values.CopyTo(entry.Values);
            present.CopyTo(entry.Present);
        }

        // For each signal, the latest then the smoothed values of the first `slots` devices that report it, in
        // device-id order (0 when fewer devices report it); own[s] = the slot of the reading's device for signal s, or -1.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Snapshot(Span<float> target, int slots, Slot? self, Span<sbyte> own)
        {
            target.Clear();
            own.Fill(-1);
            var devices = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_slots);
            var half = signals * slots;
            for (var s = 0; s < signals; s++)
            {
                var filled = 0;
                for (var d = 0; d < devices.Length && filled < slots; d++)
                {
                    var device = devices[d];
                    if (!device.Present[s]) continue;
                    target[(s * slots) + filled] = device.Values[s];
                    target[half + (s * slots) + filled] = device.Smoothed[s];
                    if (ReferenceEquals(device, self)) own[s] = (sbyte)filled;
                    filled++;
                }
            }
        }

        // The device's slot, added in id order on first sight (smoothed values start at the first reading); null when
        // the unit already tracks its maximum number of devices.
        private Slot? Find(string deviceId, ReadOnlySpan<float> values)
        {
            var at = _ids.BinarySearch(deviceId, StringComparer.Ordinal);
            if (at >= 0) return _slots[at];
            if (_ids.Count >= MaxDevicesPerUnit) return null;
            var slot = new Slot(signals);
            values.CopyTo(slot.Smoothed);
            _ids.Insert(~at, deviceId);
            _slots.Insert(~at, slot);
            return slot;
        }

        public sealed class Slot(int signals)
        {
            public float[] Values { get; } = new float[signals];

            public float[] Smoothed { get; } = new float[signals];

            public bool[] Present { get; } = new bool[signals];
        }
    }
}
