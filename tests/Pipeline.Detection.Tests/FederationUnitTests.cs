using Pipeline.Detection;

namespace Pipeline.Detection.Tests;

public sealed class FederationUnitTests
{
    [Fact]
    public void AggregatePca_FiveShards_EqualsFitOnTheirUnion()
    {
        var options = new PcaMahalanobisOptions { TrimIterations = 0, Components = 3 };
        var all = TestData.Correlated(2500, 7, seed: 21);
        var shardSizes = new[] { 300, 700, 200, 900, 400 };
        var updates = new List<(byte[], long)>();
        var offset = 0;
        foreach (var size in shardSizes)
        {
            var shard = all.Select(Enumerable.Range(offset, size).ToArray());
            updates.Add((PcaMahalanobisDetector.Fit(shard, options).Serialize(), size));
            offset += size;
        }

        var aggregated = (PcaMahalanobisDetector)FederatedAggregator.Aggregate(updates, DetectorKind.PcaMahalanobis);
        var union = PcaMahalanobisDetector.Fit(all, options);

        Assert.Equal(union.Count, aggregated.Count);
        for (var i = 0; i < union.Eigenvalues.Count; i++)
        {
            AssertRelative(union.Eigenvalues[i], aggregated.Eigenvalues[i], 1e-6);
        }

        for (var j = 0; j < union.Dimension; j++) AssertRelative(union.Mean[j], aggregated.Mean[j], 1e-6, absolute: 1e-7);
        var test = TestData.Correlated(300, 7, seed: 22, anomalyShare: 0.1, out _);
        var expected = TestData.ScoreAll(union, test);
        var actual = TestData.ScoreAll(aggregated, test);
        for (var i = 0; i < expected.Length; i++) AssertRelative(expected[i], actual[i], 1e-5, absolute: 1e-6);
    }

    [Fact]
    public void AggregateNed_IdenticalModels_GivesThatModel()
    {
        var data = TestData.Correlated(300, 5, seed: 4);
        var model = NedDetector.Fit(data, new NedOptions { Epochs = 2, HiddenLayers = [6, 2] });
        var bytes = model.Serialize();

        var aggregated = FederatedAggregator.Aggregate([(bytes, 100), (bytes, 250), (bytes, 37)]);

        Assert.Equal(DetectorKind.Ned, aggregated.Kind);
        Assert.Equal(387, aggregated.TrainingSamples);
        Assert.Equal(TestData.ScoreAll(model, data), TestData.ScoreAll(aggregated, data));
        AssertRelative(model.Threshold, aggregated.Threshold, 1e-12);
        var roundTripped = (NedDetector)aggregated;
        for (var l = 0; l < model.Weights.Length; l++) Assert.Equal(model.Weights[l], roundTripped.Weights[l]);
    }

    [Fact]
    public void AggregateNed_TwoModels_IsTheSampleWeightedMean()
    {
        var data = TestData.Correlated(300, 4, seed: 4);
        var a = NedDetector.Fit(data, new NedOptions { Epochs = 1, HiddenLayers = [3], Seed = 1 });
        var b = NedDetector.Fit(data, new NedOptions { Epochs = 1, HiddenLayers = [3], Seed = 2 });

        var merged = (NedDetector)FederatedAggregator.Aggregate([(a.Serialize(), 1), (b.Serialize(), 3)]);

        for (var i = 0; i < a.Weights[0].Length; i++)
        {
            Assert.Equal((a.Weights[0][i] + (3.0 * b.Weights[0][i])) / 4.0, merged.Weights[0][i], 5);
        }
    }

    [Fact]
    public void NedParameters_VectorFromShapeOnly_KeepsErrorWeightsAndScores()
    {
        var data = TestData.Correlated(300, 5, seed: 4);
        var model = NedDetector.Fit(data, new NedOptions { Epochs = 2, HiddenLayers = [6, 2] });
        Assert.Contains(model.ErrorWeights, w => Math.Abs(w - 1) > 0.05f); // residual weighting made them non-uniform

        // What the federation coordinator does: a vector plus the layer shape, no template model.
        var rebuilt = NedParameters.FromVector(model.LayerSizes, model.Activation, NedParameters.Flatten(model), model.Threshold, model.TrainingSamples);

        Assert.Equal(model.ErrorWeights, rebuilt.ErrorWeights);
        Assert.Equal(TestData.ScoreAll(model, data), TestData.ScoreAll(rebuilt, data));
    }

    [Fact]
    public void AggregateNed_DifferentErrorWeights_SampleWeightedGeometricMeanAsFedAvgOfVectors()
    {
        var data = TestData.Correlated(300, 4, seed: 4);
        var a = NedDetector.Fit(data, new NedOptions { Epochs = 1, HiddenLayers = [3], Seed = 1 });
        var b = NedDetector.Fit(TestData.Correlated(300, 4, seed: 5), new NedOptions { Epochs = 3, HiddenLayers = [3], Seed = 2 });
        Assert.NotEqual(a.ErrorWeights, b.ErrorWeights);

        var merged = (NedDetector)FederatedAggregator.Aggregate([(a.Serialize(), 1), (b.Serialize(), 3)]);
        var va = NedParameters.Flatten(a);
        var vb = NedParameters.Flatten(b);
        var fedAvg = NedParameters.FromVector(a.LayerSizes, a.Activation, va.Select((v, i) => (float)((v + (3.0 * vb[i])) / 4.0)).ToArray(), 0, 4);

        for (var j = 0; j < a.Dimension; j++)
        {
            var expected = Math.Pow(a.ErrorWeights[j], 0.25) * Math.Pow(b.ErrorWeights[j], 0.75);
            Assert.Equal(expected, merged.ErrorWeights[j], 4);
            Assert.Equal(merged.ErrorWeights[j], fedAvg.ErrorWeights[j], 5);
        }
    }

    [Fact]
    public void NedParameters_PoisonedLogErrorWeights_StayPositiveAndBounded()
    {
        var data = TestData.Correlated(200, 4, seed: 4);
        var model = NedDetector.Fit(data, new NedOptions { Epochs = 1, HiddenLayers = [3] });
        var vector = NedParameters.Flatten(model);
        for (var j = 0; j < model.Dimension; j++) vector[(2 * model.Dimension) + j] = j % 2 == 0 ? -1e6f : 1e6f;

        var poisoned = NedParameters.FromVector(model.LayerSizes, model.Activation, vector, 1, 1);

        Assert.All(poisoned.ErrorWeights, w => Assert.True(w > 0 && float.IsFinite(w)));
        Assert.All(TestData.ScoreAll(poisoned, data), s => Assert.True(float.IsFinite(s)));
    }

    [Theory]
    [InlineData(DetectorKind.KMeans)]
    [InlineData(DetectorKind.Cblof)]
    public void AggregateClusters_IdenticalModels_KeepCentroidsAndScaleSizes(DetectorKind kind)
    {
        var data = TestData.Correlated(500, 4, seed: 9);
        var model = TestData.Fit(kind, data);
        var bytes = model.Serialize();

        var aggregated = FederatedAggregator.Aggregate([(bytes, 500), (bytes, 500)]);

        var test = TestData.Correlated(200, 4, seed: 10, anomalyShare: 0.1, out _);
        var expected = TestData.ScoreAll(model, test);
        var actual = TestData.ScoreAll(aggregated, test);
        for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 4);
    }

    [Fact]
    public void AggregateKMeans_TwoSitesWithDifferentModes_CoversBoth()
    {
        var siteA = Shifted(TestData.Correlated(400, 3, seed: 1), 0);
        var siteB = Shifted(TestData.Correlated(400, 3, seed: 2), 20);
        var a = KMeansDetector.Fit(siteA, new KMeansOptions { Clusters = 2 });
        var b = KMeansDetector.Fit(siteB, new KMeansOptions { Clusters = 2 });

        var merged = FederatedAggregator.Aggregate([(a.Serialize(), 400), (b.Serialize(), 400)]);

        // A row of site B is far from every centroid of model A but close to the merged model.
        var row = siteB.Row(0).ToArray();
        var fromA = new float[1];
        var fromMerged = new float[1];
        a.Score(row, fromA);
        merged.Score(row, fromMerged);
        Assert.True(fromMerged[0] < fromA[0] / 4, $"merged {fromMerged[0]} vs site A {fromA[0]}");
    }

    [Fact]
    public void AggregateForest_TreesDrawnInProportionToSamples()
    {
        var data = TestData.Correlated(600, 4, seed: 3);
        var a = IsolationForestDetector.Fit(data, new IsolationForestOptions { Trees = 40, Seed = 1 });
        var b = IsolationForestDetector.Fit(data, new IsolationForestOptions { Trees = 40, Seed = 2 });

        var merged = (IsolationForestDetector)FederatedAggregator.Aggregate([(a.Serialize(), 300), (b.Serialize(), 100)], seed: 5);
        var again = FederatedAggregator.Aggregate([(a.Serialize(), 300), (b.Serialize(), 100)], seed: 5);

        Assert.Equal(40, merged.TreeCount);
        Assert.Equal(merged.Serialize(), again.Serialize());
        var scores = TestData.ScoreAll(merged, data);
        Assert.All(scores, s => Assert.InRange(s, 0f, 1f));
    }

    [Fact]
    public void Aggregate_MismatchedDimensions_Refused()
    {
        var a = KMeansDetector.Fit(TestData.Correlated(200, 3, seed: 1), new KMeansOptions { Clusters = 2 });
        var b = KMeansDetector.Fit(TestData.Correlated(200, 4, seed: 1), new KMeansOptions { Clusters = 2 });

        var error = Assert.Throws<AggregationException>(() => FederatedAggregator.Aggregate([(a.Serialize(), 1), (b.Serialize(), 1)]));

        Assert.Equal(AggregationFailure.MismatchedShape, error.Reason);
        Assert.Equal(1, error.UpdateIndex);
        Assert.Contains("dimension 4 differs from 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Aggregate_MismatchedNedLayers_Refused()
    {
        var data = TestData.Correlated(100, 4, seed: 1);
        var a = NedDetector.Fit(data, new NedOptions { Epochs = 1, HiddenLayers = [3] });
        var b = NedDetector.Fit(data, new NedOptions { Epochs = 1, HiddenLayers = [2] });

        var error = Assert.Throws<AggregationException>(() => FederatedAggregator.Aggregate([(a.Serialize(), 1), (b.Serialize(), 1)]));

        Assert.Equal(AggregationFailure.MismatchedShape, error.Reason);
    }

    [Fact]
    public void Aggregate_MixedKinds_Refused()
    {
        var data = TestData.Correlated(200, 3, seed: 1);
        var a = KMeansDetector.Fit(data, new KMeansOptions { Clusters = 2 });
        var b = PcaMahalanobisDetector.Fit(data);

        var error = Assert.Throws<AggregationException>(() => FederatedAggregator.Aggregate([(a.Serialize(), 1), (b.Serialize(), 1)]));

        Assert.Equal(AggregationFailure.WrongKind, error.Reason);
        Assert.Contains("expected a KMeans model, got PcaMahalanobis", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Aggregate_UnexpectedKind_Refused()
    {
        var a = KMeansDetector.Fit(TestData.Correlated(200, 3, seed: 1), new KMeansOptions { Clusters = 2 });

        var error = Assert.Throws<AggregationException>(() => FederatedAggregator.Aggregate([(a.Serialize(), 1)], DetectorKind.Cblof));

        Assert.Equal(AggregationFailure.WrongKind, error.Reason);
    }

    [Fact]
    public void Aggregate_NonFiniteParameter_Refused()
    {
        var nan = new NedDetector([2, 1, 2], [[float.NaN, 1], [1, 1]], [[0], [0, 0]], [0, 0], [1, 1], NedActivation.Tanh, 1, 10);
        var fine = new NedDetector([2, 1, 2], [[1, 1], [1, 1]], [[0], [0, 0]], [0, 0], [1, 1], NedActivation.Tanh, 1, 10);

        var error = Assert.Throws<AggregationException>(() => FederatedAggregator.Aggregate([(fine.Serialize(), 5), (nan.Serialize(), 5)]));

        Assert.Equal(AggregationFailure.NonFiniteValue, error.Reason);
        Assert.Equal(1, error.UpdateIndex);
    }

    [Fact]
    public void Aggregate_NonPositiveSamplesOrCorruptBlobOrEmpty_Refused()
    {
        var bytes = KMeansDetector.Fit(TestData.Correlated(200, 3, seed: 1), new KMeansOptions { Clusters = 2 }).Serialize();
        var corrupt = (byte[])bytes.Clone();
        corrupt[^8] ^= 1;

        Assert.Equal(AggregationFailure.InvalidSampleCount, Assert.Throws<AggregationException>(() => FederatedAggregator.Aggregate([(bytes, 0)])).Reason);
        Assert.Equal(AggregationFailure.UnreadableModel, Assert.Throws<AggregationException>(() => FederatedAggregator.Aggregate([(bytes, 1), (corrupt, 1)])).Reason);
        Assert.Equal(AggregationFailure.NoUpdates, Assert.Throws<AggregationException>(() => FederatedAggregator.Aggregate([])).Reason);
    }

    private static FeatureMatrix Shifted(FeatureMatrix data, float shift)
    {
        var values = data.Values.ToArray();
        for (var i = 0; i < values.Length; i++) values[i] += shift;
        return new FeatureMatrix(values, data.Rows, data.Columns);
    }

    private static void AssertRelative(double expected, double actual, double relative, double absolute = 0)
    {
        var tolerance = Math.Max(Math.Abs(expected) * relative, absolute);
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"expected {expected:R}, got {actual:R} (tolerance {tolerance:R})");
    }
}
