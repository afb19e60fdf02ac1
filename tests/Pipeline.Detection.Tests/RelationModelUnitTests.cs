using System.Buffers.Binary;
using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Detection.Tests;

public sealed class RelationModelUnitTests
{
    // Two measurements x and y, one unit slot: rows of DeviceReadingFeaturizer.DimensionOf(2, 1) = 10 + 8 + 4 + 1 = 23
    // features; the value of y is feature 5, the snapshot [unit.x.1, unit.y.1, unit.x.1.avg, unit.y.1.avg] starts at 18,
    // rel is feature 22.
    private const int D = 23;

    [Fact]
    public void Fit_LinearRelationWithNoise_HandComputedSlopeStdAndResidual()
    {
        // y = 2x + 1 ± 0.1 on 16 rows (x = 0,0,1,1,2,2,3,3 twice; the ±0.1 alternate, uncorrelated with x). Centred:
        // var x = 1.25, cov(x, y) = 2.5, var y = 5.01; ridge slope = 2.5 / (1.25 · 1.001) = 1.998002; residual variance
        // 5.01 − 2·1.998002·2.5 + 1.998002²·1.25 → std 0.1000249; every residual is within 4 std, so trimming keeps all.
        var (rows, own) = Rows([0, 0, 1, 1, 2, 2, 3, 3, 0, 0, 1, 1, 2, 2, 3, 3], (x, i) => (2 * x) + 1 + (i % 2 == 0 ? 0.1f : -0.1f));

        var model = RelationModel.Fit(2, 1, rows, own, 16);

        Assert.Equal(16, model.Samples(1, 0));
        Assert.Equal(0.100025, model.ResidualStd(1, 0), 1e-6); // the inputs are floats
        Assert.Equal(0, model.Samples(0, 0)); // no row of a device reporting x
        Assert.Equal(0, model.ResidualStd(0, 0));

        // x = 2, y = 6: prediction 1.002997 + 1.998002 · 2 = 4.999001, residual (6 − 4.999001) / 0.1000249 = 10.0075.
        var (probe, probeOwn) = Rows([2], (_, _) => 6);
        model.Apply(probe, probeOwn);
        Assert.Equal(10.00749, probe[D - 1], 1e-4);
    }

    [Fact]
    public void Apply_OwnDeviceSnapshotMasked_ValueOfOwnSlotDoesNotMoveThePrediction()
    {
        var (rows, own) = Rows([0, 0, 1, 1, 2, 2, 3, 3, 0, 0, 1, 1, 2, 2, 3, 3], (x, i) => (2 * x) + 1 + (i % 2 == 0 ? 0.1f : -0.1f));
        var model = RelationModel.Fit(2, 1, rows, own, 16);
        var (a, ownA) = Rows([2], (_, _) => 6);
        var (b, ownB) = Rows([2], (_, _) => 6);
        b[18 + 1] = 500; // the device's own latest and smoothed y in the snapshot
        b[18 + 3] = -500;

        model.Apply(a, ownA);
        model.Apply(b, ownB);

        Assert.Equal(a[D - 1], b[D - 1]);
    }

    [Fact]
    public void Apply_LargestAbsoluteResidualOverTheReadingsMeasurements()
    {
        var (rows, own) = Rows([0, 0, 1, 1, 2, 2, 3, 3, 0, 0, 1, 1, 2, 2, 3, 3], (x, i) => (2 * x) + 1 + (i % 2 == 0 ? 0.1f : -0.1f));
        var model = RelationModel.Fit(2, 1, rows, own, 16);
        var (below, ownBelow) = Rows([2], (_, _) => 4); // residual (4 − 4.999001) / 0.1000249 = −9.98752
        var (none, _) = Rows([2], (_, _) => 4);

        model.Apply(below, ownBelow);
        model.Apply(none, [-1, -1]); // a device without a snapshot slot

        Assert.Equal(9.98752, below[D - 1], 1e-4);
        Assert.Equal(0, none[D - 1]);
    }

    [Fact]
    public void Fit_OutlierInTrainingRows_TrimmedFromTheFit()
    {
        var xs = Enumerable.Range(0, 40).Select(i => (float)(i % 4)).ToArray();
        var (clean, cleanOwn) = Rows(xs, (x, i) => (2 * x) + 1 + (i % 2 == 0 ? 0.1f : -0.1f));
        var (dirty, dirtyOwn) = Rows([.. xs, 1], (x, i) => i == 40 ? 53 : (2 * x) + 1 + (i % 2 == 0 ? 0.1f : -0.1f));

        var reference = RelationModel.Fit(2, 1, clean, cleanOwn, 40);
        var trimmed = RelationModel.Fit(2, 1, dirty, dirtyOwn, 41);

        Assert.Equal(40, trimmed.Samples(1, 0));
        Assert.Equal(reference.ResidualStd(1, 0), trimmed.ResidualStd(1, 0), 1e-12);
    }

    [Fact]
    public void Merge_ShardsOfTheRows_EqualsTheFitOnTheUnion()
    {
        var xs = Enumerable.Range(0, 90).Select(i => (float)((i * 7) % 11)).ToArray();
        float Y(float x, int i) => (0.5f * x) - 3 + (0.05f * ((i * 13) % 5)) - 0.1f;
        var (all, own) = Rows(xs, Y);
        var shards = new[] { (0, 30), (30, 25), (55, 35) }
            .Select(s => RelationModel.Fit(2, 1, all.AsSpan(s.Item1 * D, s.Item2 * D), own.AsSpan(s.Item1 * 2, s.Item2 * 2), s.Item2))
            .ToList();

        var merged = RelationModel.Merge(shards);
        var union = RelationModel.Fit(2, 1, all, own, 90);

        Assert.Equal(union.Samples(1, 0), merged.Samples(1, 0));
        Assert.Equal(union.ResidualStd(1, 0), merged.ResidualStd(1, 0), union.ResidualStd(1, 0) * 1e-6);
        var (p1, o1) = Rows([4.5f], (_, _) => 1);
        var (p2, o2) = Rows([4.5f], (_, _) => 1);
        union.Apply(p1, o1);
        merged.Apply(p2, o2);
        Assert.Equal(p1[D - 1], p2[D - 1], p1[D - 1] * 1e-6);
    }

    [Fact]
    public void Merge_DifferentShapes_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => RelationModel.Merge([RelationModel.Empty(2, 1), RelationModel.Empty(2, 2)]));
        Assert.Contains("cannot merge", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_RoundTrip_SameBytesAndResiduals()
    {
        var (rows, own) = Rows([0, 0, 1, 1, 2, 2, 3, 3, 0, 0, 1, 1, 2, 2, 3, 3], (x, i) => (2 * x) + 1 + (i % 2 == 0 ? 0.1f : -0.1f));
        var model = RelationModel.Fit(2, 1, rows, own, 16);

        var bytes = model.Serialize();
        var copy = RelationModel.Deserialize(bytes);

        Assert.Equal(bytes, copy.Serialize());
        var (a, oa) = Rows([1.5f], (_, _) => 3.7f);
        var (b, ob) = Rows([1.5f], (_, _) => 3.7f);
        model.Apply(a, oa);
        copy.Apply(b, ob);
        Assert.Equal(a[D - 1], b[D - 1]);
    }

    [Fact]
    public void Deserialize_AnotherVersion_FailsNamingTheVersion()
    {
        var bytes = RelationModel.Empty(2, 1).Serialize();
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), 4);

        var ex = Assert.Throws<ModelFormatException>(() => RelationModel.Deserialize(bytes));

        Assert.Contains("version 4 is not supported", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_FlippedBit_FailsWithChecksumError()
    {
        var bytes = RelationModel.Empty(2, 1).Serialize();
        bytes[20] ^= 1;

        var ex = Assert.Throws<ModelFormatException>(() => RelationModel.Deserialize(bytes));

        Assert.Contains("checksum", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Featurizer_UnitOfTwoDevices_OwnSlotsAndZeroRelFeature()
    {
        var featurizer = new DeviceReadingFeaturizer(["x", "y"], new FeaturizerOptions { UnitSlots = 1 });
        var features = new float[featurizer.Dimension];
        DeviceReading Reading(string device, string name, double value) => new()
        {
            ClusterId = "c",
            FactoryId = "f",
            DeviceId = device,
            DeviceType = "t",
            Sequence = 0,
            Timestamp = DateTimeOffset.UnixEpoch,
            Measurements = [new NamedValue(name, value)],
        };

        featurizer.Featurize(Reading("f-A101", "x", 3), features);
        featurizer.Featurize(Reading("f-B101", "y", 7), features);

        Assert.Equal(D, featurizer.Dimension);
        Assert.Equal("rel", featurizer.FeatureNames[^1]);
        Assert.Equal([-1, 0], featurizer.LastOwnSlots.ToArray());
        Assert.Equal([3f, 7f, 3f, 7f, 0f], features[18..]);
    }

    [Fact]
    public void WithRelations_OffsetDevice_KeepsItsRelWhileItsNeighboursGetTheRelOfANormalUnit()
    {
        // One unit of three devices: f-A101 and f-C101 measure the same quantity s (x noise 0.02, z noise 0.3), f-B101
        // reports y = 2s + 1 (noise 0.05). A is offset by +3 for 20 ticks (≈ 67 σ). B's prediction uses x, so without
        // attribution B is pulled out (4–8 σ over A's first ticks, less once the smoothed values follow); attributed,
        // B gets a residual like that of the same readings with A normal. A is to blame for B (A's residual stays large
        // without y); B is not for A (B's falls without x), so A keeps its full residual on every offset reading.
        var (readings, attacked, window) = ThreeDeviceUnit(offset: 3);
        var (normalReadings, _, _) = ThreeDeviceUnit(offset: 0);
        var events = BundleTrainer.Featurize(ThreeDeviceLayout, readings);
        var model = events.FitRelations()!;
        var rel = Rel(events.WithRelations(model));
        var normal = Rel(BundleTrainer.Featurize(ThreeDeviceLayout, normalReadings).WithRelations(model));
        var plain = Plain(events, model);

        Assert.True(model.Attributes);
        var pulled = Enumerable.Range(0, readings.Count).Where(i => window[i] && !attacked[i] && plain[i] > RelationModel.BlameSigma).ToList();
        Assert.True(pulled.Count >= 4, $"{pulled.Count} neighbour readings pulled above {RelationModel.BlameSigma} σ"); // B, 4–8 σ
        Assert.All(pulled, i => Assert.True(Math.Abs(rel[i] - normal[i]) < 1, $"row {i}: {rel[i]} against {normal[i]} with A normal ({plain[i]} unattributed)"));
        var offset = Enumerable.Range(0, readings.Count).Where(i => attacked[i]).ToList();
        Assert.Equal(20, offset.Count);
        Assert.All(offset, i => Assert.True(rel[i] == plain[i] && rel[i] > 4 * RelationModel.BlameSigma, $"row {i}: {rel[i]} ({plain[i]} unattributed)"));
        Assert.All(Enumerable.Range(0, readings.Count), i => Assert.True(rel[i] <= plain[i])); // never raised
        var small = Enumerable.Range(0, readings.Count).Where(i => plain[i] <= RelationModel.BlameSigma).ToList();
        Assert.Equal(small.Select(i => plain[i]), small.Select(i => rel[i])); // not a broken relation: nothing to attribute
    }

    [Fact]
    public void LeaveOutCoefficients_EqualADirectRidgeFitWithoutTheOtherKeyOnTheSameRows()
    {
        // B's key (y, slot 0) without A's (x, slot 0): the remaining regressors are z and its smoothed value (B's own y
        // columns are masked). The same centred ridge least squares, solved directly on B's rows.
        var (readings, _, _) = ThreeDeviceUnit(offset: 0);
        var events = BundleTrainer.Featurize(ThreeDeviceLayout, readings);
        var model = events.FitRelations()!;
        var d = ThreeDeviceLayout.FeatureDimension;
        var snapshotAt = d - 7;
        var rows = Enumerable.Range(0, readings.Count).Where(i => events.OwnSlots[(i * 3) + 1] == 0).ToList();
        Assert.Equal(rows.Count, model.Samples(1, 0)); // no row trimmed: the model's rows are these
        var x = rows.Select(i => new[] { (double)events.Features[(i * d) + snapshotAt + 2], events.Features[(i * d) + snapshotAt + 5] }).ToList();
        var y = rows.Select(i => (double)events.Features[(i * d) + DeviceReadingFeaturizer.ValueIndex(1)]).ToList();
        double Mean(Func<int, double> f) => Enumerable.Range(0, rows.Count).Average(f);
        var (m0, m1, my) = (Mean(r => x[r][0]), Mean(r => x[r][1]), Mean(r => y[r]));
        var c00 = Mean(r => (x[r][0] - m0) * (x[r][0] - m0)) * (1 + RelationModel.Ridge);
        var c11 = Mean(r => (x[r][1] - m1) * (x[r][1] - m1)) * (1 + RelationModel.Ridge);
        var c01 = Mean(r => (x[r][0] - m0) * (x[r][1] - m1));
        var (c0y, c1y) = (Mean(r => (x[r][0] - m0) * (y[r] - my)), Mean(r => (x[r][1] - m1) * (y[r] - my)));
        var det = (c00 * c11) - (c01 * c01);
        var b0 = ((c11 * c0y) - (c01 * c1y)) / det;
        var b1 = ((c00 * c1y) - (c01 * c0y)) / det;

        var fit = model.LeaveOutCoefficients(1, 0, 0, 0)!.Value;

        Assert.Equal(b0, fit.Slopes[2], Math.Abs(b0) * 1e-6);
        Assert.Equal(b1, fit.Slopes[5], Math.Abs(b1) * 1e-6);
        Assert.Equal(0, fit.Slopes[0]); // the left-out latest and smoothed x
        Assert.Equal(0, fit.Slopes[3]);
        var intercept = my - (fit.Slopes[2] * m0) - (fit.Slopes[5] * m1);
        Assert.Equal(intercept, fit.Intercept, Math.Abs(intercept) * 1e-6);
        var residuals = Enumerable.Range(0, rows.Count).Select(r => y[r] - intercept - (fit.Slopes[2] * x[r][0]) - (fit.Slopes[5] * x[r][1])).ToList();
        var std = Math.Sqrt(residuals.Average(e => e * e));
        Assert.Equal(std, fit.Std, std * 1e-4); // the model's from the statistics, this one from the rows
        Assert.True(fit.Std > model.ResidualStd(1, 0), "x left out: a worse fit than with it");
        Assert.Null(model.LeaveOutCoefficients(1, 0, 1, 0)); // a key is not left out of its own fit
    }

    [Fact]
    public void Apply_ModelFromAVersion1Blob_ScoresExactlyAsBeforeAndLeavesTheMemoryAlone()
    {
        var (readings, _, _) = ThreeDeviceUnit(offset: 3);
        var events = BundleTrainer.Featurize(ThreeDeviceLayout, readings);
        var model = events.FitRelations()!;
        var bytes = model.Serialize();
        BlobEnvelope.Seal(bytes, "BHRL"u8, 1); // as an earlier build wrote it: the same body

        var old = RelationModel.Deserialize(bytes);
        var oldRel = Rel(events.WithRelations(old));
        var memory = new float[old.MemoryLength];
        var row = events.Features.AsSpan(0, ThreeDeviceLayout.FeatureDimension).ToArray();
        old.Apply(row, events.OwnSlots.AsSpan(0, 3), memory);

        Assert.False(old.Attributes);
        Assert.Equal(bytes, old.Serialize());
        Assert.Equal(Plain(events, old), oldRel);
        Assert.Equal(Plain(events, model), oldRel); // the same coefficients
        Assert.NotEqual(Rel(events.WithRelations(model)), oldRel);
        Assert.Equal(new float[old.MemoryLength], memory);
        Assert.False(RelationModel.Merge([old, model]).Attributes);
        Assert.True(RelationModel.Deserialize(model.Serialize()).Attributes);
    }

    [Fact]
    public void Score_OffsetDeviceInAUnit_ScorerComputesTheTrainingTimeFeatures()
    {
        var (readings, _, _) = ThreeDeviceUnit(offset: 3);
        var events = BundleTrainer.Featurize(ThreeDeviceLayout, readings);
        var bundle = BundleTrainer.Fit(ThreeDeviceLayout, events, new PcaMahalanobisOptions());
        var expected = new float[readings.Count];
        bundle.Detector.Score(events.WithRelations(bundle.Relations).ToInputs(bundle.Standardizer).Values, expected);
        var actual = new float[readings.Count];
        var scorer = bundle.CreateScorer();
        for (var start = 0; start < readings.Count; start += 7)
        {
            var batch = readings.GetRange(start, Math.Min(7, readings.Count - start));
            scorer.Score(batch, actual.AsSpan(start, batch.Count));
        }

        Assert.True(bundle.Relations!.Attributes);
        Assert.Equal(expected, actual);
    }

    private static readonly BundleLayout ThreeDeviceLayout =
        new() { Stream = Topics.IiotTelemetry, Measurements = ["x", "y", "z"], Featurizer = new FeaturizerOptions { UnitSlots = 1, Window = 8 } };

    // 400 ticks of the three-device unit (see WithRelations_OffsetDevice_...), A offset by offset for ticks 300–319; per
    // reading whether it is A's offset one and whether it is in those ticks. The noise is the same for every offset.
    private static (List<DeviceReading> Readings, List<bool> Attacked, List<bool> Window) ThreeDeviceUnit(double offset)
    {
        var random = new Random(5);
        var readings = new List<DeviceReading>();
        var attacked = new List<bool>();
        var window = new List<bool>();
        for (var t = 0; t < 400; t++)
        {
            var level = 3 * Math.Sin(t / 15.0);
            var inWindow = t is >= 300 and < 320;
            readings.Add(TestData.UnitReading("f-A101", "x", level + (0.02 * TestData.Gaussian(random)) + (inWindow ? offset : 0), t));
            readings.Add(TestData.UnitReading("f-B101", "y", (2 * level) + 1 + (0.05 * TestData.Gaussian(random)), t));
            readings.Add(TestData.UnitReading("f-C101", "z", level + (0.3 * TestData.Gaussian(random)), t));
            attacked.AddRange([inWindow && offset != 0, false, false]);
            window.AddRange([inWindow, inWindow, inWindow]);
        }

        return (readings, attacked, window);
    }

    private static float[] Rel(FeaturizedEvents events)
    {
        var d = events.Layout.FeatureDimension;
        return Enumerable.Range(0, events.Count).Select(i => events.Features[(i * d) + d - 1]).ToArray();
    }

    // rel of every row without the unit memory (the full fit only).
    private static float[] Plain(FeaturizedEvents events, RelationModel model)
    {
        var d = events.Layout.FeatureDimension;
        var rel = new float[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            var row = events.Features.AsSpan(i * d, d).ToArray();
            model.Apply(row, events.OwnSlots.AsSpan(i * 3, 3));
            rel[i] = row[d - 1];
        }

        return rel;
    }

    // Rows of a device reporting y (own slot 0 for y, none for x): x in the snapshot's unit.x.1, the smoothed x a
    // constant 7 (a constant regressor is left out of the fit), y as the value and in the (masked) own snapshot slots.
    private static (float[] Rows, sbyte[] Own) Rows(float[] xs, Func<float, int, float> y)
    {
        var rows = new float[xs.Length * D];
        var own = new sbyte[xs.Length * 2];
        for (var i = 0; i < xs.Length; i++)
        {
            var row = rows.AsSpan(i * D, D);
            var value = y(xs[i], i);
            row[5] = value;
            row[18] = xs[i];
            row[19] = value;
            row[20] = 7;
            row[21] = value;
            own[2 * i] = -1;
            own[(2 * i) + 1] = 0;
        }

        return (rows, own);
    }
}
