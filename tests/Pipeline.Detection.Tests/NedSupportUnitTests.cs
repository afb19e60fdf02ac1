using Pipeline.Detection;

namespace Pipeline.Detection.Tests;

// NED's training support: rows are encoded clamped to per-feature bounds, the error is taken against the unclamped row.
public sealed class NedSupportUnitTests
{
    // 1 → 1 → 1, tanh hidden, identity weights and zero biases, unit scale: reconstruction r = tanh(clamp(x)).
    private static NedDetector Identity(float lower, float upper) =>
        new([1, 1, 1], [[1f], [1f]], [[0f], [0f]], [0f], [1f], NedActivation.Tanh, 1, 10, [0f], [lower], [upper]);

    private static float Score(NedDetector model, float x)
    {
        var scores = new float[1];
        model.Score([x], scores);
        return scores[0];
    }

    [Fact]
    public void Score_InsideSupport_IsThePlainReconstructionError()
    {
        var model = Identity(-1, 1);

        // (tanh(0.5) − 0.5)² = (0.462117 − 0.5)² = 0.0014351
        Assert.Equal(0.0014351, Score(model, 0.5f), 6);
    }

    [Fact]
    public void Score_BeyondSupport_EncodesTheBoundAndCountsTheExcess()
    {
        var clamped = Identity(-1, 1);
        var unbounded = Identity(float.MinValue, float.MaxValue);

        // Clamped: r = tanh(1) = 0.761594, error (0.761594 − 3)² = 5.010461; unbounded: (tanh(3) − 3)² = (0.995055 − 3)² = 4.019805.
        Assert.Equal(5.010461, Score(clamped, 3f), 4);
        Assert.Equal(4.019805, Score(unbounded, 3f), 4);
        // Below the support: r = tanh(−1), error (−0.761594 + 2)² = 1.533650.
        Assert.Equal(1.533650, Score(clamped, -2f), 4);
    }

    [Fact]
    public void Score_BoundsInTheModelsInputUnits_BeforeItsStandardisation()
    {
        // Mean 2, scale 4: x = 10 is clamped to 6, encoded as (6 − 2)/4 = 1, compared with (10 − 2)/4 = 2.
        var model = new NedDetector([1, 1, 1], [[1f], [1f]], [[0f], [0f]], [2f], [4f], NedActivation.Tanh, 1, 10, [0f], [0f], [6f]);

        // (tanh(1) − 2)² = (0.761594 − 2)² = 1.533650
        Assert.Equal(1.533650, Score(model, 10f), 4);
    }

    [Fact]
    public void Support_TukeyFencesPerColumn_ZeroIqrLeftUnbounded()
    {
        // Column 0: 0..8, quartiles 2 and 6, IQR 4 → k = 1.5: [2 − 6, 6 + 6] = [−4, 12]. Column 1: zero but for one flag
        // (quartiles 0 and 0) → unbounded.
        var rows = Enumerable.Range(0, 9).Select(i => new[] { (float)i, i == 7 ? 1f : 0f }).ToList();

        var (lower, upper) = NedDetector.Support(FeatureMatrix.FromRows(rows), 1.5);

        Assert.Equal([-4f, float.MinValue], lower);
        Assert.Equal([12f, float.MaxValue], upper);
    }

    [Fact]
    public void Support_QuartilesIgnoreAFewFarRows()
    {
        // 1000 rows: 0..989 and 10 rows at −1000 (1 %, attacks in the training window). Sorted, −1000 fills positions
        // 0..9 and value v sits at position v + 10, so the quartiles move by ten rows only: Q1 (position 249.75) 239.75,
        // Q3 (749.25) 739.25, IQR 499.5. k = 3: [239.75 − 1498.5, 739.25 + 1498.5]; k = 1: [−259.75, 1238.75], which
        // leaves the −1000 rows outside. The 1st percentile (position 9.99: −10) and the 99th (979.01) lie inside both.
        var rows = Enumerable.Range(0, 1000).Select(i => new[] { i < 10 ? -1000f : i - 10f }).ToList();
        var data = FeatureMatrix.FromRows(rows);

        var (lower3, upper3) = NedDetector.Support(data, 3);
        var (lower1, upper1) = NedDetector.Support(data, 1);

        Assert.Equal(-1258.75f, lower3[0], 2);
        Assert.Equal(2237.75f, upper3[0], 2);
        Assert.Equal(-259.75f, lower1[0], 2);
        Assert.Equal(1238.75f, upper1[0], 2);
    }

    [Fact]
    public void Support_HeavyTail_WidensTheFenceToThePercentile()
    {
        // 100 rows: 0..0.79 in steps of 0.01 (a tight bulk) and 20 rows at 50 (a heavy tail of 20 %): Q1 at position 24.75 → 0.2475, Q3 at position 74.25 → 0.7425, IQR 0.495, k = 3 → upper fence 2.2275;
        // the 99th percentile is 50, beyond it, so the support extends to 50. The lower fence −1.2375 is below the 1st
        // percentile (0.0099) and stands.
        var rows = Enumerable.Range(0, 100).Select(i => new[] { i < 80 ? i * 0.01f : 50f }).ToList();

        var (lower, upper) = NedDetector.Support(FeatureMatrix.FromRows(rows), 3);

        Assert.Equal(-1.2375f, lower[0], 4);
        Assert.Equal(50f, upper[0], 4);
    }

    [Fact]
    public void Support_InfiniteFence_LeavesEveryColumnUnbounded()
    {
        var (lower, upper) = NedDetector.Support(TestData.Correlated(50, 3, seed: 1), double.PositiveInfinity);

        Assert.All(lower, v => Assert.Equal(float.MinValue, v));
        Assert.All(upper, v => Assert.Equal(float.MaxValue, v));
    }

    [Fact]
    public void Fit_StoresTheSupportAndRoundTripsIt()
    {
        var data = TestData.Correlated(400, 3, seed: 3);
        var model = NedDetector.Fit(data, new NedOptions { Epochs = 1, HiddenLayers = [2], SupportFence = 1 });
        var (lower, upper) = NedDetector.Support(data, 1);

        var copy = (NedDetector)DetectorSerializer.Deserialize(model.Serialize());

        Assert.Equal(lower, model.Lower);
        Assert.Equal(upper, model.Upper);
        Assert.Equal(model.Lower, copy.Lower);
        Assert.Equal(model.Upper, copy.Upper);
    }

    [Fact]
    public void Aggregate_Bounds_AreTheSampleWeightedMean()
    {
        var a = new NedDetector([2, 1, 2], [[1, 1], [1, 1]], [[0], [0, 0]], [0, 0], [1, 1], NedActivation.Tanh, 1, 1, [0, 0], [0, -4], [1, 4]);
        var b = new NedDetector([2, 1, 2], [[1, 1], [1, 1]], [[0], [0, 0]], [0, 0], [1, 1], NedActivation.Tanh, 1, 3, [0, 0], [2, -8], [5, 0]);

        var merged = (NedDetector)FederatedAggregator.Aggregate([(a.Serialize(), 1), (b.Serialize(), 3)]);

        // (0 + 3·2)/4 = 1.5, (−4 − 24)/4 = −7; (1 + 15)/4 = 4, (4 + 0)/4 = 1.
        Assert.Equal([1.5f, -7f], merged.Lower);
        Assert.Equal([4f, 1f], merged.Upper);
    }

    [Fact]
    public void NedParameters_CarryTheBounds()
    {
        var model = new NedDetector([2, 1, 2], [[1, 2], [3, 4]], [[0.5f], [0, 1]], [0, 1], [1, 2], NedActivation.Tanh, 1, 5, [0.1f, -0.1f], [-1, -2], [1, 2]);

        var vector = NedParameters.Flatten(model);
        var rebuilt = NedParameters.FromVector(model.LayerSizes, model.Activation, vector, 1, 5);

        Assert.Equal([-1f, -2f, 1f, 2f], vector[6..10]);
        Assert.Equal(model.Lower, rebuilt.Lower);
        Assert.Equal(model.Upper, rebuilt.Upper);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(double.NaN)]
    public void Fit_SupportFenceNotPositive_Throws(double k)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NedDetector.Fit(TestData.Correlated(50, 2, seed: 1), new NedOptions { SupportFence = k }));
    }
}
