using Pipeline.Detection;

namespace Pipeline.Detection.Tests;

public sealed class CblofUnitTests
{
    // Five well-separated blobs of 640, 230, 60, 40 and 30 rows: the two largest hold 87 % of the data, and the third
    // (6 %) is not β = 5 times smaller than the second, so α alone decides whether it is large.
    private static readonly (double X, double Y, int Rows)[] Blobs = [(0, 0, 640), (40, 0, 230), (0, 40, 60), (40, 40, 40), (-40, 40, 30)];

    [Fact]
    public void Fit_AlphaBelowTheTwoLargestShares_LeavesTheSixPercentClusterSmall()
    {
        var data = BlobData(seed: 1);
        var paper = CblofDetector.Fit(data, Options(alpha: 0.9));
        var lower = CblofDetector.Fit(data, Options(alpha: 0.85));
        var third = new float[] { 0, 40 };

        // α = 0.9: 87 % is not enough, the 6 % cluster joins the large ones and its rows score against their own
        // centroid (about the blob's noise); α = 0.85: the two largest suffice, and its rows score against the nearest
        // large centroid, 40 away.
        Assert.Equal(3, paper.LargeClusters);
        Assert.Equal(2, lower.LargeClusters);
        Assert.True(Score(paper, third) < 2, $"α = 0.9 scored {Score(paper, third)}");
        Assert.InRange(Score(lower, third), 39, 41);
    }

    [Fact]
    public void Aggregate_KeepsTheParticipantsAlphaForTheMergedSplit()
    {
        var a = CblofDetector.Fit(BlobData(seed: 1), Options(alpha: 0.85));
        var b = CblofDetector.Fit(BlobData(seed: 2), Options(alpha: 0.85));

        var merged = (CblofDetector)FederatedAggregator.Aggregate([(a.Serialize(), 1000), (b.Serialize(), 1000)], DetectorKind.Cblof, seed: 3);

        Assert.Equal(0.85, merged.Alpha);
        Assert.Equal(2, merged.LargeClusters);
    }

    private static CblofOptions Options(double alpha) =>
        new() { Alpha = alpha, Seed = 5, Clustering = new KMeansOptions { Clusters = Blobs.Length } };

    private static float Score(IAnomalyDetector detector, float[] row)
    {
        var score = new float[1];
        detector.Score(row, score);
        return score[0];
    }

    private static FeatureMatrix BlobData(int seed)
    {
        var random = new Random(seed);
        var rows = new List<float[]>();
        foreach (var (x, y, count) in Blobs)
        {
            for (var i = 0; i < count; i++) rows.Add([(float)(x + TestData.Gaussian(random)), (float)(y + TestData.Gaussian(random))]);
        }

        return FeatureMatrix.FromRows(rows);
    }
}
