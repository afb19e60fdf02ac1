using Pipeline.Detection;

namespace Pipeline.Detection.Tests;

/// <summary>The shortcuts that make fitting fast must not change what is fitted.</summary>
public sealed class FitSpeedupUnitTests
{
    [Fact]
    public void IsolationForestFit_MoreRowsThanCalibrationSample_ThresholdMatchesFullQuantile()
    {
        var data = TestData.Correlated(IsolationForestDetector.CalibrationRows * 2, 6, seed: 11, anomalyShare: 0.02, out _);

        var forest = IsolationForestDetector.Fit(data, new IsolationForestOptions { Trees = 30, Seed = 3, Contamination = 0.02 });
        var full = ThresholdCalibrator.FromContamination(TestData.ScoreAll(forest, data), 0.02);

        Assert.NotEqual(full, forest.Threshold); // calibrated on the subsample, not on every row
        Assert.Equal(full, forest.Threshold, 0.01);
    }

    [Fact]
    public void KMeansFit_DefaultRelativeTolerance_MatchesRunToFullConvergence()
    {
        var data = TestData.Correlated(4000, 5, seed: 12);

        var quick = KMeansDetector.Fit(data, new KMeansOptions { Clusters = 4, Seed = 5 });
        var exhaustive = KMeansDetector.Fit(data, new KMeansOptions { Clusters = 4, Seed = 5, Tolerance = 0, MaxIterations = 1000 });

        var a = TestData.ScoreAll(quick, data);
        var b = TestData.ScoreAll(exhaustive, data);
        var meanAbsolute = a.Zip(b, (x, y) => Math.Abs(x - y)).Average();
        Assert.True(meanAbsolute < 0.02 * b.Average(), $"mean score difference {meanAbsolute} vs mean score {b.Average()}");
    }

    [Fact]
    public void KMeansOptions_NegativeTolerance_Throws()
    {
        var data = TestData.Correlated(50, 3, seed: 1);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => KMeansDetector.Fit(data, new KMeansOptions { Clusters = 2, Tolerance = -1 }));

        Assert.Equal("Tolerance", error.ParamName);
    }
}
