using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

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
/// <para>Measurements fitted per unit (<see cref="FeaturizerOptions.RelationUnitMeasurements"/>) also keep the same
/// statistics per (process unit, key), so each plant's own constants (a flow meter's nominal inflow) are part of its
/// fit: a unit's coefficients are its own least squares pulled towards the pooled ones by <see cref="UnitShrink"/> ×
/// the pooled variance of each regressor (a regressor that did not vary in the unit's rows, such as a valve that never
/// closed during training, gets the pooled slope instead of an arbitrary one). The unit's residual is divided by the
/// pooled key's residual std, not by the unit's own: a unit's in-sample residual std is two to three times smaller than
/// the spread of its later readings (its fit follows the few supply excursions of its training window), so only
/// its training rows are trimmed by it (see <see cref="TrimSigma"/>). A unit with fewer than
/// <see cref="UnitRowsPerRegressor"/>·p rows for a key, a unit never seen in training, or a key without a pooled model
/// falls back to the pooled fit; at most <see cref="MaxUnits"/> units (those with the most rows) get their own fits.
/// The unit statistics are plain sums too, so <see cref="Merge"/> stays exact as long as the union holds at most
/// <see cref="MaxUnits"/> units.</para>
/// <para>Immutable and thread-safe; <see cref="Apply(Span{float}, ReadOnlySpan{sbyte}, string?)"/> is allocation-free.</para>
/// </remarks>
public sealed class RelationModel
{
    /// <summary>Ridge factor: each regressor's variance is raised by this share before solving.</summary>
    public const double Ridge = 1e-3;

    /// <summary>Rows whose residual exceeds this many residual standard deviations are left out of the refit (see <see cref="TrimRounds"/>).</summary>
    public const double TrimSigma = 4;

    /// <summary>Refits on the rows within <see cref="TrimSigma"/> of the previous fit (attacks in an unlabelled training window).</summary>
    public const int TrimRounds = 2;

    /// <summary>Pull of a unit's coefficients towards the pooled ones: this share of the pooled variance of each regressor.</summary>
    public const double UnitShrink = 1e-2;

    /// <summary>Units with their own fits, at most (the ones with the most rows); the others use the pooled fit.</summary>
    public const int MaxUnits = 512;

    /// <summary>A unit needs this many rows per regressor (p) of a key for its own fit of that key.</summary>
    public const int UnitRowsPerRegressor = 4;

    private const ushort Version = 2;
    private const float ResidualLimit = 1e6f;
    private static readonly byte[] Magic = "BHRL"u8.ToArray();

    private readonly Statistics _pooled;
    private readonly Coefficients _pooledFit;
    private readonly bool[] _perUnit; // per measurement
    private readonly int[] _unitKeyOf; // per key: its index among the per-unit keys, or −1
    private readonly int _unitKeys; // per-unit keys per unit
    private readonly string[] _units; // ordinal order
    private readonly Dictionary<string, int> _unitIndex;
    private readonly Statistics _unitStats; // units × per-unit keys
    private readonly Coefficients _unitFit;

    private RelationModel(int measurements, int slots, bool[] perUnit, Statistics pooled, string[] units, Statistics unitStats)
    {
        Measurements = measurements;
        Slots = slots;
        _perUnit = perUnit;
        _pooled = pooled;
        _units = units;
        _unitStats = unitStats;
        var keys = measurements * slots;
        var p = Regressors;
        _unitKeyOf = new int[keys];
        _unitKeys = 0;
        for (var key = 0; key < keys; key++) _unitKeyOf[key] = perUnit[key / slots] ? _unitKeys++ : -1;
        _unitIndex = new Dictionary<string, int>(units.Length, StringComparer.Ordinal);
        for (var u = 0; u < units.Length; u++) _unitIndex.Add(units[u], u);

        _pooledFit = new Coefficients(keys, p);
        var pooledVariance = new double[keys * (p - 1)];
        for (var key = 0; key < keys; key++) Solve(pooled, key, p, 2L * p, _pooledFit, key, [], [], pooledVariance.AsSpan(key * (p - 1), p - 1));

        _unitFit = new Coefficients(units.Length * _unitKeys, p);
        for (var key = 0; key < keys; key++)
        {
            var uk = _unitKeyOf[key];
            if (uk < 0 || _pooledFit.InverseStd[key] == 0) continue;
            var prior = _pooledFit.Slopes.AsSpan(key * (p - 1), p - 1);
            var priorVariance = pooledVariance.AsSpan(key * (p - 1), p - 1);
            for (var u = 0; u < units.Length; u++)
            {
                var at = (u * _unitKeys) + uk;
                Solve(unitStats, at, p, (long)UnitRowsPerRegressor * p, _unitFit, at, prior, priorVariance, []);
            }
        }
    }

    /// <summary>Configured measurements (k).</summary>
    public int Measurements { get; }

    /// <summary>Devices per measurement in the unit snapshot (<see cref="FeaturizerOptions.UnitSlots"/>).</summary>
    public int Slots { get; }

    /// <summary>Regressors per key: the 2·k·slots snapshot features plus the intercept.</summary>
    public int Regressors => (2 * Measurements * Slots) + 1;

    /// <summary>Process units that hold statistics of their own (at most <see cref="MaxUnits"/>).</summary>
    public int Units => _units.Length;

    /// <summary>Whether measurement <paramref name="measurement"/> is fitted per process unit.</summary>
    public bool PerUnit(int measurement) => _perUnit[Key(measurement, 0) / Slots];

    /// <summary>Training rows of measurement <paramref name="measurement"/> reported by the device in snapshot slot <paramref name="slot"/>.</summary>
    public long Samples(int measurement, int slot) => _pooled.Counts[Key(measurement, slot)];

    /// <summary>The training residual standard deviation of a key, or 0 when the key has no model.</summary>
    public double ResidualStd(int measurement, int slot) => _pooledFit.Std[Key(measurement, slot)];

    /// <summary>Training rows of the key kept in the statistics of process unit <paramref name="unit"/> (0 for a unit without statistics).</summary>
    public long Samples(int measurement, int slot, string unit)
    {
        var at = UnitAt(Key(measurement, slot), unit);
        return at < 0 ? 0 : _unitStats.Counts[at];
    }

    /// <summary>
    /// The in-sample residual standard deviation of process unit <paramref name="unit"/>'s own fit of the key (which trims
    /// the unit's training rows), or the pooled one when the unit falls back. <see cref="Apply(Span{float}, ReadOnlySpan{sbyte}, string?)"/>
    /// divides a unit's residual by the pooled <see cref="ResidualStd(int, int)"/> either way.
    /// </summary>
    public double ResidualStd(int measurement, int slot, string unit)
    {
        var key = Key(measurement, slot);
        var at = UnitAt(key, unit);
        return at >= 0 && _unitFit.InverseStd[at] != 0 ? _unitFit.Std[at] : _pooledFit.Std[key];
    }

    /// <summary>Whether readings of process unit <paramref name="unit"/> are judged by a fit of their own for the key.</summary>
    public bool HasUnitFit(int measurement, int slot, string unit)
    {
        var at = UnitAt(Key(measurement, slot), unit);
        return at >= 0 && _unitFit.InverseStd[at] != 0;
    }

    /// <summary>An empty model (no rows: every residual is 0) for <paramref name="measurements"/> × <paramref name="slots"/> keys, nothing fitted per unit.</summary>
    public static RelationModel Empty(int measurements, int slots)
    {
        Check(measurements, slots);
        var p = (2 * measurements * slots) + 1;
        return new RelationModel(measurements, slots, new bool[measurements], new Statistics(measurements * slots, p), [], new Statistics(0, p));
    }

    /// <summary>
    /// Fits the model on featurized readings without per-unit fits: <paramref name="features"/> holds
    /// <paramref name="rows"/> rows of <see cref="DeviceReadingFeaturizer"/> output, <paramref name="ownSlots"/> the
    /// featurizer's <c>LastOwnSlots</c> of each row (k per row).
    /// </summary>
    internal static RelationModel Fit(int measurements, int slots, ReadOnlySpan<float> features, ReadOnlySpan<sbyte> ownSlots, int rows) =>
        Fit(measurements, slots, features, ownSlots, [], new bool[measurements], rows);

    /// <summary>
    /// Fits the model on featurized readings: <paramref name="features"/> holds <paramref name="rows"/> rows of
    /// <see cref="DeviceReadingFeaturizer"/> output, <paramref name="ownSlots"/> the featurizer's <c>LastOwnSlots</c> of
    /// each row (k per row), <paramref name="units"/> each row's process unit (the featurizer's <c>LastUnitKey</c>; empty
    /// when nothing is fitted per unit) and <paramref name="perUnit"/> which measurements are fitted per unit.
    /// </summary>
    internal static RelationModel Fit(int measurements, int slots, ReadOnlySpan<float> features, ReadOnlySpan<sbyte> ownSlots,
        IReadOnlyList<string> units, bool[] perUnit, int rows)
    {
        Check(measurements, slots);
        var k = measurements;
        var d = DeviceReadingFeaturizer.DimensionOf(k, slots);
        if (features.Length != rows * d || ownSlots.Length != rows * k)
        {
            throw new ArgumentException($"Expected {rows} rows of {d} features and {k} slots each, got {features.Length} features and {ownSlots.Length} slots.");
        }

        if (perUnit.Length != k) throw new ArgumentException($"Expected a per-unit flag for each of the {k} measurements, got {perUnit.Length}.", nameof(perUnit));
        var anyPerUnit = Array.IndexOf(perUnit, true) >= 0;
        if (anyPerUnit && units.Count != rows) throw new ArgumentException($"Expected the process unit of each of the {rows} rows, got {units.Count}.", nameof(units));

        // The units with rows of a per-unit measurement, the MaxUnits with the most such rows.
        var rowsPerUnit = new Dictionary<string, long>(StringComparer.Ordinal);
        if (anyPerUnit)
        {
            for (var r = 0; r < rows; r++)
            {
                var own = ownSlots.Slice(r * k, k);
                var counted = 0;
                for (var m = 0; m < k; m++)
                {
                    if (perUnit[m] && own[m] >= 0) counted++;
                }

                if (counted > 0 && !string.IsNullOrEmpty(units[r])) rowsPerUnit[units[r]] = rowsPerUnit.GetValueOrDefault(units[r]) + counted;
            }
        }

        var chosen = Bounded(rowsPerUnit);
        var model = Accumulate(k, slots, perUnit, chosen, features, ownSlots, units, rows, null);
        for (var round = 0; round < TrimRounds; round++) model = Accumulate(k, slots, perUnit, chosen, features, ownSlots, units, rows, model);
        return model;
    }

    // The statistics of every (measurement, slot) key over the rows, pooled and per chosen unit; with a filter model, only
    // of the rows whose residual under it is within TrimSigma of its residual std (keys without a filter model keep every
    // row; a unit's rows are judged by the unit's fit).
    private static RelationModel Accumulate(int k, int slots, bool[] perUnit, string[] units, ReadOnlySpan<float> features, ReadOnlySpan<sbyte> ownSlots,
        IReadOnlyList<string> rowUnits, int rows, RelationModel? filter)
    {
        var d = DeviceReadingFeaturizer.DimensionOf(k, slots);
        var p = (2 * k * slots) + 1;
        var keys = k * slots;
        var unitKeys = 0;
        foreach (var flag in perUnit) unitKeys += flag ? slots : 0;
        var pooled = new Statistics(keys, p);
        var unitStats = new Statistics(units.Length * unitKeys, p);
        var unitIndex = new Dictionary<string, int>(units.Length, StringComparer.Ordinal);
        for (var u = 0; u < units.Length; u++) unitIndex.Add(units[u], u);
        var unitKeyOf = new int[keys];
        for (int key = 0, next = 0; key < keys; key++) unitKeyOf[key] = perUnit[key / slots] ? next++ : -1;
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
            var u = units.Length > 0 && rowUnits[r] is { } name && unitIndex.TryGetValue(name, out var found) ? found : -1;
            for (var m = 0; m < k; m++)
            {
                if (own[m] < 0) continue;
                var key = (m * slots) + own[m];
                var y = (double)row[DeviceReadingFeaturizer.ValueIndex(m)];
                var pooledKeeps = filter is null || filter._pooledFit.InverseStd[key] == 0
                    || Math.Abs(filter.Residual(filter._pooledFit, key, key, row, own, snapshotAt, filter._pooledFit.InverseStd[key])) <= TrimSigma;
                if (pooledKeeps) pooled.Add(key, x, y);
                if (u < 0 || unitKeyOf[key] < 0) continue;
                var at = (u * unitKeys) + unitKeyOf[key];
                var unitKeeps = filter is null || filter._unitFit.InverseStd[at] == 0
                    || Math.Abs(filter.Residual(filter._unitFit, at, key, row, own, snapshotAt, filter._unitFit.InverseStd[at])) <= TrimSigma;
                if (unitKeeps) unitStats.Add(at, x, y);
            }
        }

        pooled.Symmetrize();
        unitStats.Symmetrize();
        return new RelationModel(k, slots, perUnit, pooled, units, unitStats);
    }

    // At most MaxUnits units, the ones with the most rows (ties by name), in ordinal order.
    private static string[] Bounded(Dictionary<string, long> rowsPerUnit)
    {
        var ordered = rowsPerUnit.OrderByDescending(e => e.Value).ThenBy(e => e.Key, StringComparer.Ordinal).Take(MaxUnits).Select(e => e.Key).ToArray();
        Array.Sort(ordered, StringComparer.Ordinal);
        return ordered;
    }

    /// <summary>Sums the statistics of <paramref name="parts"/>: the model fitted on the union of their rows (per unit
    /// too, while the union holds at most <see cref="MaxUnits"/> units; beyond, the units with the most rows are kept).</summary>
    /// <exception cref="ArgumentException">No parts, or parts of different shapes or per-unit measurements.</exception>
    public static RelationModel Merge(IReadOnlyList<RelationModel> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("At least one relation model is required.", nameof(parts));
        var first = parts[0];
        var p = first.Regressors;
        var pooled = new Statistics(first._pooled.Counts.Length, p);
        var rowsPerUnit = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var part in parts)
        {
            if (part.Measurements != first.Measurements || part.Slots != first.Slots)
            {
                throw new ArgumentException($"A relation model of {part.Measurements} measurements × {part.Slots} slots cannot merge with {first.Measurements} × {first.Slots}.", nameof(parts));
            }

            if (!part._perUnit.AsSpan().SequenceEqual(first._perUnit))
            {
                throw new ArgumentException("Relation models that fit different measurements per unit cannot merge.", nameof(parts));
            }

            for (var key = 0; key < pooled.Counts.Length; key++) pooled.AddFrom(part._pooled, key, key);
            for (var u = 0; u < part._units.Length; u++)
            {
                long total = 0;
                for (var uk = 0; uk < part._unitKeys; uk++) total += part._unitStats.Counts[(u * part._unitKeys) + uk];
                rowsPerUnit[part._units[u]] = rowsPerUnit.GetValueOrDefault(part._units[u]) + total;
            }
        }

        var units = Bounded(rowsPerUnit);
        var unitStats = new Statistics(units.Length * first._unitKeys, p);
        var index = new Dictionary<string, int>(units.Length, StringComparer.Ordinal);
        for (var u = 0; u < units.Length; u++) index.Add(units[u], u);
        foreach (var part in parts)
        {
            for (var u = 0; u < part._units.Length; u++)
            {
                if (!index.TryGetValue(part._units[u], out var target)) continue;
                for (var uk = 0; uk < first._unitKeys; uk++) unitStats.AddFrom(part._unitStats, (u * first._unitKeys) + uk, (target * first._unitKeys) + uk);
            }
        }

        return new RelationModel(first.Measurements, first.Slots, first._perUnit, pooled, units, unitStats);
    }

    /// <summary>Writes the <c>rel</c> feature of one row with the pooled fits only (<see cref="Apply(Span{float}, ReadOnlySpan{sbyte}, string?)"/> without a unit).</summary>
    public void Apply(Span<float> features, ReadOnlySpan<sbyte> ownSlots) => Apply(features, ownSlots, null);

    /// <summary>
    /// Writes the <c>rel</c> feature of one <see cref="DeviceReadingFeaturizer"/> row: the largest |value − prediction| /
    /// residual std over the measurements whose device holds a snapshot slot (<paramref name="ownSlots"/>) and whose key
    /// has a model; 0 when there is none. A per-unit measurement of a reading of process unit <paramref name="unit"/> is
    /// predicted by the unit's fit when it has one, otherwise by the pooled fit (null: pooled fits only), and divided by
    /// the pooled residual std in both cases.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Apply(Span<float> features, ReadOnlySpan<sbyte> ownSlots, string? unit)
    {
        var k = Measurements;
        var s = Slots;
        if (features.Length != DeviceReadingFeaturizer.DimensionOf(k, s) || ownSlots.Length != k)
        {
            throw new ArgumentException($"Expected {DeviceReadingFeaturizer.DimensionOf(k, s)} features and {k} slots, got {features.Length} and {ownSlots.Length}.");
        }

        var u = unit is not null && _units.Length > 0 && _unitIndex.TryGetValue(unit, out var found) ? found : -1;
        var snapshotAt = DeviceReadingFeaturizer.SnapshotStart(k);
        var largest = 0.0;
        for (var m = 0; m < k; m++)
        {
            if (ownSlots[m] < 0) continue;
            var key = (m * s) + ownSlots[m];
            var uk = _unitKeyOf[key];
            if (u >= 0 && uk >= 0 && _unitFit.InverseStd[(u * _unitKeys) + uk] != 0)
            {
                var at = (u * _unitKeys) + uk;
                largest = Math.Max(largest, Math.Abs(Residual(_unitFit, at, key, features, ownSlots, snapshotAt, _pooledFit.InverseStd[key])));
                continue;
            }

            if (_pooledFit.InverseStd[key] == 0) continue;
            largest = Math.Max(largest, Math.Abs(Residual(_pooledFit, key, key, features, ownSlots, snapshotAt, _pooledFit.InverseStd[key])));
        }

        features[snapshotAt + (2 * k * s)] = (float)Math.Min(largest, ResidualLimit);
    }

    // (value − prediction) × inverseStd of the key's measurement in one row under the fit at `at`, the row's own device
    // masked out of the prediction (its snapshot features are subtracted again rather than copied into a masked
    // regressor vector).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private double Residual(Coefficients fit, int at, int key, ReadOnlySpan<float> row, ReadOnlySpan<sbyte> ownSlots, int snapshotAt, double inverseStd)
    {
        var k = Measurements;
        var s = Slots;
        var half = k * s;
        var q = 2 * half;
        var snapshot = row.Slice(snapshotAt, q);
        var beta = fit.Slopes.AsSpan(at * q, q);
        var prediction = fit.Intercepts[at];
        for (var j = 0; j < q; j++) prediction += beta[j] * snapshot[j];
        for (var o = 0; o < k; o++)
        {
            if (ownSlots[o] < 0) continue;
            var own = (o * s) + ownSlots[o];
            prediction -= (beta[own] * snapshot[own]) + (beta[half + own] * snapshot[half + own]);
        }

        return (row[DeviceReadingFeaturizer.ValueIndex(key / s)] - prediction) * inverseStd;
    }

    /// <summary>Serializes the statistics (the coefficients are derived again on reading): compact, deterministic, checksummed.</summary>
    public byte[] Serialize()
    {
        var p = Regressors;
        var keys = _pooled.Counts.Length;
        var perKey = 16 + (8 * p) + (8 * (p * (p + 1) / 2));
        var names = _units.Select(Encoding.UTF8.GetBytes).ToArray();
        var length = 4 + 2 + 4 + 4 + (keys * perKey) + Measurements + 4 + names.Sum(n => 4 + n.Length + (_unitKeys * perKey)) + 4;
        var bytes = new byte[length];
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(6), Measurements);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(10), Slots);
        var at = 14;
        for (var key = 0; key < keys; key++) at = _pooled.Write(key, bytes, at);
        for (var m = 0; m < Measurements; m++) bytes[at++] = _perUnit[m] ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), _units.Length);
        at += 4;
        for (var u = 0; u < _units.Length; u++)
        {
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at), names[u].Length);
            names[u].CopyTo(bytes, at + 4);
            at += 4 + names[u].Length;
            for (var uk = 0; uk < _unitKeys; uk++) at = _unitStats.Write((u * _unitKeys) + uk, bytes, at);
        }

        BlobEnvelope.Seal(bytes, Magic, Version);
        return bytes;
    }

    /// <summary>Reads bytes written by <see cref="Serialize"/>.</summary>
    /// <exception cref="ModelFormatException">Wrong magic or version (a version 1 blob, from before per-unit fits, asks
    /// for a refit), bad checksum, or inconsistent length or values.</exception>
    public static RelationModel Deserialize(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length >= 6 && bytes[..4].SequenceEqual(Magic) && BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]) == 1)
        {
            throw new ModelFormatException(
                $"Relation model format version 1 (pooled fits only) is not supported; this build reads version {Version}, which adds per-unit fits: fit the bundle again.");
        }

        BlobEnvelope.Check(bytes, Magic, Version, minLength: 18, "relation model");
        var k = BinaryPrimitives.ReadInt32LittleEndian(bytes[6..]);
        var slots = BinaryPrimitives.ReadInt32LittleEndian(bytes[10..]);
        if (k is < 1 or > 4096 || slots is < 1 or > 8) throw new ModelFormatException($"Relation model shape {k} measurements × {slots} slots is out of range.");
        var p = (2 * k * slots) + 1;
        var keys = k * slots;
        var perKey = 16 + (8L * p) + (8L * p * (p + 1) / 2);
        var end = bytes.Length - 4;
        if (14 + (keys * perKey) + k + 4 > end) throw new ModelFormatException($"Relation model of {k} × {slots} does not match the blob size {bytes.Length}.");
        var pooled = new Statistics(keys, p);
        var at = 14;
        for (var key = 0; key < keys; key++) at = pooled.Read(key, bytes, at);
        var perUnit = new bool[k];
        var unitKeys = 0;
        for (var m = 0; m < k; m++)
        {
            var flag = bytes[at++];
            if (flag > 1) throw new ModelFormatException($"Relation model per-unit flag {flag} of measurement {m} is not 0 or 1.");
            perUnit[m] = flag == 1;
            unitKeys += perUnit[m] ? slots : 0;
        }

        var count = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
        at += 4;
        if (count < 0 || count > MaxUnits || (count > 0 && unitKeys == 0)) throw new ModelFormatException($"Relation model unit count {count} is out of range.");
        var units = new string[count];
        var unitStats = new Statistics(count * unitKeys, p);
        for (var u = 0; u < count; u++)
        {
            if (at + 4 > end) throw new ModelFormatException($"Relation model of {k} × {slots} does not match the blob size {bytes.Length}.");
            var length = BinaryPrimitives.ReadInt32LittleEndian(bytes[at..]);
            if (length < 1 || at + 4 + length + (unitKeys * perKey) > end) throw new ModelFormatException($"Relation model unit {u} does not fit the blob size {bytes.Length}.");
            units[u] = Encoding.UTF8.GetString(bytes.Slice(at + 4, length));
            if (u > 0 && string.CompareOrdinal(units[u - 1], units[u]) >= 0) throw new ModelFormatException($"Relation model units are not in strict ordinal order at unit {u}.");
            at += 4 + length;
            for (var uk = 0; uk < unitKeys; uk++) at = unitStats.Read((u * unitKeys) + uk, bytes, at);
        }

        if (at != end) throw new ModelFormatException($"Relation model of {k} × {slots} does not match the blob size {bytes.Length}.");
        return new RelationModel(k, slots, perUnit, pooled, units, unitStats);
    }

    private int Key(int measurement, int slot)
    {
        if ((uint)measurement >= (uint)Measurements) throw new ArgumentOutOfRangeException(nameof(measurement), measurement, $"The model has {Measurements} measurements.");
        if ((uint)slot >= (uint)Slots) throw new ArgumentOutOfRangeException(nameof(slot), slot, $"The model has {Slots} slots.");
        return (measurement * Slots) + slot;
    }

    // The position of (unit, key) in the unit statistics, or −1 when the key is pooled only or the unit has no statistics.
    private int UnitAt(int key, string unit)
    {
        ArgumentNullException.ThrowIfNull(unit);
        var uk = _unitKeyOf[key];
        return uk >= 0 && _unitIndex.TryGetValue(unit, out var u) ? (u * _unitKeys) + uk : -1;
    }

    private static void Check(int measurements, int slots)
    {
        if (measurements is < 1 or > 4096) throw new ArgumentOutOfRangeException(nameof(measurements), measurements, "Between 1 and 4096 measurements.");
        if (slots is < 1 or > 8) throw new ArgumentOutOfRangeException(nameof(slots), slots, "Between 1 and 8 unit slots.");
    }

    // Centred ridge least squares from the statistics at `at`: slopes β = (C + Ridge·diag(C) + Λ)⁻¹ (c + Λ·β₀), intercept
    // ȳ − β·μ, residual variance the in-sample mean squared residual, computed from the same statistics. Without a prior,
    // Λ = 0 and regressors constant in these rows get slope 0; with one (a unit's fit), Λ = UnitShrink × the prior's
    // regressor variances pulls each slope towards the prior's β₀, and a regressor constant in the unit's rows takes the
    // prior's slope. Fills `variance` (if not empty) with the regressors' variances.
    private static void Solve(Statistics stats, int at, int p, long minRows, Coefficients fit, int target, ReadOnlySpan<float> prior,
        ReadOnlySpan<double> priorVariance, Span<double> variance)
    {
        var q = p - 1;
        var n = stats.Counts[at];
        if (n < minRows || n == 0) return;
        var a = stats.Xtx.AsSpan(at * p * p, p * p);
        var b = stats.Xty.AsSpan(at * p, p);
        var mu = new double[q];
        for (var j = 0; j < q; j++) mu[j] = a[(j * p) + q] / n;
        var yMean = b[q] / n;
        var yVar = (stats.Yty[at] / n) - (yMean * yMean);
        var c = new double[q * q];
        var cy = new double[q];
        var constant = new bool[q];
        for (var i = 0; i < q; i++)
        {
            var vi = (a[(i * p) + i] / n) - (mu[i] * mu[i]);
            constant[i] = !(vi > 1e-12 * Math.Max(1, mu[i] * mu[i]));
            if (!variance.IsEmpty) variance[i] = constant[i] ? 0 : vi;
        }

        if (!(yVar > 1e-12 * Math.Max(1, yMean * yMean))) return;
        for (var i = 0; i < q; i++)
        {
            if (constant[i]) continue;
            cy[i] = (b[i] / n) - (mu[i] * yMean);
            for (var j = 0; j < q; j++)
            {
                if (!constant[j]) c[(i * q) + j] = (a[(i * p) + j] / n) - (mu[i] * mu[j]);
            }
        }

        var system = new double[q * q];
        var rhs = new double[q];
        for (var i = 0; i < q; i++)
        {
            var pull = prior.IsEmpty ? 0 : UnitShrink * priorVariance[i];
            if (constant[i] && !(pull > 0))
            {
                system[(i * q) + i] = 1;
                continue;
            }

            rhs[i] = cy[i] + (pull * (prior.IsEmpty ? 0 : prior[i]));
            for (var j = 0; j < q; j++) system[(i * q) + j] = c[(i * q) + j];
            system[(i * q) + i] = (system[(i * q) + i] * (1 + Ridge)) + pull;
        }

        var beta = CholeskySolve(system, rhs, q);
        if (beta is null) return;
        var explained = 0.0;
        var quadratic = 0.0;
        for (var i = 0; i < q; i++)
        {
            explained += beta[i] * cy[i];
            var row = 0.0;
            for (var j = 0; j < q; j++) row += c[(i * q) + j] * beta[j];
            quadratic += beta[i] * row;
        }

        var residualVariance = Math.Max(yVar - (2 * explained) + quadratic, 1e-6 * yVar);
        var intercept = yMean;
        for (var j = 0; j < q; j++)
        {
            fit.Slopes[(target * q) + j] = (float)beta[j];
            intercept -= (float)beta[j] * mu[j];
        }

        fit.Intercepts[target] = intercept;
        fit.Std[target] = Math.Sqrt(residualVariance);
        fit.InverseStd[target] = 1 / fit.Std[target];
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

    // Sufficient statistics of `keys` least-squares problems with p regressors (the last one the intercept column).
    private sealed class Statistics(int keys, int p)
    {
        public long[] Counts { get; } = new long[keys];

        public double[] Xtx { get; } = new double[keys * p * p]; // per key, p × p, symmetric (full)

        public double[] Xty { get; } = new double[keys * p];

        public double[] Yty { get; } = new double[keys];

        // Adds one row to the upper triangle (Symmetrize fills the lower one).
        public void Add(int key, ReadOnlySpan<double> x, double y)
        {
            Counts[key]++;
            Yty[key] += y * y;
            var a = Xtx.AsSpan(key * p * p, p * p);
            var b = Xty.AsSpan(key * p, p);
            for (var i = 0; i < p; i++)
            {
                var xi = x[i];
                if (xi == 0) continue;
                b[i] += xi * y;
                var line = a.Slice(i * p, p);
                for (var j = i; j < p; j++) line[j] += xi * x[j];
            }
        }

        public void Symmetrize()
        {
            for (var key = 0; key < Counts.Length; key++)
            {
                var a = Xtx.AsSpan(key * p * p, p * p);
                for (var i = 0; i < p; i++)
                {
                    for (var j = 0; j < i; j++) a[(i * p) + j] = a[(j * p) + i];
                }
            }
        }

        public void AddFrom(Statistics other, int from, int key)
        {
            Counts[key] += other.Counts[from];
            Yty[key] += other.Yty[from];
            for (var i = 0; i < p; i++) Xty[(key * p) + i] += other.Xty[(from * p) + i];
            for (var i = 0; i < p * p; i++) Xtx[(key * p * p) + i] += other.Xtx[(from * p * p) + i];
        }

        // n, Σy², Σxy, then the upper triangle of Σxxᵀ row by row.
        public int Write(int key, byte[] bytes, int at)
        {
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(at), Counts[key]);
            BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(at + 8), Yty[key]);
            at += 16;
            for (var i = 0; i < p; i++, at += 8) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(at), Xty[(key * p) + i]);
            for (var i = 0; i < p; i++)
            {
                for (var j = i; j < p; j++, at += 8) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(at), Xtx[(key * p * p) + (i * p) + j]);
            }

            return at;
        }

        public int Read(int key, ReadOnlySpan<byte> bytes, int at)
        {
            Counts[key] = BinaryPrimitives.ReadInt64LittleEndian(bytes[at..]);
            Yty[key] = BinaryPrimitives.ReadDoubleLittleEndian(bytes[(at + 8)..]);
            at += 16;
            for (var i = 0; i < p; i++, at += 8) Xty[(key * p) + i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes[at..]);
            for (var i = 0; i < p; i++)
            {
                for (var j = i; j < p; j++, at += 8)
                {
                    var v = BinaryPrimitives.ReadDoubleLittleEndian(bytes[at..]);
                    Xtx[(key * p * p) + (i * p) + j] = v;
                    Xtx[(key * p * p) + (j * p) + i] = v;
                }
            }

            if (Counts[key] < 0 || !double.IsFinite(Yty[key]) || Yty[key] < 0) throw new ModelFormatException($"Relation model key {key} has invalid statistics.");
            for (var i = 0; i < p; i++)
            {
                if (!double.IsFinite(Xty[(key * p) + i])) throw new ModelFormatException($"Relation model key {key} has invalid statistics.");
                for (var j = 0; j < p; j++)
                {
                    if (!double.IsFinite(Xtx[(key * p * p) + (i * p) + j])) throw new ModelFormatException($"Relation model key {key} has invalid statistics.");
                }
            }

            return at;
        }
    }

    // Coefficients derived from the statistics: per key, the p − 1 slopes, the intercept and the residual std (0 and
    // inverse 0: no model).
    private sealed class Coefficients(int keys, int p)
    {
        public float[] Slopes { get; } = new float[keys * (p - 1)];

        public double[] Intercepts { get; } = new double[keys];

        public double[] InverseStd { get; } = new double[keys];

        public double[] Std { get; } = new double[keys];
    }
}
