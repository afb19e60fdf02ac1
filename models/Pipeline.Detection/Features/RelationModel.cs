using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Pipeline.Detection;

/// <summary>
/// Linear models of each IIoT measurement from the process unit's other devices: for measurement m reported by the
/// device in slot i of the unit snapshot (see <see cref="DeviceReadingFeaturizer"/>), a least-squares fit of the
/// reading's value on the snapshot's <c>unit.*</c> features (latest and smoothed values) with the reading's own device
/// masked out. Its residual, in units of the training residual standard deviation, is the reading's <c>rel</c>
/// feature: how far a value is from what the physically coupled signals predict, which a slowly drifting sensor
/// leaves long before it leaves the spread of its own values.
/// </summary>
/// <remarks>
/// <para>The model keeps the sufficient statistics of every (measurement, slot) key — n, Σxxᵀ (with an intercept column,
/// so Σx and n are part of it), Σxy and Σy² — and derives the coefficients from them (centred, with a ridge of
/// <see cref="Ridge"/> × each regressor's variance against collinear snapshot features). So <see cref="Merge"/>
/// federates it exactly: the merged model is the one fitted on the union of the parts' rows. A key with fewer than
/// 2p rows (p regressors) or a constant target has no model, and its residual feature is 0.</para>
/// <para>With a unit memory (<see cref="Apply(Span{float}, ReadOnlySpan{sbyte}, Span{float})"/>, kept per process unit
/// by the caller) a broken relation is attributed to one device: a neighbour whose prediction used an attacked value
/// gets the residual it has without that value. The coefficients fitted without each other key are solved from the
/// same statistics when the model is made. A model read from a version 1 blob (written before attribution existed)
/// does not attribute (<see cref="Attributes"/>) and scores exactly as it did.</para>
/// <para>With state columns (<see cref="FeaturizerOptions.RelationStates"/>: the latest values of on/off measurements such
/// as a valve's <c>open</c> or a pump's <c>running</c>), each key also keeps the statistics of every state regime (the
/// on/off pattern of those columns in the snapshot, the reading's own device masked) and is fitted per regime too. A
/// reading's residual is the larger of the pooled fit's and its regime fit's, the latter counted when above
/// <see cref="StateGate"/> and up to <see cref="StateCap"/>: a flow meter that reads 1 m³/h behind a shut valve is 0.4
/// pooled standard deviations off (the pooled spread is the open valve's supply wander) but 7 of the shut valve's. A
/// regime with fewer than <see cref="StateShare"/> of the key's kept rows has no fit of its own (an attacked actuator's
/// odd pattern in the training window does not become a regime).</para>
/// <para>Immutable and thread-safe (the unit memory belongs to the caller); <c>Apply</c> is allocation-free.</para>
/// </remarks>
public sealed class RelationModel
{
    /// <summary>Ridge factor: each regressor's variance is raised by this share before solving.</summary>
    public const double Ridge = 1e-3;

    /// <summary>Rows whose residual exceeds this many residual standard deviations are left out of the refit (see <see cref="TrimRounds"/>).</summary>
    public const double TrimSigma = 4;

    /// <summary>Refits on the rows within <see cref="TrimSigma"/> of the previous fit (attacks in an unlabelled training window).</summary>
    public const int TrimRounds = 2;

    /// <summary>
    /// A residual above this many standard deviations is a broken relation that
    /// <see cref="Apply(Span{float}, ReadOnlySpan{sbyte}, Span{float})"/> attributes (chosen on the development seeds
    /// from 2, 3, 4 and 6; docs/detection.md, "Attributing a broken relation").
    /// </summary>
    public const double BlameSigma = 3;

    /// <summary>A state regime's residual counts up to this many of its standard deviations (a reading that arrives
    /// before its unit's actuator reports a switch is far off in the regime it left; the pooled fit judges it).</summary>
    public const double StateCap = 10;

    /// <summary>
    /// A state regime's residual counts only above this many of its standard deviations: below, the pooled fit's stands
    /// (a regime's normal readings keep the pooled residual they had; counting every regime residual lost on the check
    /// seeds, docs/detection.md, "State regimes").
    /// </summary>
    public const double StateGate = 3;

    /// <summary>A state regime is fitted when it holds at least this share of its key's kept training rows.</summary>
    public const double StateShare = 0.05;

    /// <summary>At most this many state columns (2^4 regimes per key).</summary>
    public const int MaxStateColumns = 4;

    // Version 1: statistics only, rel from the full fit. Version 2: the same body; rel attributed with a unit memory.
    // Version 3: state columns, then per (regime group, key) its row count and, when rows, its statistics.
    private const ushort PlainVersion = 1;
    private const ushort PooledVersion = 2;
    private const ushort StatesVersion = 3;
    private const float ResidualLimit = 1e6f;
    private static readonly byte[] Magic = "BHRL"u8.ToArray();

    private readonly int[] _states; // snapshot columns (latest values) whose on/off pattern is the regime
    private readonly int _groups; // 1 (pooled) + 2^states (regimes); statistics and fits are per (group, key)
    private readonly long[] _counts;
    private readonly double[] _xtx; // per fit (group · keys + key), p × p, symmetric (full)
    private readonly double[] _xty; // per fit, p
    private readonly double[] _yty; // per fit
    private readonly float[] _slopes; // per fit, p − 1
    private readonly double[] _intercepts;
    private readonly double[] _inverseStd; // 0 = no model for the key
    private readonly double[] _std;
    private readonly float[] _blameSlopes; // per (fit, left-out key), p − 1
    private readonly double[] _blameIntercepts;
    private readonly double[] _blameInverseStd; // 0 = no model for the pair

    private RelationModel(int measurements, int slots, int[] states, long[] counts, double[] xtx, double[] xty, double[] yty, bool attributes = true)
    {
        Attributes = attributes;
        Measurements = measurements;
        Slots = slots;
        _states = states;
        _groups = Groups(states.Length);
        _counts = counts;
        _xtx = xtx;
        _xty = xty;
        _yty = yty;
        var keys = measurements * slots;
        var fits = keys * _groups; // index (group · keys) + key; group 0 is the pooled fit
        var q = Regressors - 1;
        _slopes = new float[fits * q];
        _intercepts = new double[fits];
        _inverseStd = new double[fits];
        _std = new double[fits];
        for (var fit = 0; fit < fits; fit++)
        {
            if (fit >= keys && _counts[fit] < StateShare * _counts[fit % keys]) continue;
            if (Solve(fit, -1, _slopes.AsSpan(fit * q, q), out _intercepts[fit], out _std[fit])) _inverseStd[fit] = 1 / _std[fit];
        }

        // The fits without each other key, which only attribution reads (none for a model read from a version 1 blob).
        var pairs = attributes ? fits * keys : 0;
        _blameSlopes = new float[pairs * q];
        _blameIntercepts = new double[pairs];
        _blameInverseStd = new double[pairs];
        for (var key = 0; key < fits && attributes; key++)
        {
            if (_inverseStd[key] == 0) continue;
            for (var other = 0; other < keys; other++)
            {
                var pair = (key * keys) + other;
                if (other != key && Solve(key, other, _blameSlopes.AsSpan(pair * q, q), out _blameIntercepts[pair], out var std)) _blameInverseStd[pair] = 1 / std;
            }
        }
    }

    /// <summary>
    /// Whether <see cref="Apply(Span{float}, ReadOnlySpan{sbyte}, Span{float})"/> attributes broken relations (every
    /// model fitted, merged from such models or read from a version 2 blob), or is the plain
    /// <see cref="Apply(Span{float}, ReadOnlySpan{sbyte})"/> (a model read from a version 1 blob, saved by an earlier
    /// build: it keeps scoring exactly as before, and is written back as version 1).
    /// </summary>
    public bool Attributes { get; }

    /// <summary>
    /// Floats in one process unit's memory for <see cref="Apply(Span{float}, ReadOnlySpan{sbyte}, Span{float})"/>: per
    /// key its latest residual, and per pair of keys the first's latest residual above <see cref="BlameSigma"/> without
    /// the second's regressors.
    /// </summary>
    public int MemoryLength => Measurements * Slots * (1 + (Measurements * Slots));

    /// <summary>
    /// As <see cref="Apply(Span{float}, ReadOnlySpan{sbyte})"/>, with the broken relations of the reading's process
    /// unit attributed to the device that broke them. <paramref name="unitMemory"/> (<see cref="MemoryLength"/> floats,
    /// 0 at first, one per unit, updated here) holds for every (measurement, slot) key the |residual| of its device's
    /// latest reading, and, when that is above <see cref="BlameSigma"/>, the residual again without the regressors of
    /// each other key. A residual of the reading above <see cref="BlameSigma"/> is replaced by its value without another
    /// key S's regressors (latest and smoothed) when S is to blame: S's own latest residual is above
    /// <see cref="BlameSigma"/> and stays above it without the reading's key. So a neighbour pulled by an attacked device A gets the residual it has without A, and A keeps
    /// its own: A's residual without the neighbour is still large, while the neighbour's without A is not, which tells
    /// the two apart where comparing residual sizes cannot. Of several devices to blame the smallest residual counts;
    /// a residual is never raised.
    /// </summary>
    /// <remarks>
    /// Replayed in event order over the same readings, the memory evolves identically at training time and at scoring
    /// time (<see cref="UnitRelations"/>). A residual above <see cref="BlameSigma"/> costs one more dot product per other
    /// key of the unit (its residuals without each, which are read only while it stays above); others cost nothing more.
    /// A model that does not attribute (<see cref="Attributes"/>) leaves the memory alone.
    /// </remarks>
    /// <exception cref="ArgumentException">The row, slots or memory do not have this model's shape.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Apply(Span<float> features, ReadOnlySpan<sbyte> ownSlots, Span<float> unitMemory)
    {
        if (!Attributes)
        {
            Apply(features, ownSlots);
            return;
        }

        CheckRow(features, ownSlots);
        if (unitMemory.Length != MemoryLength) throw new ArgumentException($"Expected a unit memory of {MemoryLength} floats, got {unitMemory.Length}.", nameof(unitMemory));
        var k = Measurements;
        var s = Slots;
        var keys = k * s;
        var full = unitMemory[..keys];
        var without = unitMemory.Slice(keys, keys * keys);
        var q = Regressors - 1;
        var snapshotAt = DeviceReadingFeaturizer.SnapshotStart(k);
        Span<bool> own = stackalloc bool[keys];
        for (var m = 0; m < k; m++)
        {
            if (ownSlots[m] >= 0) own[(m * s) + ownSlots[m]] = true;
        }

        var regime = RowRegime(features, ownSlots, snapshotAt);

        for (var m = 0; m < k; m++)
        {
            if (ownSlots[m] < 0) continue;
            var key = (m * s) + ownSlots[m];
            if (_inverseStd[key] == 0)
            {
                full[key] = 0;
                continue;
            }

            var r = (float)Math.Min(Residual(key, regime, features, ownSlots, snapshotAt, out var fit), ResidualLimit);
            full[key] = r;
            if (!(r > BlameSigma)) continue; // the residuals without other keys are read only while this one is above it
            for (var other = 0; other < keys; other++)
            {
                if (own[other]) continue;
                var pair = (fit * keys) + other; // the left-out fits of the fit that gave the residual
                without[(key * keys) + other] = _blameInverseStd[pair] == 0
                    ? r
                    : (float)Math.Min(Math.Min(Math.Abs(Residual(key, _blameSlopes.AsSpan(pair * q, q), _blameIntercepts[pair], _blameInverseStd[pair], features, ownSlots, snapshotAt)), CapOf(fit, keys)), ResidualLimit);
            }
        }

        var largest = 0.0;
        for (var m = 0; m < k; m++)
        {
            if (ownSlots[m] < 0) continue;
            var key = (m * s) + ownSlots[m];
            double best = full[key];
            if (best > BlameSigma)
            {
                for (var other = 0; other < keys; other++)
                {
                    if (own[other] || !(full[other] > BlameSigma) || !(without[(other * keys) + key] > BlameSigma)) continue;
                    best = Math.Min(best, without[(key * keys) + other]);
                }
            }

            largest = Math.Max(largest, best);
        }

        features[snapshotAt + (2 * k * s)] = (float)largest;
    }

    /// <summary>Configured measurements (k).</summary>
    public int Measurements { get; }

    /// <summary>Devices per measurement in the unit snapshot (<see cref="FeaturizerOptions.UnitSlots"/>).</summary>
    public int Slots { get; }

    /// <summary>Regressors per key: the 2·k·slots snapshot features plus the intercept.</summary>
    public int Regressors => (2 * Measurements * Slots) + 1;

    /// <summary>Training rows of measurement <paramref name="measurement"/> reported by the device in snapshot slot <paramref name="slot"/>.</summary>
    public long Samples(int measurement, int slot) => _counts[Key(measurement, slot)];

    /// <summary>The training residual standard deviation of a key, or 0 when the key has no model.</summary>
    public double ResidualStd(int measurement, int slot) => _std[Key(measurement, slot)];

    /// <summary>An empty model (no rows: every residual is 0) for <paramref name="measurements"/> × <paramref name="slots"/> keys.</summary>
    public static RelationModel Empty(int measurements, int slots) => Empty(measurements, slots, []);

    // An empty model with state columns (a layout with RelationStates scoring before its first fit).
    internal static RelationModel Empty(int measurements, int slots, int[] states)
    {
        Check(measurements, slots);
        CheckStates(states, measurements * slots);
        var p = (2 * measurements * slots) + 1;
        var fits = measurements * slots * Groups(states.Length);
        return new RelationModel(measurements, slots, states, new long[fits], new double[fits * p * p], new double[fits * p], new double[fits]);
    }

    /// <summary>
    /// Fits the model on featurized readings: <paramref name="features"/> holds <paramref name="rows"/> rows of
    /// <see cref="DeviceReadingFeaturizer"/> output (ending with the mass balance's <c>bal</c> when <paramref name="balance"/>),
    /// <paramref name="ownSlots"/> the featurizer's <c>LastOwnSlots</c> of each row (k per row), <paramref name="states"/>
    /// the snapshot columns (measurement · slots + slot, latest values) whose on/off pattern is a regime with its own fits.
    /// </summary>
    internal static RelationModel Fit(int measurements, int slots, ReadOnlySpan<float> features, ReadOnlySpan<sbyte> ownSlots, int rows, bool balance = false, int[]? states = null)
    {
        Check(measurements, slots);
        states ??= [];
        CheckStates(states, measurements * slots);
        var k = measurements;
        var d = DeviceReadingFeaturizer.DimensionOf(k, slots, balance);
        if (features.Length != rows * d || ownSlots.Length != rows * k)
        {
            throw new ArgumentException($"Expected {rows} rows of {d} features and {k} slots each, got {features.Length} features and {ownSlots.Length} slots.");
        }

        var model = Accumulate(k, slots, states, d, features, ownSlots, rows, null);
        for (var round = 0; round < TrimRounds; round++) model = Accumulate(k, slots, states, d, features, ownSlots, rows, model);
        return model;
    }

    /// <summary>The model's shape for messages: "k measurements × s slots", then its state columns if any.</summary>
    public string Shape => Describe(Measurements, Slots, _states);

    internal static string Describe(int measurements, int slots, IReadOnlyList<int> states) =>
        $"{measurements} measurements × {slots} slots" + (states.Count == 0 ? "" : $", state columns [{string.Join(", ", states)}]");

    /// <summary>The state columns (see <see cref="FeaturizerOptions.RelationStates"/>): snapshot indices measurement · slots + slot.</summary>
    public IReadOnlyList<int> StateColumns => _states;

    // The statistics of every (measurement, slot) key over the rows; with a filter model, only of the rows whose residual
    // under it is within TrimSigma of its residual std (keys without a filter model keep every row).
    private static RelationModel Accumulate(int k, int slots, int[] states, int d, ReadOnlySpan<float> features, ReadOnlySpan<sbyte> ownSlots, int rows, RelationModel? filter)
    {
        var p = (2 * k * slots) + 1;
        var keys = k * slots;
        var fits = keys * Groups(states.Length);
        var counts = new long[fits];
        var xtx = new double[fits * p * p];
        var xty = new double[fits * p];
        var yty = new double[fits];
        var x = new double[p];
        var snapshotAt = DeviceReadingFeaturizer.SnapshotStart(k);
        for (var r = 0; r < rows; r++)
        {
            var row = features.Slice(r * d, d);
            var own = ownSlots.Slice(r * k, k);
            var snapshot = row.Slice(snapshotAt, p - 1);
            for (var j = 0; j < p - 1; j++) x[j] = snapshot[j];
            for (var m = 0; m < k; m++)
            {
                if (own[m] < 0) continue;
                x[(m * slots) + own[m]] = 0;
                x[(k * slots) + (m * slots) + own[m]] = 0;
            }

            x[p - 1] = 1;
            var regime = states.Length > 0 ? Regime(states, slots, snapshot, own) : -1; // the filter has the same states
            for (var m = 0; m < k; m++)
            {
                if (own[m] < 0) continue;
                var key = (m * slots) + own[m];
                var y = (double)row[DeviceReadingFeaturizer.ValueIndex(m)];
                if (filter is not null && filter._inverseStd[key] != 0 && filter.Residual(key, regime, row, own, snapshotAt, out _) > TrimSigma) continue;
                Add(key, y);
                if (regime >= 0) Add(((1 + regime) * keys) + key, y);
            }
        }

        void Add(int fit, double y)
        {
            counts[fit]++;
            yty[fit] += y * y;
            var a = xtx.AsSpan(fit * p * p, p * p);
            var b = xty.AsSpan(fit * p, p);
            for (var i = 0; i < p; i++)
            {
                var xi = x[i];
                if (xi == 0) continue;
                b[i] += xi * y;
                var line = a.Slice(i * p, p);
                for (var j = i; j < p; j++) line[j] += xi * x[j];
            }
        }

        for (var key = 0; key < fits; key++)
        {
            var a = xtx.AsSpan(key * p * p, p * p);
            for (var i = 0; i < p; i++)
            {
                for (var j = 0; j < i; j++) a[(i * p) + j] = a[(j * p) + i];
            }
        }

        return new RelationModel(k, slots, states, counts, xtx, xty, yty);
    }

    /// <summary>Sums the statistics of <paramref name="parts"/>: the model fitted on the union of their rows.</summary>
    /// <exception cref="ArgumentException">No parts, or parts of different shapes.</exception>
    public static RelationModel Merge(IReadOnlyList<RelationModel> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("At least one relation model is required.", nameof(parts));
        var first = parts[0];
        var counts = new long[first._counts.Length];
        var xtx = new double[first._xtx.Length];
        var xty = new double[first._xty.Length];
        var yty = new double[first._yty.Length];
        foreach (var part in parts)
        {
            if (part.Measurements != first.Measurements || part.Slots != first.Slots)
            {
                throw new ArgumentException($"A relation model of {part.Measurements} measurements × {part.Slots} slots cannot merge with {first.Measurements} × {first.Slots}.", nameof(parts));
            }

            if (!part._states.AsSpan().SequenceEqual(first._states))
            {
                throw new ArgumentException($"A relation model with state columns [{string.Join(", ", part._states)}] cannot merge with one with [{string.Join(", ", first._states)}].", nameof(parts));
            }

            for (var i = 0; i < counts.Length; i++) counts[i] += part._counts[i];
            for (var i = 0; i < xtx.Length; i++) xtx[i] += part._xtx[i];
            for (var i = 0; i < xty.Length; i++) xty[i] += part._xty[i];
            for (var i = 0; i < yty.Length; i++) yty[i] += part._yty[i];
        }

        return new RelationModel(first.Measurements, first.Slots, first._states, counts, xtx, xty, yty, parts.All(part => part.Attributes));
    }

    /// <summary>
    /// Writes the <c>rel</c> feature of one <see cref="DeviceReadingFeaturizer"/> row: the largest |value − prediction| /
    /// residual std over the measurements whose device holds a snapshot slot (<paramref name="ownSlots"/>) and whose key
    /// has a model; 0 when there is none.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Apply(Span<float> features, ReadOnlySpan<sbyte> ownSlots)
    {
        CheckRow(features, ownSlots);
        var k = Measurements;
        var s = Slots;
        var snapshotAt = DeviceReadingFeaturizer.SnapshotStart(k);
        var regime = RowRegime(features, ownSlots, snapshotAt);
        var largest = 0.0;
        for (var m = 0; m < k; m++)
        {
            if (ownSlots[m] < 0) continue;
            var key = (m * s) + ownSlots[m];
            if (_inverseStd[key] == 0) continue;
            largest = Math.Max(largest, Residual(key, regime, features, ownSlots, snapshotAt, out _));
        }

        features[snapshotAt + (2 * k * s)] = (float)Math.Min(largest, ResidualLimit);
    }

    private void CheckRow(ReadOnlySpan<float> features, ReadOnlySpan<sbyte> ownSlots)
    {
        var d = DeviceReadingFeaturizer.DimensionOf(Measurements, Slots);
        if ((features.Length != d && features.Length != DeviceReadingFeaturizer.DimensionOf(Measurements, Slots, balance: true)) || ownSlots.Length != Measurements)
        {
            throw new ArgumentException($"Expected {d} features (or {d + 1} with the mass balance) and {Measurements} slots, got {features.Length} and {ownSlots.Length}.");
        }
    }

    /// <summary>
    /// The coefficients of key (<paramref name="measurement"/>, <paramref name="slot"/>) fitted without the two
    /// regressors (latest and smoothed) of key (<paramref name="leftOutMeasurement"/>, <paramref name="leftOutSlot"/>):
    /// slopes over the 2·k·slots snapshot features (0 for the two left out), intercept and residual std; null when that
    /// fit has no model, is the full fit (the left-out regressors are constant in the key's rows) or the keys are one, and
    /// for a model that does not attribute (<see cref="Attributes"/>), which solves none.
    /// </summary>
    internal (float[] Slopes, double Intercept, double Std)? LeaveOutCoefficients(int measurement, int slot, int leftOutMeasurement, int leftOutSlot)
    {
        var keys = Measurements * Slots;
        var q = Regressors - 1;
        var pair = (Key(measurement, slot) * keys) + Key(leftOutMeasurement, leftOutSlot);
        return !Attributes || _blameInverseStd[pair] == 0 ? null : (_blameSlopes.AsSpan(pair * q, q).ToArray(), _blameIntercepts[pair], 1 / _blameInverseStd[pair]);
    }

    // |value − prediction| / residual std of the key's measurement in one row (the key has a pooled fit): the pooled fit's,
    // or, with the row's state regime (RowRegime; −1: none), that regime's fit's (counted above StateGate, up to StateCap)
    // when that is larger; fit is the one that gave it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private double Residual(int key, int regime, ReadOnlySpan<float> row, ReadOnlySpan<sbyte> ownSlots, int snapshotAt, out int fit)
    {
        fit = key;
        var pooled = Math.Abs(FitResidual(key, key, row, ownSlots, snapshotAt));
        if (regime < 0) return pooled;
        var candidate = ((1 + regime) * Measurements * Slots) + key;
        if (_inverseStd[candidate] == 0) return pooled;
        var own = Math.Min(Math.Abs(FitResidual(key, candidate, row, ownSlots, snapshotAt)), StateCap);
        if (!(own > pooled) || !(own > StateGate)) return pooled;
        fit = candidate;
        return own;
    }

    // The state regime of a row, once for all its keys (the own-device mask is the row's); −1 without state columns.
    private int RowRegime(ReadOnlySpan<float> row, ReadOnlySpan<sbyte> ownSlots, int snapshotAt) =>
        _groups == 1 ? -1 : Regime(_states, Slots, row.Slice(snapshotAt, Regressors - 1), ownSlots);

    // A regime fit's residuals count up to StateCap, the pooled fit's without a cap.
    private static double CapOf(int fit, int keys) => fit < keys ? double.PositiveInfinity : StateCap;

    // (value − prediction) / residual std of the key's measurement in one row under one of its fits, the row's own device
    // masked out of the prediction (its snapshot features are subtracted again rather than copied into a masked vector).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private double FitResidual(int key, int fit, ReadOnlySpan<float> row, ReadOnlySpan<sbyte> ownSlots, int snapshotAt)
    {
        var q = Regressors - 1;
        return Residual(key, _slopes.AsSpan(fit * q, q), _intercepts[fit], _inverseStd[fit], row, ownSlots, snapshotAt);
    }

    // The on/off pattern of the state columns in a snapshot, the reading's own device masked (its columns count as 0,
    // as in the regressors of the fit's rows).
    private static int Regime(int[] states, int slots, ReadOnlySpan<float> snapshot, ReadOnlySpan<sbyte> ownSlots)
    {
        var regime = 0;
        for (var b = 0; b < states.Length; b++)
        {
            var column = states[b];
            var m = column / slots;
            if (ownSlots[m] >= 0 && (m * slots) + ownSlots[m] == column) continue;
            if (snapshot[column] > 0.5f) regime |= 1 << b;
        }

        return regime;
    }

    private static int Groups(int states) => states == 0 ? 1 : 1 + (1 << states);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private double Residual(int key, ReadOnlySpan<float> beta, double intercept, double inverseStd, ReadOnlySpan<float> row, ReadOnlySpan<sbyte> ownSlots, int snapshotAt)
    {
        var k = Measurements;
        var s = Slots;
        var half = k * s;
        var q = 2 * half;
        var snapshot = row.Slice(snapshotAt, q);
        var prediction = intercept;
        for (var j = 0; j < q; j++) prediction += beta[j] * snapshot[j];
        for (var o = 0; o < k; o++)
        {
            if (ownSlots[o] < 0) continue;
            var at = (o * s) + ownSlots[o];
            prediction -= (beta[at] * snapshot[at]) + (beta[half + at] * snapshot[half + at]);
        }

        return (row[DeviceReadingFeaturizer.ValueIndex(key / s)] - prediction) * inverseStd;
    }

    /// <summary>
    /// Serializes the statistics (the coefficients are derived again on reading): compact, deterministic, checksummed. A
    /// model without state columns keeps the layout of versions 1 and 2 (every key's statistics); with them, version 3
    /// lists the columns and, per (regime group, key), the row count followed by the statistics only when there are rows.
    /// </summary>
    public byte[] Serialize()
    {
        var p = Regressors;
        var triangle = p * (p + 1) / 2;
        var statistics = 8 + (8 * p) + (8 * triangle); // Σy², Σxy, the upper triangle of Σxxᵀ
        var states = _states.Length > 0;
        var length = 4 + 2 + 4 + 4 + 4;
        if (states) length += 4 + (4 * _states.Length);
        foreach (var count in _counts) length += 8 + (count > 0 || !states ? statistics : 0);
        var bytes = new byte[length];
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(6), Measurements);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), Slots);
        var at = 14;
        if (states)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), _states.Length);
            at += 4;
            foreach (var column in _states)
            {
                BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), column);
                at += 4;
            }
        }

        for (var fit = 0; fit < _counts.Length; fit++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(at), _counts[fit]);
            at += 8;
            if (states && _counts[fit] == 0) continue;
            BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(at), _yty[fit]);
            at += 8;
            for (var i = 0; i < p; i++, at += 8) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(at), _xty[(fit * p) + i]);
            for (var i = 0; i < p; i++)
            {
                for (var j = i; j < p; j++, at += 8) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(at), _xtx[(fit * p * p) + (i * p) + j]);
            }
        }

        BlobEnvelope.Seal(bytes, Magic, states ? StatesVersion : Attributes ? PooledVersion : PlainVersion);
        return bytes;
    }

    /// <summary>Reads bytes written by <see cref="Serialize"/>.</summary>
    /// <exception cref="ModelFormatException">Wrong magic or version, bad checksum, or inconsistent length or values.</exception>
    public static RelationModel Deserialize(ReadOnlySpan<byte> bytes)
    {
        var version = BlobEnvelope.Check(bytes, Magic, PlainVersion, StatesVersion, minLength: 18, "relation model");
        var k = BinaryPrimitives.ReadInt32LittleEndian(bytes[6..]);
        var slots = BinaryPrimitives.ReadInt32LittleEndian(bytes[10..]);
        if (k is < 1 or > 4096 || slots is < 1 or > 8) throw new ModelFormatException($"Relation model shape {k} measurements × {slots} slots is out of range.");
        var p = (2 * k * slots) + 1;
        var keys = k * slots;
        var triangle = (long)p * (p + 1) / 2;
        var statistics = 8 + (8L * p) + (8 * triangle);
        var body = bytes[..^4];
        var at = 14;
        int[] states = [];
        if (version == StatesVersion)
        {
            var count = body.Length >= at + 4 ? BinaryPrimitives.ReadInt32LittleEndian(body[at..]) : -1;
            if (count is < 1 or > MaxStateColumns || body.Length < at + 4 + (4 * count)) throw new ModelFormatException($"Relation model lists {count} state columns; expected 1 to {MaxStateColumns}.");
            states = new int[count];
            for (var b = 0; b < count; b++) states[b] = BinaryPrimitives.ReadInt32LittleEndian(body[(at + 4 + (4 * b))..]);
            at += 4 + (4 * count);
            try
            {
                CheckStates(states, keys);
            }
            catch (ArgumentException e)
            {
                throw new ModelFormatException($"Relation model state columns are invalid: {e.Message}");
            }
        }

        var fits = keys * Groups(states.Length);
        var counts = new long[fits];
        var xtx = new double[fits * p * p];
        var xty = new double[fits * p];
        var yty = new double[fits];
        for (var fit = 0; fit < fits; fit++)
        {
            if (body.Length < at + 8) throw new ModelFormatException($"Relation model of {k} × {slots} does not match the blob size {bytes.Length}.");
            counts[fit] = BinaryPrimitives.ReadInt64LittleEndian(body[at..]);
            at += 8;
            if (counts[fit] < 0) throw new ModelFormatException($"Relation model key {fit} has invalid statistics.");
            if (version == StatesVersion && counts[fit] == 0) continue;
            if (body.Length < at + statistics) throw new ModelFormatException($"Relation model of {k} × {slots} does not match the blob size {bytes.Length}.");
            yty[fit] = BinaryPrimitives.ReadDoubleLittleEndian(body[at..]);
            at += 8;
            for (var i = 0; i < p; i++, at += 8) xty[(fit * p) + i] = BinaryPrimitives.ReadDoubleLittleEndian(body[at..]);
            for (var i = 0; i < p; i++)
            {
                for (var j = i; j < p; j++, at += 8)
                {
                    var v = BinaryPrimitives.ReadDoubleLittleEndian(body[at..]);
                    xtx[(fit * p * p) + (i * p) + j] = v;
                    xtx[(fit * p * p) + (j * p) + i] = v;
                }
            }

            if (!double.IsFinite(yty[fit]) || yty[fit] < 0) throw new ModelFormatException($"Relation model key {fit} has invalid statistics.");
            for (var i = 0; i < p; i++)
            {
                if (!double.IsFinite(xty[(fit * p) + i])) throw new ModelFormatException($"Relation model key {fit} has invalid statistics.");
                for (var j = 0; j < p; j++)
                {
                    if (!double.IsFinite(xtx[(fit * p * p) + (i * p) + j])) throw new ModelFormatException($"Relation model key {fit} has invalid statistics.");
                }
            }
        }

        if (at != body.Length) throw new ModelFormatException($"Relation model of {k} × {slots} does not match the blob size {bytes.Length}.");
        return new RelationModel(k, slots, states, counts, xtx, xty, yty, version != PlainVersion);
    }

    private int Key(int measurement, int slot)
    {
        if ((uint)measurement >= (uint)Measurements) throw new ArgumentOutOfRangeException(nameof(measurement), measurement, $"The model has {Measurements} measurements.");
        if ((uint)slot >= (uint)Slots) throw new ArgumentOutOfRangeException(nameof(slot), slot, $"The model has {Slots} slots.");
        return (measurement * Slots) + slot;
    }

    private static void CheckStates(int[] states, int keys)
    {
        if (states.Length > MaxStateColumns) throw new ArgumentException($"At most {MaxStateColumns} state columns, got {states.Length}.", nameof(states));
        for (var b = 0; b < states.Length; b++)
        {
            if ((uint)states[b] >= (uint)keys) throw new ArgumentOutOfRangeException(nameof(states), states[b], $"A state column is a snapshot index below {keys}.");
            if (b > 0 && states[b] <= states[b - 1]) throw new ArgumentException("State columns must be distinct and ascending.", nameof(states));
        }
    }

    private static void Check(int measurements, int slots)
    {
        if (measurements is < 1 or > 4096) throw new ArgumentOutOfRangeException(nameof(measurements), measurements, "Between 1 and 4096 measurements.");
        if (slots is < 1 or > 8) throw new ArgumentOutOfRangeException(nameof(slots), slots, "Between 1 and 8 unit slots.");
    }

    // Centred ridge least squares from the key's statistics: slopes β = (C + Ridge·diag(C))⁻¹ c, intercept ȳ − β·μ,
    // residual variance ȳ² − ... computed from the same statistics (the in-sample mean squared residual).
    private bool Solve(int key, int leftOut, Span<float> slopes, out double intercept, out double std)
    {
        intercept = 0;
        std = 0;
        var p = Regressors;
        var q = p - 1;
        var half = q / 2;
        var n = _counts[key];
        if (n < 2 * p) return false;
        var a = _xtx.AsSpan(key * p * p, p * p);
        var b = _xty.AsSpan(key * p, p);
        var mu = new double[q];
        for (var j = 0; j < q; j++) mu[j] = a[(j * p) + q] / n;
        var yMean = b[q] / n;
        var yVar = (_yty[key] / n) - (yMean * yMean);
        if (!(yVar > 1e-12 * Math.Max(1, yMean * yMean))) return false;
        var c = new double[q * q];
        var cy = new double[q];
        var constant = new bool[q];
        for (var i = 0; i < q; i++)
        {
            cy[i] = (b[i] / n) - (mu[i] * yMean);
            for (var j = 0; j < q; j++) c[(i * q) + j] = (a[(i * p) + j] / n) - (mu[i] * mu[j]);
            constant[i] = !(c[(i * q) + i] > 1e-12 * Math.Max(1, mu[i] * mu[i]));
        }

        if (leftOut >= 0)
        {
            // Without regressors that are constant anyway (an empty slot), the fit is the full one: no separate model.
            if (constant[leftOut] && constant[half + leftOut]) return false;
            constant[leftOut] = constant[half + leftOut] = true;
        }

        var system = new double[q * q];
        var rhs = new double[q];
        for (var i = 0; i < q; i++)
        {
            if (constant[i])
            {
                system[(i * q) + i] = 1;
                continue;
            }

            rhs[i] = cy[i];
            for (var j = 0; j < q; j++)
            {
                if (!constant[j]) system[(i * q) + j] = c[(i * q) + j];
            }

            system[(i * q) + i] *= 1 + Ridge;
        }

        var beta = CholeskySolve(system, rhs, q);
        if (beta is null) return false;
        var explained = 0.0;
        var quadratic = 0.0;
        for (var i = 0; i < q; i++)
        {
            explained += beta[i] * cy[i];
            var row = 0.0;
            for (var j = 0; j < q; j++) row += c[(i * q) + j] * beta[j];
            quadratic += beta[i] * row;
        }

        var variance = Math.Max(yVar - (2 * explained) + quadratic, 1e-6 * yVar);
        intercept = yMean;
        for (var j = 0; j < q; j++)
        {
            slopes[j] = (float)beta[j];
            intercept -= (float)beta[j] * mu[j];
        }

        std = Math.Sqrt(variance);
        return true;
    }

    private static double[]? CholeskySolve(double[] a, double[] b, int n)
    {
        var l = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                var sum = a[(i * n) + j];
                for (var t = 0; t < j; t++) sum -= l[(i * n) + t] * l[(j * n) + t];
                if (i == j)
                {
                    if (!(sum > 0)) return null;
                    l[(i * n) + i] = Math.Sqrt(sum);
                }
                else
                {
                    l[(i * n) + j] = sum / l[(j * n) + j];
                }
            }
        }

        var y = new double[n];
        for (var i = 0; i < n; i++)
        {
            var sum = b[i];
            for (var t = 0; t < i; t++) sum -= l[(i * n) + t] * y[t];
            y[i] = sum / l[(i * n) + i];
        }

        var x = new double[n];
        for (var i = n - 1; i >= 0; i--)
        {
            var sum = y[i];
            for (var t = i + 1; t < n; t++) sum -= l[(t * n) + i] * x[t];
            x[i] = sum / l[(i * n) + i];
        }

        return x;
    }
}
