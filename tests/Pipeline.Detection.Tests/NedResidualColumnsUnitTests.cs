using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Detection.Tests;

// NedOptions.ResidualColumns: an input that is already a residual of another model (IIoT's rel) weighs as the average
// feature instead of by how badly the network reconstructs it.
public sealed class NedResidualColumnsUnitTests
{
    private const int Latent = 12;
    private const int Residual = Latent; // the last column: independent unit noise, as a standardised residual is
    private const int Columns = Latent + 1;

    // TestData's correlated rows (a 2-dimensional latent plane plus noise) and a residual column of N(0, 1). A share of
    // the rows break the relation the residual measures: their residual is 4 instead of noise, everything else normal.
    private static FeatureMatrix Rows(int rows, double broken, int seed, out bool[] planted)
    {
        var plane = TestData.Correlated(rows, Latent, seed);
        var random = new Random(seed + 1000);
        var values = new float[rows * Columns];
        planted = new bool[rows];
        for (var r = 0; r < rows; r++)
        {
            plane.Row(r).CopyTo(values.AsSpan(r * Columns, Latent));
            planted[r] = random.NextDouble() < broken;
            values[(r * Columns) + Residual] = planted[r] ? 4f : (float)TestData.Gaussian(random);
        }

        return new FeatureMatrix(values, rows, Columns);
    }

    private static NedOptions Options(params int[] residualColumns) =>
        new() { HiddenLayers = [6, 2], Epochs = 10, Seed = 5, ResidualColumns = residualColumns };

    [Fact]
    public void Fit_ResidualColumn_WeighsAsTheAverageFeature()
    {
        var model = NedDetector.Fit(Rows(2000, 0, seed: 1, out _), Options(Residual));
        var plain = NedDetector.Fit(Rows(2000, 0, seed: 1, out _), Options());

        Assert.Equal(1f, model.ErrorWeights[Residual]);
        Assert.Equal(1.0, model.ErrorWeights.Take(Latent).Average(w => (double)w), 3);
        // The network cannot reconstruct noise: by its own residual the column weighs next to nothing (measured 0.046).
        Assert.True(plain.ErrorWeights[Residual] < 0.1f, $"plain weight {plain.ErrorWeights[Residual]}");
    }

    [Fact]
    public void Fit_ResidualColumn_RanksBrokenRelationsAboveNormalRows()
    {
        var training = Rows(2000, 0, seed: 1, out _);
        var test = Rows(2000, 0.03, seed: 2, out var planted);

        var weighted = DetectionMetrics.RocAuc(TestData.ScoreAll(NedDetector.Fit(training, Options(Residual)), test), planted);
        var plain = DetectionMetrics.RocAuc(TestData.ScoreAll(NedDetector.Fit(training, Options()), test), planted);

        // A residual of 4 sits in the top 0.01 % of N(0, 1): weighted, it ranks nearly every broken row first; by the
        // network's residual variance, the latent columns' reconstruction noise drowns it (measured 0.999 against 0.948).
        Assert.True(weighted > 0.99, $"ROC AUC with the residual column {weighted:F3}");
        Assert.True(weighted > plain + 0.03, $"ROC AUC with the residual column {weighted:F3}, plain {plain:F3}");
    }

    [Fact]
    public void Fit_ResidualColumnOutsideTheInput_IsRefusedNamingIt()
    {
        var data = Rows(100, 0, seed: 1, out _);

        var outside = Assert.Throws<ArgumentException>(() => NedDetector.Fit(data, Options(Columns)));
        Assert.Contains($"Residual column {Columns}", outside.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => NedDetector.Fit(data, Options(-1)));
    }

    [Fact]
    public void ForLayout_IiotWithRelations_MarksRelAtEverySequencePosition()
    {
        var layout = new BundleLayout { Stream = Topics.IiotTelemetry, Measurements = BundleLayout.WaterTreatmentMeasurements, SequenceLength = 3 };
        var d = layout.FeatureDimension;
        Assert.Equal("rel", layout.FeatureNames[d - 1]);

        var options = (NedOptions)BundleTrainer.ForLayout(new NedOptions(), layout);

        Assert.Equal([d - 1, (2 * d) - 1, (3 * d) - 1], options.ResidualColumns);
    }

    [Fact]
    public void ForLayout_WithoutRelationsOrNed_LeavesTheOptionsAlone()
    {
        var blocks = new BundleLayout { Stream = Topics.ChainBlocks };
        var noRelations = new BundleLayout
        {
            Stream = Topics.IiotTelemetry,
            Measurements = BundleLayout.WaterTreatmentMeasurements,
            Featurizer = new FeaturizerOptions { RelationResiduals = false },
        };
        var iiot = new BundleLayout { Stream = Topics.IiotTelemetry, Measurements = BundleLayout.WaterTreatmentMeasurements };
        var ned = new NedOptions();
        var forest = new IsolationForestOptions();

        Assert.Same(ned, BundleTrainer.ForLayout(ned, blocks));
        Assert.Same(ned, BundleTrainer.ForLayout(ned, noRelations));
        Assert.Same(forest, BundleTrainer.ForLayout(forest, iiot));
    }
}
