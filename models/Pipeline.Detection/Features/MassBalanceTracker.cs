using System.Runtime.CompilerServices;

namespace Pipeline.Detection;

/// <summary>
/// The per-unit windows of <see cref="MassBalanceModel"/>: fed the featurized IIoT rows in event order (after the
/// relation model has filled <c>rel</c>), it writes each flow reading's <c>bal</c> feature, or, without a model,
/// only reads the rows and collects the samples that fit one.
/// </summary>
/// <remarks>
/// Per unit it keeps the last <see cref="MassBalanceModel.Window"/> + <see cref="MassBalanceModel.Block"/> level
/// readings with the unit's clock and each flow slot's running integral at that moment (about 4 KB per unit with two
/// slots), in an LRU bounded like the featurizer's (<see cref="FeaturizerOptions.MaxEntities"/>). A unit's <c>bal</c>
/// is 0 until its window is full: after a scorer starts or takes over a partition, for the first N + K level readings
/// of each unit (2.3 minutes at one reading per second). Not thread-safe: one per scorer.
/// </remarks>
internal sealed class MassBalanceTracker
{
    private const int Capacity = MassBalanceModel.Window + MassBalanceModel.Block;
    private readonly MassBalanceModel? _model;
    private readonly int _level;
    private readonly int _flow;
    private readonly int _slots;
    private readonly int _dt;
    private readonly int _rel;
    private readonly int _bal;
    private readonly LruCache<UnitWindow> _units;

    /// <summary>A tracker for rows of <paramref name="layout"/> (which must have the balance), applying
    /// <paramref name="model"/>, or collecting <see cref="Samples"/> when it is null.</summary>
    public MassBalanceTracker(BundleLayout layout, MassBalanceModel? model)
    {
        if (!layout.HasBalance) throw new ArgumentException($"The {layout.Stream} layout has no mass balance.", nameof(layout));
        _model = model;
        var k = layout.Measurements.Count;
        _slots = layout.Featurizer.UnitSlots;
        if (model is not null && model.Slots != _slots) throw new ArgumentException($"The mass balance model has {model.Slots} slots; the layout {_slots}.", nameof(model));
        _level = layout.Measurements.ToList().IndexOf(layout.Featurizer.BalanceLevel!);
        _flow = layout.Measurements.ToList().IndexOf(layout.Featurizer.BalanceFlow!);
        _dt = DeviceReadingFeaturizer.DtIndex(k);
        _rel = DeviceReadingFeaturizer.SnapshotStart(k) + (2 * k * _slots);
        _bal = _rel + 1;
        _units = new LruCache<UnitWindow>(layout.Featurizer.MaxEntities);
        if (model is null) Samples = new Dictionary<string, List<BalanceSample>>(StringComparer.Ordinal);
    }

    /// <summary>Without a model: per unit, a sample per level reading with a full window, marked whether the guard was quiet.</summary>
    public Dictionary<string, List<BalanceSample>>? Samples { get; }

    /// <summary>The configured index of the flow measurement the balance sums.</summary>
    public int FlowMeasurement => _flow;

    /// <summary>Units whose window is kept.</summary>
    public int TrackedUnits => _units.Count;

    /// <summary>
    /// Takes one featurized row (<paramref name="ownSlots"/>: the featurizer's own slot per measurement) of a device of
    /// <paramref name="unit"/>: a reading of the unit's first level device advances the unit's window, a flow reading adds
    /// to its slot's integral; then, with a model, writes the row's <c>bal</c> (0 except for flow readings of a unit with
    /// a balance).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Observe(Span<float> row, ReadOnlySpan<sbyte> ownSlots, string unit)
    {
        if (_model is not null) row[_bal] = 0;
        var levelSlot = ownSlots[_level];
        var flowSlot = ownSlots[_flow];
        if (levelSlot != 0 && flowSlot < 0) return;
        var window = _units.GetOrAddEntry(unit, this, static (key, self) => new UnitWindow(self._slots, self._model, key), out _).Value;
        var dt = Math.Max(0, (double)row[_dt]);
        if (flowSlot >= 0) window.Integrals[flowSlot] += row[DeviceReadingFeaturizer.ValueIndex(_flow)] * dt;
        if (levelSlot == 0)
        {
            window.Push(row[DeviceReadingFeaturizer.ValueIndex(_level)], dt, row[_rel] > MassBalanceModel.GuardSigma);
            if (Samples is not null && window.Ready)
            {
                if (!Samples.TryGetValue(unit, out var list)) Samples[unit] = list = [];
                list.Add(new BalanceSample(window.X, (double[])window.Flows.Clone(), window.Quiet));
            }
        }

        if (flowSlot >= 0 && window.Model is { } balance && window.Quiet && window.Ready)
        {
            row[_bal] = _model!.Residual(balance, window.X, window.Flows, flowSlot);
        }
    }

    private sealed class UnitWindow
    {
        private readonly double[] _levels = new double[Capacity];
        private readonly double[] _times = new double[Capacity];
        private readonly double[] _integrals; // Capacity × slots
        private readonly int _slots;
        private long _ticks;
        private long _flaggedAt = long.MinValue / 2;
        private double _clock;

        public UnitWindow(int slots, MassBalanceModel? model, string unit)
        {
            _slots = slots;
            _integrals = new double[Capacity * slots];
            Integrals = new double[slots];
            Flows = new double[slots];
            if (model is not null && model.TryGet(unit, out var balance)) Model = balance;
        }

        public double[] Integrals { get; }

        public MassBalanceModel.UnitBalance? Model { get; }

        // The window's balance as of the last level reading (it changes only then): whether it is defined (the window is
        // full and time passed between the blocks), x (net level change per unit area, per hour) and each slot's mean flow.
        public bool Ready { get; private set; }

        public double X { get; private set; }

        public double[] Flows { get; }

        // No level reading with a high rel inside the window.
        public bool Quiet => _ticks - _flaggedAt > Capacity;

        public void Push(double level, double dt, bool flagged)
        {
            _clock += dt;
            var at = (int)(_ticks % Capacity);
            _levels[at] = level;
            _times[at] = _clock;
            Integrals.CopyTo(_integrals.AsSpan(at * _slots, _slots));
            if (flagged) _flaggedAt = _ticks;
            _ticks++;
            Ready = Balance();
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private bool Balance()
        {
            if (_ticks < Capacity) return false;
            const int k = MassBalanceModel.Block;
            double levelOld = 0, levelNew = 0, timeOld = 0, timeNew = 0;
            var flows = Flows;
            Array.Clear(flows);
            var oldest = _ticks - Capacity; // the older block is the first K of the ring's span, the newer the last K
            for (var i = 0; i < k; i++)
            {
                var a = (int)((oldest + i) % Capacity);
                var b = (int)((_ticks - k + i) % Capacity);
                levelOld += _levels[a];
                levelNew += _levels[b];
                timeOld += _times[a];
                timeNew += _times[b];
                for (var j = 0; j < _slots; j++) flows[j] += _integrals[(b * _slots) + j] - _integrals[(a * _slots) + j];
            }

            var span = (timeNew - timeOld) / k;
            if (!(span > 0)) return false;
            X = (levelNew - levelOld) / k * 3600 / span;
            for (var j = 0; j < _slots; j++) flows[j] /= k * span;
            return true;
        }
    }
}
