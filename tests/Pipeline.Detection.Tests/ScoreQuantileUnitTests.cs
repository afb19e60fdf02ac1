using Pipeline.Detection;

namespace Pipeline.Detection.Tests;

/// <summary>Selection-based quantiles and trimming must give exactly what sorting gives.</summary>
public sealed class ScoreQuantileUnitTests
{
    [Theory]
    [InlineData(1, 0.01, 0)]
    [InlineData(2, 0.3, 0)]
    [InlineData(17, 0.1, 0)]
    [InlineData(1000, 0.01, 0)]
    [InlineData(1000, 0.0, 0)]
    [InlineData(5000, 0.05, 9)] // values 0..8 only: long runs of ties
    [InlineData(100_000, 0.01, 0)]
    public void FromContamination_RandomScores_EqualsTheSortedOrderStatisticsInterpolated(int count, double contamination, int distinctValues)
    {
        var random = new Random(count);
        var scores = new float[count];
        for (var i = 0; i < count; i++) scores[i] = distinctValues > 0 ? random.Next(distinctValues) : (float)TestData.Gaussian(random);
        var expected = SortedQuantile(scores, 1 - contamination);

        var actual = ScoreQuantile.FromContamination(scores.ToArray(), contamination);

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Quantile_ThroughTheCalibrator_LeavesTheCallersScoresInTheirOrder()
    {
        float[] scores = [5, 1, 4, 2, 3];

        var median = ThresholdCalibrator.Quantile(scores, 0.5);

        Assert.Equal(3, median);
        Assert.Equal([5f, 1, 4, 2, 3], scores);
    }

    [Fact]
    public void FromContamination_NonFiniteScore_ThrowsNamingIt()
    {
        float[] scores = [1, float.NaN, 2];

        var error = Assert.Throws<ArgumentException>(() => ScoreQuantile.FromContamination(scores, 0.1));

        Assert.Contains("NaN", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(7)] // many ties: the boundary value is shared by rows kept and rows dropped
    [InlineData(0)]
    public void LowestScores_WithTies_SameRowsAsOrderByScoreThenIndex(int distinctValues)
    {
        var random = new Random(3);
        var scores = new float[2000];
        for (var i = 0; i < scores.Length; i++) scores[i] = distinctValues > 0 ? random.Next(distinctValues) : random.NextSingle();
        var expected = Enumerable.Range(0, scores.Length).OrderBy(i => scores[i]).ThenBy(i => i).Take(1901).Order().ToArray();

        var kept = ScoreQuantile.LowestScores(scores, 1901);

        Assert.Equal(expected, kept);
    }

    // The reference: sort, then interpolate linearly between the two order statistics around q (NumPy's default).
    private static double SortedQuantile(float[] values, double q)
    {
        var sorted = values.Order().ToArray();
        var position = q * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + ((position - lower) * ((double)sorted[upper] - sorted[lower]));
    }
}
