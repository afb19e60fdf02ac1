using Pipeline.Detection;

namespace Pipeline.Detection.Tests;

public sealed class MetricsUnitTests
{
    [Fact]
    public void Evaluate_HandComputedCase_MatchesEveryMetric()
    {
        // Scores sorted: 0.9(A) 0.8(N) 0.7(A) 0.6(A) 0.4(N) 0.3(N) 0.2(A) 0.1(N); threshold 0.5.
        float[] scores = [0.9f, 0.8f, 0.7f, 0.6f, 0.4f, 0.3f, 0.2f, 0.1f];
        bool[] labels = [true, false, true, true, false, false, true, false];

        var report = DetectionMetrics.Evaluate(scores, labels, 0.5);

        // Flagged: 0.9 0.8 0.7 0.6 → TP 3, FP 1; not flagged: 0.4 0.3 0.2 0.1 → FN 1, TN 3.
        Assert.Equal((3, 1, 3, 1), (report.TruePositives, report.FalsePositives, report.TrueNegatives, report.FalseNegatives));
        Assert.Equal(0.75, report.Accuracy, 12);
        Assert.Equal(0.75, report.Precision, 12);
        Assert.Equal(0.75, report.Recall, 12);
        Assert.Equal(0.75, report.TruePositiveRate, 12);
        Assert.Equal(0.75, report.F1, 12);
        Assert.Equal(0.25, report.FalsePositiveRate, 12);

        // Pairs (anomaly, normal) with anomaly ranked higher: 0.9 beats 4, 0.7 beats 3, 0.6 beats 3, 0.2 beats 1 → 11/16.
        Assert.Equal(11 / 16.0, report.RocAuc, 12);

        // AP = Σ ΔR·P: at 0.9 R=1/4 P=1; at 0.7 R=2/4 P=2/3; at 0.6 R=3/4 P=3/4; at 0.2 R=1 P=4/7.
        Assert.Equal((0.25 * 1) + (0.25 * 2 / 3.0) + (0.25 * 0.75) + (0.25 * 4 / 7.0), report.PrAuc, 12);
    }

    [Fact]
    public void RocAuc_TiedScores_CountHalf()
    {
        // One anomaly and one normal row share 0.5: that pair counts 1/2. Other pairs: A(0.9) beats both N → 2; A(0.5) vs N(0.1) → 1.
        float[] scores = [0.9f, 0.5f, 0.5f, 0.1f];
        bool[] labels = [true, true, false, false];

        Assert.Equal(3.5 / 4, DetectionMetrics.RocAuc(scores, labels), 12);
    }

    [Fact]
    public void RocAuc_AllScoresEqual_IsOneHalf()
    {
        float[] scores = [1, 1, 1, 1, 1];
        bool[] labels = [true, false, true, false, false];

        Assert.Equal(0.5, DetectionMetrics.RocAuc(scores, labels), 12);
    }

    [Fact]
    public void PrAuc_TiedGroup_EntersTogether()
    {
        // Threshold groups: {0.8: A, N} → R 1/2, P 1/2; {0.3: A} → R 1, P 2/3.
        float[] scores = [0.8f, 0.8f, 0.3f];
        bool[] labels = [true, false, true];

        Assert.Equal((0.5 * 0.5) + (0.5 * 2 / 3.0), DetectionMetrics.PrAuc(scores, labels), 12);
    }

    [Fact]
    public void RocAuc_PerfectAndInverted_AreOneAndZero()
    {
        float[] scores = [0.1f, 0.2f, 0.8f, 0.9f];

        Assert.Equal(1.0, DetectionMetrics.RocAuc(scores, [false, false, true, true]), 12);
        Assert.Equal(0.0, DetectionMetrics.RocAuc(scores, [true, true, false, false]), 12);
        Assert.Equal(1.0, DetectionMetrics.PrAuc(scores, [false, false, true, true]), 12);
    }

    [Fact]
    public void Evaluate_NothingFlagged_PrecisionAndF1AreZero()
    {
        var report = DetectionMetrics.Evaluate([0.1f, 0.2f], [true, false], 1.0);

        Assert.Equal(0, report.Precision);
        Assert.Equal(0, report.F1);
        Assert.Equal(0, report.Recall);
        Assert.Equal(0.5, report.Accuracy);
    }

    [Fact]
    public void Evaluate_LengthMismatch_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => DetectionMetrics.Evaluate([0.1f], [true, false], 0.5));

        Assert.Contains("1 scores but 2 labels", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Quantile_Contamination_InterpolatesLikeNumPy()
    {
        float[] scores = [5, 1, 4, 2, 3];

        // numpy.quantile([1,2,3,4,5], 0.9) = 4.6
        Assert.Equal(4.6, ThresholdCalibrator.FromContamination(scores, 0.1), 6);
        Assert.Equal(5, ThresholdCalibrator.FromContamination(scores, 0), 6);
        Assert.Equal(3, ThresholdCalibrator.Quantile(scores, 0.5), 6);
    }

    [Fact]
    public void Recalibrate_NewData_MovesThreshold()
    {
        var train = TestData.Correlated(500, 4, seed: 1);
        var model = KMeansDetector.Fit(train, new KMeansOptions { Clusters = 3 });

        var strict = ThresholdCalibrator.Recalibrate(model, train, 0.2);

        Assert.True(strict.Threshold < model.Threshold);
        Assert.Equal(DetectorKind.KMeans, strict.Kind);
    }
}
