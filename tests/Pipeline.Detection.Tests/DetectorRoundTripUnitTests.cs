using Pipeline.Detection;

namespace Pipeline.Detection.Tests;

public sealed class DetectorRoundTripUnitTests
{
    [Theory]
    [MemberData(nameof(TestData.AllKinds), MemberType = typeof(TestData))]
    public void Serialize_Deserialize_GivesIdenticalScoresAndThreshold(DetectorKind kind)
    {
        var train = TestData.Correlated(600, 6, seed: 1);
        var test = TestData.Correlated(200, 6, seed: 2, anomalyShare: 0.1, out _);
        var detector = TestData.Fit(kind, train);

        var bytes = detector.Serialize();
        var restored = DetectorSerializer.Deserialize(bytes);

        Assert.Equal(kind, restored.Kind);
        Assert.Equal(detector.Dimension, restored.Dimension);
        Assert.Equal(detector.Threshold, restored.Threshold);
        Assert.Equal(detector.TrainingSamples, restored.TrainingSamples);
        Assert.Equal(TestData.ScoreAll(detector, test), TestData.ScoreAll(restored, test));
        Assert.Equal(bytes, restored.Serialize());
    }

    [Theory]
    [MemberData(nameof(TestData.AllKinds), MemberType = typeof(TestData))]
    public void Fit_SameSeed_GivesIdenticalBytes(DetectorKind kind)
    {
        var train = TestData.Correlated(400, 5, seed: 3);
        var first = TestData.Fit(kind, train, seed: 11);
        var second = TestData.Fit(kind, train, seed: 11);

        Assert.Equal(first.Serialize(), second.Serialize());
    }

    [Theory]
    [InlineData(DetectorKind.Ned)]
    [InlineData(DetectorKind.IsolationForest)]
    [InlineData(DetectorKind.KMeans)]
    public void Fit_DifferentSeed_GivesDifferentModel(DetectorKind kind)
    {
        var train = TestData.Correlated(400, 5, seed: 3);
        var first = TestData.Fit(kind, train, seed: 11);
        var second = TestData.Fit(kind, train, seed: 12);

        Assert.NotEqual(first.Serialize(), second.Serialize());
    }

    [Theory]
    [MemberData(nameof(TestData.AllKinds), MemberType = typeof(TestData))]
    public void Score_CorrelationBreakingRows_RankAboveNormalRows(DetectorKind kind)
    {
        var train = TestData.Correlated(1500, 6, seed: 5);
        var test = TestData.Correlated(1000, 6, seed: 6, anomalyShare: 0.05, out var labels);
        var detector = TestData.Fit(kind, train);

        var auc = DetectionMetrics.RocAuc(TestData.ScoreAll(detector, test), labels);

        Assert.True(auc > 0.8, $"{kind} ROC AUC {auc:F3} should be well above chance on an easy set.");
    }

    [Theory]
    [MemberData(nameof(TestData.AllKinds), MemberType = typeof(TestData))]
    public void Fit_Threshold_FlagsAboutTheContaminationShareOfTrainingRows(DetectorKind kind)
    {
        var train = TestData.Correlated(1000, 5, seed: 8);
        var detector = TestData.Fit(kind, train);

        var flagged = TestData.ScoreAll(detector, train).Count(s => s > detector.Threshold);

        Assert.InRange(flagged, 1, 30); // default contamination 1% of 1000 rows
    }

    [Fact]
    public void Score_WrongLength_ThrowsNamingTheShape()
    {
        var train = TestData.Correlated(300, 4, seed: 1);
        var detector = KMeansDetector.Fit(train);

        var error = Assert.Throws<ArgumentException>(() => detector.Score(new float[10], new float[3]));

        Assert.Contains("3 rows x 4 features", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FeatureMatrix_NonFiniteValue_ThrowsWithPosition()
    {
        var values = new float[] { 1, 2, float.NaN, 4 };

        var error = Assert.Throws<ArgumentException>(() => new FeatureMatrix(values, 2, 2));

        Assert.Contains("row 1, column 0", error.Message, StringComparison.Ordinal);
    }
}
