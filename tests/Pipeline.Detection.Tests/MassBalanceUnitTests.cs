using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Detection.Tests;

/// <summary>
/// <see cref="MassBalanceModel"/> on a small tank simulation: per unit a level sensor (LIT), an inflow meter (FIT) whose
/// supply wanders, a pump (P: current and outflow) and a pressure sensor (PIT) that follows the level, one reading per
/// device per second.
/// </summary>
public sealed class MassBalanceUnitTests
{
    private static readonly BundleLayout Layout = new()
    {
        Stream = Topics.IiotTelemetry,
        Measurements = ["level_m", "flow_m3h", "current_a", "pressure_bar"],
        Featurizer = new FeaturizerOptions { BalanceLevel = "level_m", BalanceFlow = "flow_m3h" },
    };

    private static readonly double[] Areas = [1.35, 1.5, 1.65];

    [Fact]
    public void FitBalance_ThreeTanks_RecoversEachAreaAndTheFlowSigns()
    {
        var (train, _) = Simulate(ticks: 1500, seed: 1);

        var model = Fitted(train).Balance!;

        Assert.Equal(3, model.Units);
        for (var u = 0; u < Areas.Length; u++)
        {
            var unit = $"c/F{u}/1";
            Assert.InRange(model.Area(unit)!.Value, Areas[u] * 0.97, Areas[u] * 1.03);
            Assert.Equal([1, -1], model.Signs(unit)!); // slot 0 = F{u}-FIT101 (inflow), slot 1 = F{u}-P101 (outflow)
            Assert.InRange(model.ResidualStd(unit)!.Value, 0.01, 1.0); // m³/h, against a supply wander of ~2 m³/h
        }

        // The pump's flow is predicted by its current, the inflow by nothing in the unit: the inflow meter takes the blame.
        Assert.True(model.Blame[0] > 0.9, $"blame {model.Blame[0]}");
        Assert.Equal(1.0, model.Blame[0] + model.Blame[1], 1e-12);
    }

    [Fact]
    public void Score_DriftingInflowMeter_BalanceBreaksBeforeTheRelationResidualDoes()
    {
        var (train, _) = Simulate(ticks: 1500, seed: 2);
        var bundle = Fitted(train);
        // Unit F1's inflow meter drifts to +8 m³/h over ticks 600–899, against a supply that wanders by ~2.2 m³/h.
        var (test, drifting) = Simulate(ticks: 1200, seed: 3, drift: (Unit: 1, From: 600, To: 900, Offset: 8));

        var (bal, rel) = BalAndRel(bundle, test);

        // The other units' inflow meters (the drifting unit's window holds the drift for N + K readings after it ends).
        var normalInflow = Enumerable.Range(0, test.Count).Where(i => test[i].DeviceId is "F0-FIT101" or "F2-FIT101" && bal[i] != 0).Select(i => bal[i]).Order().ToArray();
        Assert.True(normalInflow.Length > 1000, $"{normalInflow.Length} scored inflow readings");
        var balFlags = drifting.First(d => bal[d.Index] > normalInflow[^1]).Tick; // beyond every normal inflow reading
        var relFlags = drifting.First(d => rel[d.Index] > MassBalanceModel.GuardSigma).Tick;
        Assert.True(balFlags + 30 < relFlags, $"bal flags the drift at tick {balFlags}, rel at {relFlags}");
        var late = drifting.Where(d => d.Tick >= 800).Select(d => bal[d.Index]).Order().ToArray();
        Assert.True(late[late.Length / 2] > 3 * normalInflow[^1], $"late drift median {late[late.Length / 2]}, largest normal {normalInflow[^1]}");
        // Readings that are not flows carry no balance.
        Assert.All(Enumerable.Range(0, test.Count).Where(i => test[i].DeviceId.EndsWith("LIT101", StringComparison.Ordinal)), i => Assert.Equal(0f, bal[i]));
    }

    [Fact]
    public void Score_LevelSensorOffset_GuardSilencesTheUnitsBalanceForAWindow()
    {
        var (train, _) = Simulate(ticks: 1500, seed: 4);
        var bundle = Fitted(train);
        // Unit F2's level sensor reads 1.2 m high over ticks 700–759: a false net flow, which rel catches on the level.
        var (test, _) = Simulate(ticks: 1200, seed: 5, levelOffset: (Unit: 2, From: 700, To: 760, Offset: 1.2));
        var (bal, rel) = BalAndRel(bundle, test);

        var inflowF2 = Enumerable.Range(0, test.Count).Where(i => test[i].DeviceId == "F2-FIT101").ToArray(); // index = tick
        Assert.Contains(Enumerable.Range(0, test.Count), i => test[i].DeviceId == "F2-LIT101" && rel[i] > MassBalanceModel.GuardSigma);
        var silent = MassBalanceModel.Window + MassBalanceModel.Block;
        Assert.All(inflowF2.Skip(701).Take(58 + silent), i => Assert.Equal(0f, bal[i]));
        Assert.Contains(inflowF2.Skip(760 + silent + 5), i => bal[i] != 0); // back after the window
        Assert.Contains(inflowF2.Take(690).Skip(200), i => bal[i] != 0); // and present before
    }

    [Fact]
    public void BundleScorer_ComputesBalAsTheTrainingReplayDoes()
    {
        var (train, _) = Simulate(ticks: 900, seed: 6);
        var bundle = BundleTrainer.Fit(Layout, BundleTrainer.Featurize(Layout, train), new PcaMahalanobisOptions { Seed = 1 });
        var (test, _) = Simulate(ticks: 600, seed: 7, drift: (Unit: 0, From: 300, To: 600, Offset: 4));
        var expected = new float[test.Count];
        bundle.Detector.Score(BundleTrainer.Featurize(Layout, test).ToInputs(bundle).Values, expected);

        var scores = new float[test.Count];
        var scorer = ModelBundle.Deserialize(bundle.Serialize()).CreateScorer();
        for (var at = 0; at < test.Count; at += 500) scorer.Score(test.Skip(at).Take(500).ToList(), scores.AsSpan(at, Math.Min(500, test.Count - at)));

        Assert.NotNull(bundle.Balance);
        Assert.Equal(expected, scores);
    }

    [Fact]
    public void Serialize_RoundTripsBytesAndRefusesCorruption()
    {
        var (train, _) = Simulate(ticks: 900, seed: 8);
        var model = Fitted(train).Balance!;

        var bytes = model.Serialize();
        var back = MassBalanceModel.Deserialize(bytes);

        Assert.Equal(bytes, back.Serialize());
        Assert.Equal(model.UnitKeys, back.UnitKeys);
        var flipped = (byte[])bytes.Clone();
        flipped[30] ^= 1;
        Assert.Contains("checksum", Assert.Throws<ModelFormatException>(() => MassBalanceModel.Deserialize(flipped)).Message, StringComparison.Ordinal);
        Assert.Throws<ModelFormatException>(() => MassBalanceModel.Deserialize(bytes.AsSpan(0, 20)));
    }

    [Fact]
    public void Merge_DisjointUnitsAreKept_SharedUnitsAverageBySamples()
    {
        var (train, _) = Simulate(ticks: 1200, seed: 9);
        var all = Fitted(train).Balance!;
        var onlyF0 = Fitted([.. train.Where(r => r.FactoryId == "F0")]).Balance!;
        var onlyF1 = Fitted([.. train.Where(r => r.FactoryId == "F1")]).Balance!;

        var disjoint = MassBalanceModel.Merge([onlyF0, onlyF1]);
        Assert.Equal(["c/F0/1", "c/F1/1"], disjoint.UnitKeys);
        Assert.Equal(onlyF0.Area("c/F0/1"), disjoint.Area("c/F0/1"));
        Assert.Equal(onlyF1.Area("c/F1/1"), disjoint.Area("c/F1/1"));

        var twice = MassBalanceModel.Merge([all, all]);
        Assert.Equal(all.Area("c/F2/1")!.Value, twice.Area("c/F2/1")!.Value, 1e-12);
        Assert.Equal(all.Blame[0], twice.Blame[0], 1e-12);
        Assert.Throws<ArgumentException>(() => MassBalanceModel.Merge([]));
    }

    [Fact]
    public void Layout_BalanceNeedsBothNamesAndRelations()
    {
        Assert.Equal(DeviceReadingFeaturizer.BalanceFeature, Layout.FeatureNames[^1]); // cached; a `with` copy must not keep them
        Assert.Throws<ArgumentException>(() => (Layout with { Featurizer = new FeaturizerOptions { BalanceLevel = "level_m" } }).Validate());
        Assert.Throws<ArgumentException>(() => (Layout with { Featurizer = Layout.Featurizer with { RelationResiduals = false } }).Validate());
        var unknown = Assert.Throws<ArgumentException>(() => (Layout with { Featurizer = Layout.Featurizer with { BalanceFlow = "flow" } }).FeatureNames);
        Assert.Contains("'flow'", unknown.Message, StringComparison.Ordinal);
        Assert.Equal(DeviceReadingFeaturizer.BalanceFeature, Layout.FeatureNames[^1]);
        Assert.Equal(DeviceReadingFeaturizer.RelationFeature, Layout.FeatureNames[^2]);
    }

    private static ModelBundle Fitted(IReadOnlyList<DeviceReading> readings)
    {
        var events = BundleTrainer.Featurize(Layout, readings);
        var relations = events.FitRelations();
        events = events.WithRelations(relations);
        var balance = events.FitBalance();
        events = events.WithBalance(balance);
        var standardizer = events.FitStandardizer();
        var inputs = events.ToInputs(standardizer);
        return new ModelBundle(Layout, standardizer, PcaMahalanobisDetector.Fit(inputs, new PcaMahalanobisOptions { Seed = 1 }), relations, balance);
    }

    // The bal and rel features of the readings as the bundle's scorer computes them.
    private static (float[] Bal, float[] Rel) BalAndRel(ModelBundle bundle, IReadOnlyList<DeviceReading> readings)
    {
        var events = BundleTrainer.Featurize(Layout, readings).WithRelations(bundle.Relations).WithBalance(bundle.Balance);
        var d = Layout.FeatureDimension;
        var names = Layout.FeatureNames.ToList();
        float[] Column(string name) => [.. Enumerable.Range(0, events.Count).Select(i => events.Features[(i * d) + names.IndexOf(name)])];
        return (Column(DeviceReadingFeaturizer.BalanceFeature), Column(DeviceReadingFeaturizer.RelationFeature));
    }

    // Three units (factories F0–F2, loop 1), one reading per device per second: inflow 36 m³/h whose supply wanders by
    // 6 % (an AR(1) with a 200-second memory), a pump of 50 m³/h between levels 1.5 and 4 m. Returns the readings in time order and,
    // for the drift, the index and tick of every reading of the drifting meter while it drifts.
    private static (List<DeviceReading> Readings, List<(int Index, int Tick)> Drifting) Simulate(
        int ticks, int seed, (int Unit, int From, int To, double Offset)? drift = null, (int Unit, int From, int To, double Offset)? levelOffset = null)
    {
        var random = new Random(seed);
        double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var readings = new List<DeviceReading>();
        var drifting = new List<(int, int)>();
        var levels = new[] { 1.5, 2.5, 3.5 };
        var supply = new double[3];
        var pumping = new[] { false, true, false };
        var start = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);
        for (var t = 0; t < ticks; t++)
        {
            for (var u = 0; u < 3; u++)
            {
                supply[u] = (0.995 * supply[u]) + (Math.Sqrt(1 - (0.995 * 0.995)) * 0.06 * Gaussian());
                if (levels[u] > 4.0) pumping[u] = true;
                else if (levels[u] < 1.5) pumping[u] = false;
                var inflow = 36 * (1 + supply[u]);
                var outflow = pumping[u] ? 50 + (0.6 * levels[u]) : 0;
                levels[u] += (inflow - outflow) / 3600 / Areas[u];
                var time = start.AddSeconds(t);
                var level = levels[u] + (0.02 * Gaussian());
                if (levelOffset is { } lo && lo.Unit == u && t >= lo.From && t < lo.To) level += lo.Offset;
                var meter = inflow + (0.2 * Gaussian());
                if (drift is { } d && d.Unit == u && t >= d.From && t < d.To)
                {
                    meter += d.Offset * (t - d.From) / (d.To - d.From);
                    drifting.Add((readings.Count + 1, t));
                }

                var factory = $"F{u}";
                readings.Add(Reading(factory, "LIT101", time, t, ("level_m", level)));
                readings.Add(Reading(factory, "FIT101", time, t, ("flow_m3h", meter)));
                readings.Add(Reading(factory, "P101", time, t, ("current_a", pumping[u] ? 6.5 + (0.22 * outflow) + (0.05 * Gaussian()) : 0), ("flow_m3h", outflow + (0.2 * Gaussian()))));
                readings.Add(Reading(factory, "PIT101", time, t, ("pressure_bar", (0.098 * levels[u]) + (pumping[u] ? 2.6 : 0) + (0.01 * Gaussian()))));
            }
        }

        return (readings, drifting);
    }

    private static DeviceReading Reading(string factory, string device, DateTimeOffset time, long sequence, params (string Name, double Value)[] values) => new()
    {
        ClusterId = "c",
        FactoryId = factory,
        DeviceId = $"{factory}-{device}",
        DeviceType = device[..^3],
        Sequence = sequence,
        Timestamp = time,
        Measurements = [.. values.Select(v => new NamedValue(v.Name, Math.Round(v.Value, 4)))],
    };
}
