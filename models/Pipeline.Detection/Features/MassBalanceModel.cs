using System.Runtime.CompilerServices;
using System.Text;

namespace Pipeline.Detection;

/// <summary>
/// The mass balance of each process unit's tank: area × level slope = Σ ± flow over a window of level readings, one
/// fitted area per unit. Its residual, in units of the unit's training residual standard deviation, is the <c>bal</c>
/// feature of the unit's flow readings: a drifting flow meter breaks the balance long before its value leaves the
/// spread that the unit's supply wander gives it (docs/detection.md, "Mass balance").
/// </summary>
/// <remarks>
/// <para>Per unit, over the last <see cref="Window"/> + <see cref="Block"/> readings of its level measurement (the
/// device in the first snapshot slot): x = (mean level of the last <see cref="Block"/> readings − mean of the
/// <see cref="Block"/> readings <see cref="Window"/> earlier) · 3600 / (the time between the blocks' centres), a net
/// flow per unit of area; yⱼ = the mean flow of snapshot slot j over the same span (the flow readings' integral, over
/// their own <c>dt</c>). The model is y = Σ sⱼ·yⱼ = A·x with, per unit, a sign sⱼ per slot (inflow +1, outflow −1) and
/// the area A. Block means instead of single readings make the level noise K times smaller in variance; the level
/// integrates the supply, so the balance holds whatever the supply does.</para>
/// <para>Robust fit, per unit: for each combination of signs, A from the median of y/x over the samples with |x| at or
/// above a quarter of its median; the combination whose residuals have the smallest median absolute value wins (the flows of a
/// balance all weigh 1/A, so a wrong sign leaves twice that flow unexplained; a least-squares fit of the signs got a
/// pump's wrong where it ran through the whole window). Then <see cref="TrimRounds"/> least-squares refits of A
/// through the origin on the samples within <see cref="TrimSigma"/> robust standard deviations (1.4826 × the median
/// absolute residual): a level-sensor attack in the training window would otherwise bend a plain least-squares fit. No offset: a tank's balance has none, and with one the area was
/// ill-determined in units whose training window saw a single regime (valve open and pump on throughout).</para>
/// <para>A level reading whose <c>rel</c> exceeds <see cref="GuardSigma"/> (its value is not what the unit's other
/// devices predict: the level sensor itself is suspect) silences the unit's <c>bal</c> while it is inside the window: a
/// spoofed, replayed or drifting level reads as a false net flow. The fit leaves those windows out too, unless that
/// leaves a unit fewer than <see cref="MinSamples"/> (short federated windows): without the guard, one or two units per
/// seed got areas of 0.25–1.13 m² and residual spreads of 8–40 m³/h. Flow readings do not guard: silencing the balance after a flow reading with a high <c>rel</c> removed
/// the N + K readings during which a spoofed meter's window keeps it broken after the attack, but it also cut a drifting
/// meter's balance off as soon as one of its readings crossed the threshold (docs/detection.md, "Mass balance").</para>
/// <para>The residual of a unit is shared by its flow meters; a reading's <c>bal</c> is scaled by its slot's share of
/// the flow meters' relation-residual variance (<see cref="Blame"/>): a meter that the unit's other devices predict
/// well (a pump's flow, from its current) would have shown its own fault in <c>rel</c>, so a broken balance is mostly
/// the poorly predicted meter's.</para>
/// <para>Federation: <see cref="Merge"/> takes the union of the parts' units (a unit belongs to one participant; a
/// unit in several parts gets the sample-weighted mean). Immutable and thread-safe; the per-unit windows live in a
/// <see cref="MassBalanceTracker"/> per scorer.</para>
/// </remarks>
public sealed class MassBalanceModel
{
    /// <summary>Level readings between the two block means (N); at one reading per second, two minutes.</summary>
    public const int Window = 120;

    /// <summary>Level readings per block mean (K).</summary>
    public const int Block = 20;

    /// <summary>A level reading with <c>rel</c> above this silences the unit's balance for a window.</summary>
    public const double GuardSigma = 3;

    /// <summary>Samples beyond this many robust standard deviations are left out of the refits.</summary>
    public const double TrimSigma = 4;

    /// <summary>Least-squares refits after the median start.</summary>
    public const int TrimRounds = 2;

    /// <summary>Fewest samples (level readings with a full window) a unit needs for an area.</summary>
    public const int MinSamples = 100;

    private const ushort Version = 1;
    private const float ResidualLimit = 1e6f;
    private static readonly byte[] Magic = "BHBL"u8.ToArray();

    private readonly Dictionary<string, UnitBalance> _units;
    private readonly double[] _blame;

    internal MassBalanceModel(int slots, Dictionary<string, UnitBalance> units, double[] blame)
    {
        Slots = slots;
        _units = units;
        _blame = blame;
    }

    /// <summary>Flow devices per unit that the balance sums (<see cref="FeaturizerOptions.UnitSlots"/>).</summary>
    public int Slots { get; }

    /// <summary>Units with a fitted balance.</summary>
    public int Units => _units.Count;

    /// <summary>Unit keys with a fitted balance, ordinal order.</summary>
    public IEnumerable<string> UnitKeys => _units.Keys.Order(StringComparer.Ordinal);

    /// <summary>Per flow slot, the share of the balance residual its readings carry (sums to 1 unless no slot had a relation model).</summary>
    public IReadOnlyList<double> Blame => _blame;

    /// <summary>The fitted area (m² when levels are metres and flows m³/h) of a unit, or null when it has no balance.</summary>
    public double? Area(string unit) => _units.TryGetValue(unit, out var u) ? u.Area : null;

    /// <summary>The training residual standard deviation (flow units) of a unit, or null when it has no balance.</summary>
    public double? ResidualStd(string unit) => _units.TryGetValue(unit, out var u) ? u.Std : null;

    /// <summary>The sign of each flow slot of a unit (+1 inflow, −1 outflow), or null when the unit has no balance.</summary>
    public IReadOnlyList<sbyte>? Signs(string unit) => _units.TryGetValue(unit, out var u) ? u.Signs : null;

    internal bool TryGet(string unit, out UnitBalance balance) => _units.TryGetValue(unit, out balance!);

    internal double BlameOf(int slot) => (uint)slot < (uint)_blame.Length ? _blame[slot] : 0;

    /// <summary>
    /// Fits the balance of every unit from <paramref name="samples"/> (those a <see cref="MassBalanceTracker"/> without
    /// a model collected), with the flow slots' blame taken from <paramref name="relations"/>.
    /// </summary>
    internal static MassBalanceModel Fit(int slots, IReadOnlyDictionary<string, List<BalanceSample>> samples, RelationModel? relations, int flowMeasurement)
    {
        var units = new Dictionary<string, UnitBalance>(StringComparer.Ordinal);
        foreach (var (unit, list) in samples)
        {
            if (FitUnit(slots, list) is { } balance) units[unit] = balance;
        }

        return new MassBalanceModel(slots, units, BlameFrom(relations, flowMeasurement, slots));
    }

    // Each flow slot's share of the flow meters' relation-residual variances; 1 for every slot when none has a model.
    private static double[] BlameFrom(RelationModel? relations, int flowMeasurement, int slots)
    {
        var usable = relations is not null && flowMeasurement >= 0 && flowMeasurement < relations.Measurements && relations.Slots == slots;
        var blame = new double[slots];
        for (var j = 0; j < slots; j++) blame[j] = usable ? Math.Pow(relations!.ResidualStd(flowMeasurement, j), 2) : 0;
        var total = blame.Sum();
        for (var j = 0; j < slots; j++) blame[j] = total > 0 ? blame[j] / total : 1;
        return blame;
    }

    private static UnitBalance? FitUnit(int slots, List<BalanceSample> samples)
    {
        // The windows without a suspect level reading; all of them where a short window leaves too few (the trimming
        // then has to drop what a level attack bends, and a long drift can defeat it).
        var quiet = samples.Where(s => s.Quiet).ToList();
        if (quiet.Count >= MinSamples) samples = quiet;
        var n = samples.Count;
        if (n < MinSamples) return null;
        var x = samples.Select(s => s.X).ToArray();
        var magnitudes = x.Select(Math.Abs).ToArray();
        // Every sample whose net flow is not near zero (there y/x is mostly noise). Not only the larger half: a drifting
        // level inflates x, so its samples would fill that half (seed 5: 0.35 of a unit's quiet samples, area 1.09 m²).
        var cut = Median(magnitudes) / 4;
        var large = Enumerable.Range(0, n).Where(i => magnitudes[i] >= cut && magnitudes[i] > 0).ToArray();
        if (large.Length < 2) return null;

        // Signs: every combination of ±1 per slot (a slot without flow keeps +1), each with its median start; the one whose
        // residuals have the smallest robust spread wins. A balance's flows all weigh 1/A, so a wrong sign leaves twice
        // that flow unexplained even where it never changed in the window (no offset could absorb it).
        var y = new double[n];
        var residuals = new double[n];
        sbyte[]? signs = null;
        double area = 0, best = double.PositiveInfinity;
        var flowing = Enumerable.Range(0, slots).Select(j => samples.Any(s => s.Y[j] != 0)).ToArray();
        for (var mask = 0; mask < 1 << slots; mask++)
        {
            if (Enumerable.Range(0, slots).Any(j => (mask >> j & 1) == 1 && !flowing[j])) continue;
            var candidate = Enumerable.Range(0, slots).Select(j => (sbyte)((mask >> j & 1) == 1 ? -1 : 1)).ToArray();
            Combine(samples, candidate, y);
            var start = Median([.. large.Select(i => y[i] / x[i])]);
            if (!(start > 0) || !double.IsFinite(start)) continue;
            for (var i = 0; i < n; i++) residuals[i] = Math.Abs(y[i] - (start * x[i]));
            var spread = Median(residuals);
            if (spread < best)
            {
                best = spread;
                signs = candidate;
                area = start;
            }
        }

        if (signs is null) return null;
        Combine(samples, signs, y);
        var kept = 0;
        for (var round = 0; round <= TrimRounds; round++)
        {
            for (var i = 0; i < n; i++) residuals[i] = y[i] - (area * x[i]);
            var limit = TrimSigma * 1.4826 * Median([.. residuals.Select(Math.Abs)]);
            double sxx = 0, sxy = 0, squares = 0;
            kept = 0;
            for (var i = 0; i < n; i++)
            {
                if (Math.Abs(residuals[i]) > limit) continue;
                kept++;
                sxx += x[i] * x[i];
                sxy += x[i] * y[i];
                squares += residuals[i] * residuals[i];
            }

            if (kept < MinSamples || !(sxx > 0)) return null;
            if (round == TrimRounds)
            {
                // The residual spread of the final fit over the samples it keeps.
                var std = Math.Sqrt(squares / (kept - 1));
                if (!(area > 0) || !double.IsFinite(area) || !(std > 0) || !double.IsFinite(std)) return null;
                return new UnitBalance(area, std, kept, signs);
            }

            area = sxy / sxx;
        }

        return null;
    }

    private static void Combine(List<BalanceSample> samples, sbyte[] signs, double[] y)
    {
        for (var i = 0; i < samples.Count; i++)
        {
            y[i] = 0;
            for (var j = 0; j < signs.Length; j++) y[i] += signs[j] * samples[i].Y[j];
        }
    }

    private static double Median(double[] values)
    {
        if (values.Length == 0) return 0;
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        var mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
    }

    /// <summary>
    /// The model fitted on the union of the parts' units: a unit in one part keeps its balance, a unit in several gets
    /// the signs of the part with the most samples and the sample-weighted mean area and spread of the parts with those
    /// signs; blame is the sample-weighted mean of the parts'.
    /// </summary>
    /// <exception cref="ArgumentException">No parts, or parts with different numbers of slots.</exception>
    public static MassBalanceModel Merge(IReadOnlyList<MassBalanceModel> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("At least one mass balance model is required.", nameof(parts));
        var slots = parts[0].Slots;
        var grouped = new Dictionary<string, List<UnitBalance>>(StringComparer.Ordinal);
        var blame = new double[slots];
        var blameWeight = 0.0;
        foreach (var part in parts)
        {
            if (part.Slots != slots) throw new ArgumentException($"A mass balance model of {part.Slots} slots cannot merge with one of {slots}.", nameof(parts));
            var weight = part._units.Values.Sum(u => (double)u.Samples);
            weight = weight > 0 ? weight : 1;
            for (var j = 0; j < slots; j++) blame[j] += weight * part._blame[j];
            blameWeight += weight;
            foreach (var (unit, balance) in part._units)
            {
                if (!grouped.TryGetValue(unit, out var list)) grouped[unit] = list = [];
                list.Add(balance);
            }
        }

        for (var j = 0; j < slots; j++) blame[j] /= blameWeight;
        var units = new Dictionary<string, UnitBalance>(StringComparer.Ordinal);
        foreach (var (unit, list) in grouped)
        {
            if (list.Count == 1)
            {
                units[unit] = list[0];
                continue;
            }

            // Areas fitted with other signs describe another balance: only the parts that agree with the largest count.
            var signs = list.MaxBy(u => u.Samples).Signs;
            var agreeing = list.Where(u => u.Signs.AsSpan().SequenceEqual(signs)).ToList();
            double total = agreeing.Sum(u => (double)u.Samples);
            units[unit] = total > 0
                ? new UnitBalance(agreeing.Sum(u => u.Area * u.Samples) / total, agreeing.Sum(u => u.Std * u.Samples) / total, agreeing.Sum(u => u.Samples), signs)
                : agreeing[0];
        }

        return new MassBalanceModel(slots, units, blame);
    }

    /// <summary>Serializes the model: compact, deterministic (units in ordinal order), checksummed.</summary>
    public byte[] Serialize()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(Version);
            writer.Write(Slots);
            writer.Write(Window);
            writer.Write(Block);
            foreach (var b in _blame) writer.Write(b);
            writer.Write(_units.Count);
            foreach (var unit in UnitKeys)
            {
                var balance = _units[unit];
                var utf8 = Encoding.UTF8.GetBytes(unit);
                if (utf8.Length > ushort.MaxValue) throw new InvalidOperationException($"Unit key of {utf8.Length} bytes is too long.");
                writer.Write((ushort)utf8.Length);
                writer.Write(utf8);
                writer.Write(balance.Area);
                writer.Write(balance.Std);
                writer.Write(balance.Samples);
                foreach (var sign in balance.Signs) writer.Write(sign);
            }

            writer.Write(0u); // checksum, sealed below
        }

        var bytes = stream.ToArray();
        BlobEnvelope.Seal(bytes, Magic, Version);
        return bytes;
    }

    /// <summary>Reads bytes written by <see cref="Serialize"/>.</summary>
    /// <exception cref="ModelFormatException">Wrong magic or version, bad checksum, or inconsistent length or values.</exception>
    public static MassBalanceModel Deserialize(ReadOnlySpan<byte> bytes)
    {
        BlobEnvelope.Check(bytes, Magic, Version, minLength: 27, "mass balance model");
        using var reader = new BinaryReader(new MemoryStream(bytes[6..^4].ToArray()), Encoding.UTF8);
        try
        {
            var slots = reader.ReadInt32();
            if (slots is < 1 or > 8) throw new ModelFormatException($"Mass balance model has {slots} slots; expected 1 to 8.");
            var window = reader.ReadInt32();
            var block = reader.ReadInt32();
            if (window != Window || block != Block)
            {
                throw new ModelFormatException($"Mass balance model uses a window of {window} and blocks of {block}; this build uses {Window} and {Block}.");
            }

            var blame = new double[slots];
            for (var j = 0; j < slots; j++)
            {
                blame[j] = reader.ReadDouble();
                if (!(blame[j] >= 0 && blame[j] <= 1)) throw new ModelFormatException($"Mass balance model blame {blame[j]} of slot {j} is not in [0, 1].");
            }

            var count = reader.ReadInt32();
            if (count < 0 || count > reader.BaseStream.Length) throw new ModelFormatException($"Mass balance model lists {count} units.");
            var units = new Dictionary<string, UnitBalance>(count, StringComparer.Ordinal);
            for (var i = 0; i < count; i++)
            {
                var length = reader.ReadUInt16();
                var utf8 = reader.ReadBytes(length);
                if (utf8.Length != length) throw new EndOfStreamException();
                var unit = Encoding.UTF8.GetString(utf8);
                var balance = new UnitBalance(reader.ReadDouble(), reader.ReadDouble(), reader.ReadInt64(), new sbyte[slots]);
                for (var j = 0; j < slots; j++) balance.Signs[j] = reader.ReadSByte();
                if (balance.Signs.Any(s => s is not (-1 or 1)) || !(balance.Area > 0) || !double.IsFinite(balance.Area) || !(balance.Std > 0) || !double.IsFinite(balance.Std)
                    || balance.Samples < 0)
                {
                    throw new ModelFormatException($"Mass balance model unit '{unit}' has invalid values.");
                }

                if (!units.TryAdd(unit, balance)) throw new ModelFormatException($"Mass balance model lists unit '{unit}' twice.");
            }

            if (reader.BaseStream.Position != reader.BaseStream.Length) throw new ModelFormatException("Mass balance model has unexpected trailing bytes.");
            return new MassBalanceModel(slots, units, blame);
        }
        catch (EndOfStreamException ex)
        {
            throw new ModelFormatException("Mass balance model is truncated.", ex);
        }
    }

    /// <summary>|y − A·x| / σ of a unit's window, scaled by the reading's slot blame; capped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal float Residual(in UnitBalance balance, double x, ReadOnlySpan<double> flows, int slot)
    {
        var y = 0.0;
        for (var j = 0; j < flows.Length; j++) y += balance.Signs[j] * flows[j];
        var r = Math.Abs(y - (balance.Area * x)) / balance.Std * BlameOf(slot);
        return (float)Math.Min(r, ResidualLimit);
    }

    /// <summary>One unit's balance: Σ Signsⱼ·yⱼ = Area·x, residual spread Std, from Samples samples.</summary>
    internal readonly record struct UnitBalance(double Area, double Std, long Samples, sbyte[] Signs);
}

/// <summary>One level reading's window of a unit: net level change per unit area x, each flow slot's mean yⱼ, and
/// whether no suspect level reading was inside it.</summary>
internal readonly record struct BalanceSample(double X, double[] Y, bool Quiet);
