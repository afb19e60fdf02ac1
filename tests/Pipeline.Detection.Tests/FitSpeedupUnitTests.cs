using Pipeline.Detection;

namespace Pipeline.Detection.Tests;

/// <summary>The shortcuts that make fitting fast must not change what is fitted.</summary>
public sealed class FitSpeedupUnitTests
{
    [Fact]
    public void IsolationForestFit_MoreRowsThanCalibrationSample_ThresholdMatchesFullQuantile()
    {
        var rows = 2 * IsolationForestDetector.CalibrationSampleSize(int.MaxValue, 0.02);
        var data = TestData.Correlated(rows, 6, seed: 11, anomalyShare: 0.02, out _);

        var forest = IsolationForestDetector.Fit(data, new IsolationForestOptions { Trees = 30, Seed = 3, Contamination = 0.02 });
        var full = ThresholdCalibrator.FromContamination(TestData.ScoreAll(forest, data), 0.02);

        Assert.NotEqual(full, forest.Threshold); // calibrated on the subsample, not on every row
        Assert.Equal(full, forest.Threshold, 0.01);
    }

    [Fact]
    public void IsolationForestFit_ZeroContamination_ThresholdIsLargestTrainingScore()
    {
        var data = TestData.Correlated(50_000, 4, seed: 13, anomalyShare: 0.01, out _);

        var forest = IsolationForestDetector.Fit(data, new IsolationForestOptions { Trees = 20, Seed = 2, Contamination = 0 });

        Assert.Equal(TestData.ScoreAll(forest, data).Max(), forest.Threshold);
    }

    [Theory]
    [InlineData(100_000, 0.01, 40_000)]
    [InlineData(100_000, 0.02, 20_000)]
    [InlineData(100_000, 0.001, 100_000)]
    [InlineData(1_000, 0.01, 1_000)]
    [InlineData(100_000, 0.0, 100_000)]
    public void CalibrationSampleSize_Contamination_ExpectsFourHundredRowsAboveThreshold(int rows, double contamination, int expected)
    {
        Assert.Equal(expected, IsolationForestDetector.CalibrationSampleSize(rows, contamination));
    }

    [Fact]
    public void IsolationForestScore_HandBuiltTrees_AddsEachRowsLeafValue()
    {
        // Tree 0 over 2 features: x0 < 0 ? leaf 1.5 : (x1 < 2 ? leaf 2 : (x0 < 5 ? leaf 3 : leaf 3.25)).
        // Tree 1: a root that is a leaf (0.5). Leaves at depths 1, 2 and 3, so rows of one block stop at different depths.
        int[] feature = [0, -1, 1, -1, 0, -1, -1, -1];
        float[] value = [0, 1.5f, 2, 2, 5, 3, 3.25f, 0.5f];
        int[] left = [1, -1, 3, -1, 5, -1, -1, -1];
        int[] right = [2, -1, 4, -1, 6, -1, -1, -1];
        var blob = DetectorSerializer.Write(new ModelHeader(DetectorKind.IsolationForest, 2, 0.5, 16), w =>
        {
            w.Write(16);
            w.WriteInts([7, 1]);
            w.WriteInts(feature);
            w.WriteFloats(value);
            w.WriteInts(left);
            w.WriteInts(right);
        });
        var forest = DetectorSerializer.Deserialize(blob);

        // x < split is false for NaN, so NaN goes right.
        float[] rows = [-1, 9, 1, 1, 1, 3, 6, 3, float.NaN, 0, 7, float.NaN];
        double[] leafOfTree0 = [1.5, 2, 3, 3.25, 2, 3.25];
        var scores = new float[6];
        forest.Score(rows, scores);

        var normaliser = 2 * IsolationForestDetector.AveragePathLength(16);
        Assert.Equal(leafOfTree0.Select(h => (float)Math.Pow(2, -(h + 0.5) / normaliser)), scores);
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

    [Theory]
    [InlineData(5, 5)] // fewer centroids than SIMD lanes, features not a lane multiple
    [InlineData(8, 16)]
    [InlineData(13, 3)] // centroids over two lane blocks
    public void KMeansFit_RunToConvergence_EachCentroidIsTheMeanOfTheRowsNearestToIt(int clusters, int columns)
    {
        // The bounded assignment may skip distance computations, never change the outcome: at convergence each
        // centroid is the mean of the rows a brute-force search assigns to it, and the sizes are those row counts.
        var data = TestData.Correlated(3000, columns, seed: 21, anomalyShare: 0.03, out _);

        var model = KMeansDetector.Fit(data, new KMeansOptions { Clusters = clusters, Seed = 4, Tolerance = 0, MaxIterations = 1000 });

        var centroids = model.Centroids.ToArray();
        var sums = new double[clusters * columns];
        var counts = new double[clusters];
        for (var i = 0; i < data.Rows; i++)
        {
            var x = data.Row(i);
            var nearest = 0;
            var nearestDistance = double.PositiveInfinity;
            for (var c = 0; c < clusters; c++)
            {
                double distance = 0;
                for (var j = 0; j < columns; j++) distance += Math.Pow(x[j] - centroids[(c * columns) + j], 2);
                if (distance < nearestDistance)
                {
                    nearestDistance = distance;
                    nearest = c;
                }
            }

            counts[nearest]++;
            for (var j = 0; j < columns; j++) sums[(nearest * columns) + j] += x[j];
        }

        Assert.Equal(counts, model.ClusterSizes.ToArray());
        for (var c = 0; c < clusters; c++)
        {
            for (var j = 0; j < columns; j++) Assert.Equal(sums[(c * columns) + j] / counts[c], centroids[(c * columns) + j], 1e-4);
        }
    }

    [Fact]
    public void KMeansFit_MoreClustersThanDistinctRows_RelocatesEmptyClustersAndCoversEveryRow()
    {
        // Three distinct points, four clusters: k-means++ must seed a duplicate centre, whose cluster stays empty and is
        // relocated every iteration (the path that needs exact distances the bounds do not keep).
        var values = new float[60 * 2];
        for (var i = 0; i < 60; i++)
        {
            values[2 * i] = i % 3;
            values[(2 * i) + 1] = (i % 3) * 2;
        }

        var data = new FeatureMatrix(values, 60, 2);

        var model = KMeansDetector.Fit(data, new KMeansOptions { Clusters = 4, MaxIterations = 20, Seed = 1 });

        Assert.Equal(60, model.ClusterSizes.ToArray().Sum());
        Assert.All(TestData.ScoreAll(model, data), score => Assert.Equal(0f, score));
    }

    [Fact]
    public void KMeansOptions_NegativeTolerance_Throws()
    {
        var data = TestData.Correlated(50, 3, seed: 1);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => KMeansDetector.Fit(data, new KMeansOptions { Clusters = 2, Tolerance = -1 }));

        Assert.Equal("Tolerance", error.ParamName);
    }
}
