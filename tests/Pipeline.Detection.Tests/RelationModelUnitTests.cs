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
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), 3);

        var ex = Assert.Throws<ModelFormatException>(() => RelationModel.Deserialize(bytes));

        Assert.Contains("version 3 is not supported", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Deserialize_Version1BlobFromBeforeUnitFits_RefusedAskingForARefit()
    {
        var bytes = RelationModel.Empty(2, 1).Serialize();
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), 1);

        var ex = Assert.Throws<ModelFormatException>(() => RelationModel.Deserialize(bytes));

        Assert.Contains("version 1 (pooled fits only) is not supported", ex.Message, StringComparison.Ordinal);
        Assert.Contains("fit the bundle again", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_TwoUnitsWithDifferentOffsets_UnitPredictionDividedByThePooledResidualStd()
    {
        // y = 2x + 1 ± 0.1 in unit A and 2x + 11 ± 0.1 in unit B, 24 rows each (x = 0,0,1,1,2,2,3,3 three times): y is
        // fitted per unit. Pooled: slope 2.5 / (1.25 · 1.001) = 1.998002, intercept 9 − 1.5 · 1.998002 = 6.002997,
        // residual std 5.001 (the offsets differ by 10). Unit A: the pull towards the pooled slope adds 0.01 · 1.25 ·
        // 1.998002 to cov(x, y) = 2.5 and 0.01 · 1.25 to 1.25 · 1.001, so the slope stays 1.998002; intercept
        // 4 − 1.5 · 1.998002 = 1.002997 and in-sample residual std 0.1000249, as a fit on A alone (it trims A's rows; the
        // residual feature is divided by the pooled 5.001).
        var (rows, own, units) = UnitRows(("A", 1, 24), ("B", 11, 24));

        var model = RelationModel.Fit(2, 1, rows, own, units, [false, true], 48);

        Assert.Equal(2, model.Units);
        Assert.True(model.HasUnitFit(1, 0, "A"));
        Assert.Equal(24, model.Samples(1, 0, "A"));
        Assert.Equal(5.001, model.ResidualStd(1, 0), 1e-3);
        Assert.Equal(0.1000249, model.ResidualStd(1, 0, "A"), 1e-6);

        // x = 2 in unit A. y = 5 follows A's fit: (5 − 1.002997 − 2 · 1.998002) / 5.001 = 0.0001998. y = 6, drifted by
        // 10 noise std: 1.000999 / 5.001 = 0.20016. The pooled fit judges them the other way round: |5 − 9.999001| / 5.001
        // = 0.9996 and 0.7996.
        var (following, o1, _) = UnitRows(("A", 1, 1));
        var (drifted, o2, _) = UnitRows(("A", 1, 1));
        following[5] = 5;
        drifted[5] = 6;
        following[18] = drifted[18] = 2;
        var pooledFollowing = (float[])following.Clone();
        var pooledDrifted = (float[])drifted.Clone();

        model.Apply(following, o1, "A");
        model.Apply(drifted, o2, "A");
        model.Apply(pooledFollowing, o1, null);
        model.Apply(pooledDrifted, o2, null);

        Assert.Equal(0.0001998, following[D - 1], 1e-6);
        Assert.Equal(0.20016, drifted[D - 1], 1e-4);
        Assert.Equal(0.9996, pooledFollowing[D - 1], 1e-3);
        Assert.Equal(0.7996, pooledDrifted[D - 1], 1e-3);
    }

    [Fact]
    public void Apply_UnitNeverSeenInTraining_UsesThePooledFit()
    {
        var (rows, own, units) = UnitRows(("A", 1, 24), ("B", 11, 24));
        var model = RelationModel.Fit(2, 1, rows, own, units, [false, true], 48);
        var (unseen, o1, _) = UnitRows(("C", 3, 1));
        var pooled = (float[])unseen.Clone();

        model.Apply(unseen, o1, "C");
        model.Apply(pooled, o1);

        Assert.False(model.HasUnitFit(1, 0, "C"));
        Assert.Equal(model.ResidualStd(1, 0), model.ResidualStd(1, 0, "C"));
        Assert.Equal(pooled[D - 1], unseen[D - 1]);
    }

    [Fact]
    public void Fit_UnitWithFewerThanFourRowsPerRegressor_FallsBackToThePooledFit()
    {
        // p = 5 regressors: a unit needs 20 rows of its own; C has 16.
        var (rows, own, units) = UnitRows(("A", 1, 24), ("B", 11, 24), ("C", 5, 16));

        var model = RelationModel.Fit(2, 1, rows, own, units, [false, true], 64);

        Assert.Equal(16, model.Samples(1, 0, "C"));
        Assert.False(model.HasUnitFit(1, 0, "C"));
        Assert.Equal(model.ResidualStd(1, 0), model.ResidualStd(1, 0, "C"));
        Assert.True(model.HasUnitFit(1, 0, "A"));
    }

    [Fact]
    public void Fit_MeasurementNotFittedPerUnit_KeepsNoUnitStatistics()
    {
        var (rows, own, units) = UnitRows(("A", 1, 24), ("B", 11, 24));

        var model = RelationModel.Fit(2, 1, rows, own, units, [false, false], 48);

        Assert.Equal(0, model.Units);
        Assert.False(model.PerUnit(1));
        Assert.Equal(model.ResidualStd(1, 0), model.ResidualStd(1, 0, "A"));
    }

    [Fact]
    public void Fit_RegressorConstantInAUnit_TakesThePooledSlope()
    {
        // Unit C's x never moved in training (always 1.5, y = 9 ± 0.1: the pooled means, so the pooled slope stays
        // 1.998002: var x = 1.25 · 48 / 72, cov(x, y) = 2.5 · 48 / 72). Its own rows say nothing about the slope of x; the
        // pull gives it the pooled slope, with C's own intercept 9 − 1.5 · 1.998002. Pooled residual std: var y =
        // (48 · 30.01 + 24 · 0.01) / 72 = 20.01, so √(20.01 − 2 · 1.998002 · 1.666667 + 1.998002² · 0.833333) = 4.083708.
        // At x = 3.5, y = 13: prediction 9 + 2 · 1.998002 = 12.996004, rel (13 − 12.996004) / 4.083708 = 0.0009785 (a
        // slope of 0 would predict 9: 0.98).
        var (rows, own, units) = UnitRows(("A", 1, 24), ("B", 11, 24));
        var (constant, constantOwn, _) = UnitRows(("C", 0, 24));
        for (var i = 0; i < 24; i++)
        {
            constant[(i * D) + 18] = 1.5f;
            constant[(i * D) + 5] = constant[(i * D) + 19] = constant[(i * D) + 21] = 9 + (i % 2 == 0 ? 0.1f : -0.1f);
        }

        var model = RelationModel.Fit(2, 1, [.. rows, .. constant], [.. own, .. constantOwn], [.. units, .. Enumerable.Repeat("C", 24)], [false, true], 72);
        var (probe, o, _) = UnitRows(("C", 0, 1));
        probe[18] = 3.5f;
        probe[5] = 13;

        model.Apply(probe, o, "C");

        Assert.True(model.HasUnitFit(1, 0, "C"));
        Assert.Equal(0.1, model.ResidualStd(1, 0, "C"), 1e-6);
        Assert.Equal(4.083708, model.ResidualStd(1, 0), 1e-5);
        Assert.Equal(0.0009785, probe[D - 1], 1e-5);
    }

    [Fact]
    public void Merge_ShardsOfTwoUnits_EqualsTheFitOnTheUnionPerUnit()
    {
        var (all, own, units) = UnitRows(("A", 1, 30), ("B", 11, 30), ("A", 1, 30));
        var shards = new[] { (0, 25), (25, 40), (65, 25) }
            .Select(s => RelationModel.Fit(2, 1, all.AsSpan(s.Item1 * D, s.Item2 * D), own.AsSpan(s.Item1 * 2, s.Item2 * 2), units[s.Item1..(s.Item1 + s.Item2)], [false, true], s.Item2))
            .ToList();

        var merged = RelationModel.Merge(shards);
        var union = RelationModel.Fit(2, 1, all, own, units, [false, true], 90);

        foreach (var unit in (string[])["A", "B"])
        {
            Assert.Equal(union.Samples(1, 0, unit), merged.Samples(1, 0, unit));
            Assert.Equal(union.ResidualStd(1, 0, unit), merged.ResidualStd(1, 0, unit), union.ResidualStd(1, 0, unit) * 1e-6);
            var (p1, o1, _) = UnitRows((unit, 4, 1));
            var (p2, o2, _) = UnitRows((unit, 4, 1));
            union.Apply(p1, o1, unit);
            merged.Apply(p2, o2, unit);
            Assert.Equal(p1[D - 1], p2[D - 1], p1[D - 1] * 1e-5);
        }
    }

    [Fact]
    public void Merge_DifferentPerUnitMeasurements_Throws()
    {
        var (rows, own, units) = UnitRows(("A", 1, 24));
        var perUnit = RelationModel.Fit(2, 1, rows, own, units, [false, true], 24);
        var pooled = RelationModel.Fit(2, 1, rows, own, units, [false, false], 24);

        var ex = Assert.Throws<ArgumentException>(() => RelationModel.Merge([perUnit, pooled]));

        Assert.Contains("different measurements per unit", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Fit_MoreUnitsThanTheBound_KeepsTheUnitsWithTheMostRows()
    {
        var spec = Enumerable.Range(0, RelationModel.MaxUnits).Select(u => ($"u{u:D4}", (float)u, 21)).Append(("small", 3f, 20)).ToArray();
        var (rows, own, units) = UnitRows(spec);

        var model = RelationModel.Fit(2, 1, rows, own, units, [false, true], units.Length);

        Assert.Equal(RelationModel.MaxUnits, model.Units);
        Assert.Equal(0, model.Samples(1, 0, "small"));
        Assert.True(model.HasUnitFit(1, 0, "u0000"));
    }

    [Fact]
    public void Serialize_WithUnitFits_RoundTripsBytesAndResiduals()
    {
        var (rows, own, units) = UnitRows(("A", 1, 24), ("B", 11, 24));
        var model = RelationModel.Fit(2, 1, rows, own, units, [false, true], 48);

        var bytes = model.Serialize();
        var copy = RelationModel.Deserialize(bytes);

        Assert.Equal(bytes, copy.Serialize());
        Assert.Equal(2, copy.Units);
        var (a, oa, _) = UnitRows(("B", 12, 1));
        var (b, ob, _) = UnitRows(("B", 12, 1));
        model.Apply(a, oa, "B");
        copy.Apply(b, ob, "B");
        Assert.Equal(a[D - 1], b[D - 1]);
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
    public void Featurizer_Reading_ReportsItsProcessUnit()
    {
        var featurizer = new DeviceReadingFeaturizer(["x"], new FeaturizerOptions { UnitSlots = 1 });
        var features = new float[featurizer.Dimension];

        featurizer.Featurize(new DeviceReading
        {
            ClusterId = "c",
            FactoryId = "f",
            DeviceId = "f-FIT201",
            DeviceType = "t",
            Sequence = 0,
            Timestamp = DateTimeOffset.UnixEpoch,
            Measurements = [new NamedValue("x", 1)],
        }, features);

        Assert.Equal("c/f/2", featurizer.LastUnitKey);
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

    // Rows of devices reporting y in the given units, `count` rows each, in order: x = 0,0,1,1,2,2,3,3,... in unit.x.1,
    // y = 2x + offset ± 0.1 (alternating), the smoothed x a constant 7, the own y snapshot slots masked.
    private static (float[] Rows, sbyte[] Own, string[] Units) UnitRows(params (string Unit, float Offset, int Count)[] parts)
    {
        var xs = new List<float>();
        var units = new List<string>();
        var offsets = new List<float>();
        foreach (var (unit, offset, count) in parts)
        {
            for (var i = 0; i < count; i++)
            {
                xs.Add((i / 2) % 4);
                units.Add(unit);
                offsets.Add(offset);
            }
        }

        var (rows, own) = Rows([.. xs], (x, i) => (2 * x) + offsets[i] + (i % 2 == 0 ? 0.1f : -0.1f));
        return (rows, own, [.. units]);
    }
}
