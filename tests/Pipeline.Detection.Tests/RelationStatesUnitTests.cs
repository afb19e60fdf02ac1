using System.Buffers.Binary;
using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Detection.Tests;

public sealed class RelationStatesUnitTests
{
    // A tank inlet: f-V101 reports the valve state open ∈ {0, 1} (it switches every 50 ticks), f-Q101 the inflow q: with
    // the valve open 30 m³/h plus a supply wander of ±3 (a slow sine plus noise 0.5), with it shut max(0, 0.1 · noise).
    // The pooled fit's residual spread is the open valve's; the shut valve's regime spread is about 0.07.
    private static BundleLayout Layout(string? states) => new()
    {
        Stream = Topics.IiotTelemetry,
        Measurements = ["open", "q"],
        Featurizer = new FeaturizerOptions { UnitSlots = 1, Window = 8, RelationStates = states },
    };

    private static List<DeviceReading> Inlet(int ticks, int seed, Func<int, bool, double?>? meter = null)
    {
        var random = new Random(seed);
        var readings = new List<DeviceReading>();
        for (var t = 0; t < ticks; t++)
        {
            var open = (t / 50) % 2 == 0;
            var q = open ? 30 + (3 * Math.Sin(t / 37.0)) + (0.5 * TestData.Gaussian(random)) : Math.Max(0, 0.1 * TestData.Gaussian(random));
            // The valve reports first, so the meter's snapshot holds the valve state of its own tick.
            readings.Add(TestData.UnitReading("f-V101", "open", open ? 1 : 0, t));
            readings.Add(TestData.UnitReading("f-Q101", "q", meter?.Invoke(t, open) ?? q, t));
        }

        return readings;
    }

    // rel of the meter's readings (every second row) in ticks [from, to).
    private static float[] MeterRel(BundleLayout layout, RelationModel model, List<DeviceReading> readings, int from, int to)
    {
        var events = BundleTrainer.Featurize(layout, readings).WithRelations(model);
        var d = layout.FeatureDimension;
        return Enumerable.Range(from, to - from).Select(t => events.Features[(((2 * t) + 1) * d) + d - 1]).ToArray();
    }

    [Fact]
    public void MeterReadingOneBehindAShutValve_IsFarOffInItsRegimeAndNotInThePooledFit()
    {
        // The meter is spoofed to 1.0 for ticks 1050–1099 (the valve is shut from 1050 to 1099).
        var training = Inlet(1000, seed: 1);
        var spoofed = Inlet(1200, seed: 2, (t, _) => t is >= 1050 and < 1100 ? 1.0 : null);
        var pooledLayout = Layout(null);
        var statesLayout = Layout("open");
        var pooled = BundleTrainer.Featurize(pooledLayout, training).FitRelations()!;
        var states = BundleTrainer.Featurize(statesLayout, training).FitRelations()!;

        Assert.Empty(pooled.StateColumns);
        Assert.Equal([0], states.StateColumns); // open, slot 0
        var before = MeterRel(pooledLayout, pooled, spoofed, 1050, 1100);
        var after = MeterRel(statesLayout, states, spoofed, 1050, 1100);
        Assert.All(before, r => Assert.True(r < 1.5, $"pooled rel {r}"));
        Assert.All(after, r => Assert.True(r >= 8 && r <= RelationModel.StateCap, $"regime rel {r}"));

        // Normal readings are judged as before unless their regime finds them far off: the shut valve's normal
        // readings stay small, the open valve's are the pooled fit's.
        var normalPooled = MeterRel(pooledLayout, pooled, spoofed, 1100, 1200);
        var normalStates = MeterRel(statesLayout, states, spoofed, 1100, 1200);
        // (The pooled fits differ a little: trimming judges rows by the residual with the regimes.)
        Assert.All(normalStates.Zip(normalPooled), p => Assert.True(p.First >= p.Second - 0.05 && p.First < 6, $"{p.First} against {p.Second} pooled"));
    }

    [Fact]
    public void StatesModel_RoundTripsThroughBytes_AndMergesOnlyWithTheSameColumns()
    {
        var layout = Layout("open");
        var shards = new[] { Inlet(600, seed: 3), Inlet(600, seed: 4) }.Select(r => BundleTrainer.Featurize(layout, r).FitRelations()!).ToArray();
        var model = shards[0];

        var bytes = model.Serialize();
        var copy = RelationModel.Deserialize(bytes);
        Assert.Equal(bytes, copy.Serialize());
        Assert.Equal([0], copy.StateColumns);
        var probe = Inlet(200, seed: 5, (t, open) => open ? null : 1.0);
        Assert.Equal(MeterRel(layout, model, probe, 0, 200), MeterRel(layout, copy, probe, 0, 200));

        var merged = RelationModel.Merge(shards);
        Assert.Equal(shards.Sum(s => s.Samples(1, 0)), merged.Samples(1, 0));
        var plain = BundleTrainer.Featurize(Layout(null), Inlet(600, seed: 3)).FitRelations()!;
        var ex = Assert.Throws<ArgumentException>(() => RelationModel.Merge([model, plain]));
        Assert.Contains("state columns [] cannot merge with one with [0]", ex.Message);
        Assert.False(Layout(null).Takes(model));
        var refused = Assert.Throws<ArgumentException>(() => BundleTrainer.Featurize(Layout(null), probe).WithRelations(model));
        Assert.Contains("state columns [0]", refused.Message);

        // A state column count out of range is refused by name (the checksum is made good again).
        var bad = (byte[])bytes.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(bad.AsSpan(14), 9);
        BinaryPrimitives.WriteUInt32LittleEndian(bad.AsSpan(bad.Length - 4), Crc32.Compute(bad.AsSpan(0, bad.Length - 4)));
        Assert.Contains("state columns", Assert.Throws<ModelFormatException>(() => RelationModel.Deserialize(bad)).Message);
        var truncated = bytes[..^12];
        Assert.Throws<ModelFormatException>(() => RelationModel.Deserialize(truncated));
    }

    [Fact]
    public void Bundle_WithRelationStates_RoundTripsAndScoresTheSpoofAsTrained()
    {
        var layout = Layout("open");
        var events = BundleTrainer.Featurize(layout, Inlet(1000, seed: 6));
        var relations = events.FitRelations();
        events = events.WithRelations(relations);
        var standardizer = events.FitStandardizer();
        var bundle = new ModelBundle(layout, standardizer, PcaMahalanobisDetector.Fit(events.ToInputs(standardizer), new PcaMahalanobisOptions { Seed = 1 }), relations);

        var copy = ModelBundle.Deserialize(bundle.Serialize());

        Assert.Equal("open", copy.Layout.Featurizer.RelationStates);
        Assert.Equal([0], copy.Relations!.StateColumns);
        var spoofed = Inlet(300, seed: 7, (t, open) => open ? null : 1.0);
        var scores = new float[spoofed.Count];
        var again = new float[spoofed.Count];
        bundle.CreateScorer().Score(spoofed, scores);
        copy.CreateScorer().Score(spoofed, again);
        Assert.Equal(scores, again);
        Assert.True(scores.Distinct().Count() > 100); // scored, not all clamped to one value
    }

    [Fact]
    public void Layout_RelationStates_NamesMustBeMeasurementsAndFitTheColumnLimit()
    {
        var unknown = Assert.Throws<ArgumentException>(() => Layout("closed").Validate());
        Assert.Contains("'closed'", unknown.Message);
        var twice = Assert.Throws<ArgumentException>(() => Layout("open, open").Validate());
        Assert.Contains("twice", twice.Message);
        var many = new BundleLayout { Stream = Topics.IiotTelemetry, Measurements = ["a", "b", "c"], Featurizer = new FeaturizerOptions { UnitSlots = 2, RelationStates = "a,b,c" } };
        Assert.Contains("at most 4", Assert.Throws<ArgumentException>(() => many.Validate()).Message);
        var noRelations = Layout("open") with { Featurizer = new FeaturizerOptions { UnitSlots = 1, RelationResiduals = false, RelationStates = "open" } };
        Assert.Contains("RelationStates needs", Assert.Throws<ArgumentException>(() => noRelations.Validate()).Message);
        var two = new BundleLayout { Stream = Topics.IiotTelemetry, Measurements = ["a", "b", "c"], Featurizer = new FeaturizerOptions { UnitSlots = 2, RelationStates = "b , a" } };
        Assert.Equal([0, 1, 2, 3], two.RelationStateColumns()); // every slot of each name, ascending
    }
}
