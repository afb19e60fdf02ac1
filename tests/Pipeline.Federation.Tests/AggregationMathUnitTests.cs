namespace Pipeline.Federation.Tests;

public sealed class AggregationMathUnitTests
{
    private static ParameterUpdate U(string id, long samples, params float[] values) => new(id, values, samples);

    [Fact]
    public void FedAvg_UnequalSamples_WeightsBySampleCount()
    {
        var outcome = new FedAvgStrategy().Aggregate([U("a", 1, 0f, 10f), U("b", 3, 4f, 2f)]);

        Assert.True(outcome.Succeeded);
        Assert.Equal([3f, 4f], outcome.Parameters!);
    }

    [Fact]
    public void FedAvg_NonPositiveSamples_FailsAsData()
    {
        var outcome = new FedAvgStrategy().Aggregate([U("a", 0, 1f), U("b", 2, 1f)]);

        Assert.False(outcome.Succeeded);
        Assert.Contains("a reported 0 samples", outcome.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Median_OddAndEvenCounts_TakesMiddleOrMeanOfMiddles()
    {
        Assert.Equal([2f, -1f], AggregationMath.CoordinateMedian([[1f, -1f], [2f, 100f], [1000f, -5f]]));
        Assert.Equal([1.5f, 5f], AggregationMath.CoordinateMedian([[1f, 0f], [2f, 10f], [1000f, 0f], [-1000f, 10f]]));
    }

    [Fact]
    public void TrimmedMean_TwentyPercentOfFive_DropsOneExtremeEachSide()
    {
        var result = AggregationMath.TrimmedMean([[1f], [2f], [3f], [-1000f], [1000f]], 0.2);

        Assert.Equal([2f], result);
    }

    [Fact]
    public void TrimmedMeanStrategy_TwoUpdatesAtFortyFivePercent_TrimsNothing()
    {
        var outcome = new TrimmedMeanStrategy(0.45).Aggregate([U("a", 1, 1f), U("b", 1, 2f)]);

        Assert.True(outcome.Succeeded); // floor(0.45 * 2) = 0
        Assert.Equal([1.5f], outcome.Parameters!);
    }

    [Fact]
    public void Krum_OneFarOutlier_SelectsAnHonestUpdate()
    {
        var updates = new[]
        {
            U("h1", 1, 1f, 1f), U("h2", 1, 1.1f, 0.9f), U("h3", 1, 0.9f, 1.05f), U("h4", 1, 1.02f, 1f), U("evil", 1, 50f, -50f),
        };

        var outcome = new KrumStrategy(byzantine: 1).Aggregate(updates);

        Assert.True(outcome.Succeeded);
        Assert.DoesNotContain("evil", outcome.Used);
        Assert.Single(outcome.Used);
        Assert.True(Math.Abs(outcome.Parameters![0] - 1) < 0.2);
    }

    [Fact]
    public void MultiKrum_SelectThree_AveragesTheThreeBest()
    {
        var updates = new[] { U("a", 1, 0f), U("b", 1, 0.1f), U("c", 1, -0.1f), U("d", 1, 0.05f), U("evil", 1, 99f) };

        var outcome = new KrumStrategy(byzantine: 1, select: 3).Aggregate(updates);

        Assert.Equal(3, outcome.Used.Count);
        Assert.DoesNotContain("evil", outcome.Used);
    }

    [Fact]
    public void Krum_TooFewUpdatesForF_FailsAsDataNamingTheBound()
    {
        var outcome = new KrumStrategy(byzantine: 1).Aggregate([U("a", 1, 0f), U("b", 1, 1f), U("c", 1, 2f), U("d", 1, 3f)]);

        Assert.False(outcome.Succeeded);
        Assert.Contains("more than 4 updates, got 4", outcome.Failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fedavg")]
    [InlineData("median")]
    [InlineData("trimmed-mean")]
    [InlineData("krum")]
    public void Aggregate_MismatchedLengths_FailsAsDataNamingTheParticipant(string name)
    {
        var strategy = AggregationStrategies.Create(name);

        var outcome = strategy.Aggregate([U("a", 1, 1f, 2f), U("b", 1, 1f, 2f), U("c", 1, 1f, 2f), U("d", 1, 1f, 2f), U("short", 1, 1f)]);

        Assert.False(outcome.Succeeded);
        Assert.Contains("short", outcome.Failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_UnknownName_ListsKnownStrategies()
    {
        var error = Assert.Throws<ArgumentException>(() => AggregationStrategies.Create("mean-of-means"));

        Assert.Contains("fedavg, median, trimmed-mean, krum", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WeightedMedian_HeavyParticipant_Dominates()
    {
        Assert.Equal(5.0, RoundAggregator.WeightedMedian([(1.0, 1.0), (5.0, 10.0), (100.0, 1.0)]));
        Assert.True(double.IsNaN(RoundAggregator.WeightedMedian([])));
    }
}
