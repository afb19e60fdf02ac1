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
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(4), 2);

        var ex = Assert.Throws<ModelFormatException>(() => RelationModel.Deserialize(bytes));

        Assert.Contains("version 2 is not supported", ex.Message, StringComparison.Ordinal);
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
