namespace Pipeline.Detection;

/// <summary>
/// Aggregates serialized detectors from federated participants into one global detector, each kind the way its
/// mathematics allows: NED by FedAvg (sample-weighted mean of every parameter, the per-feature error weights in log space); PCA exactly, by summing the sufficient
/// statistics (n, Σx, Σxxᵀ); K-means and CBLOF by a weighted k-means over all participants' centroids (weights = cluster
/// sizes scaled to each participant's sample count); Isolation Forest by sampling whole trees from each forest in
/// proportion to its sample count. The global threshold is the sample-weighted mean of the participants' thresholds
/// (use <see cref="ThresholdCalibrator.Recalibrate"/> where local data is at hand).
/// </summary>
/// <remarks>Pure and thread-safe; the same inputs and seed give the same bytes.</remarks>
public static class FederatedAggregator
{
    /// <summary>Aggregates <paramref name="updates"/> (model bytes and the participant's sample count).</summary>
    /// <param name="updates">Serialized detectors with their sample counts.</param>
    /// <param name="expectedKind">When given, every update must be of this kind.</param>
    /// <param name="seed">Seed for the random choices of tree sampling and centroid merging.</param>
    /// <exception cref="AggregationException">No updates, unreadable blobs, mixed kinds, mismatched shapes, non-finite values or bad sample counts.</exception>
    public static IAnomalyDetector Aggregate(IReadOnlyList<(byte[] Model, long Samples)> updates, DetectorKind? expectedKind = null, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(updates);
        if (updates.Count == 0) throw new AggregationException(AggregationFailure.NoUpdates, -1, "at least one update is required.");

        var models = new List<IAnomalyDetector>(updates.Count);
        for (var i = 0; i < updates.Count; i++)
        {
            var (bytes, samples) = updates[i];
            if (samples <= 0) throw new AggregationException(AggregationFailure.InvalidSampleCount, i, $"sample count {samples} must be positive.");
            if (bytes is null) throw new AggregationException(AggregationFailure.UnreadableModel, i, "the model bytes are null.");
            try
            {
                models.Add(DetectorSerializer.Deserialize(bytes));
            }
            catch (ModelFormatException ex)
            {
                throw new AggregationException(AggregationFailure.UnreadableModel, i, ex.Message, ex);
            }
        }

        var kind = expectedKind ?? models[0].Kind;
        for (var i = 0; i < models.Count; i++)
        {
            if (models[i].Kind != kind) throw new AggregationException(AggregationFailure.WrongKind, i, $"expected a {kind} model, got {models[i].Kind}.");
            if (models[i].Dimension != models[0].Dimension)
            {
                throw new AggregationException(AggregationFailure.MismatchedShape, i, $"dimension {models[i].Dimension} differs from {models[0].Dimension}.");
            }

            if (!double.IsFinite(models[i].Threshold)) throw new AggregationException(AggregationFailure.NonFiniteValue, i, $"threshold {models[i].Threshold} is not finite.");
        }

        var weights = updates.Select(u => (double)u.Samples).ToArray();
        var total = updates.Sum(u => u.Samples);
        var threshold = WeightedMean(models.Select(m => m.Threshold).ToArray(), weights);
        return kind switch
        {
            DetectorKind.Ned => AggregateNed(models.Cast<NedDetector>().ToList(), weights, threshold, total),
            DetectorKind.PcaMahalanobis => AggregatePca(models.Cast<PcaMahalanobisDetector>().ToList(), threshold),
            DetectorKind.IsolationForest => AggregateForest(models.Cast<IsolationForestDetector>().ToList(), weights, threshold, total, seed),
            DetectorKind.KMeans => AggregateKMeans(models.Cast<KMeansDetector>().ToList(), weights, threshold, total, seed),
            DetectorKind.Cblof => AggregateCblof(models.Cast<CblofDetector>().ToList(), weights, threshold, total, seed),
            _ => throw new AggregationException(AggregationFailure.WrongKind, 0, $"unknown kind {kind}."),
        };
    }

    private static NedDetector AggregateNed(List<NedDetector> models, double[] weights, double threshold, long total)
    {
        var first = models[0];
        for (var i = 1; i < models.Count; i++)
        {
            if (!models[i].LayerSizes.SequenceEqual(first.LayerSizes) || models[i].Activation != first.Activation)
            {
                throw new AggregationException(AggregationFailure.MismatchedShape, i,
                    $"NED layers [{string.Join(", ", models[i].LayerSizes)}] {models[i].Activation} differ from [{string.Join(", ", first.LayerSizes)}] {first.Activation}.");
            }
        }

        for (var i = 0; i < models.Count; i++)
        {
            var m = models[i];
            if (!AllFinite(m.InputMean) || !AllFinite(m.InputScale) || !AllFinite(m.LogErrorWeights) || !AllFinite(m.Lower) || !AllFinite(m.Upper) || m.Weights.Any(w => !AllFinite(w)) || m.Biases.Any(b => !AllFinite(b)))
            {
                throw new AggregationException(AggregationFailure.NonFiniteValue, i, "a NED parameter is NaN or infinite.");
            }
        }

        var layers = first.Weights.Length;
        var weightsOut = new float[layers][];
        var biasesOut = new float[layers][];
        for (var l = 0; l < layers; l++)
        {
            weightsOut[l] = Average(models.Select(m => m.Weights[l]).ToList(), weights);
            biasesOut[l] = Average(models.Select(m => m.Biases[l]).ToList(), weights);
        }

        var mean = Average(models.Select(m => m.InputMean).ToList(), weights);
        var scale = Average(models.Select(m => m.InputScale).ToList(), weights);
        // Error weights average in log space (a sample-weighted geometric mean), as they do inside NedParameters vectors.
        var logErrorWeights = Average(models.Select(m => m.LogErrorWeights).ToList(), weights);
        // The training support averages like every other parameter (sample-weighted), as it does inside NedParameters
        // vectors: a weighted mean of ordered pairs stays ordered, and one participant's outlying bound moves the global
        // one only by its sample share, where a min of minima / max of maxima would let any single update widen it.
        var lower = Average(models.Select(m => m.Lower).ToList(), weights);
        var upper = Average(models.Select(m => m.Upper).ToList(), weights);
        return new NedDetector([.. first.LayerSizes], weightsOut, biasesOut, mean, scale, first.Activation, threshold, total, logErrorWeights, lower, upper);
    }

    private static PcaMahalanobisDetector AggregatePca(List<PcaMahalanobisDetector> models, double threshold)
    {
        var first = models[0];
        var d = first.Dimension;
        var sum = new double[d];
        var outer = new double[d * d];
        long count = 0;
        for (var i = 0; i < models.Count; i++)
        {
            var m = models[i];
            if (m.RequestedComponents != first.RequestedComponents || m.VarianceRatio != first.VarianceRatio || m.IncludeResidual != first.IncludeResidual)
            {
                throw new AggregationException(AggregationFailure.MismatchedShape, i, "PCA component settings differ between participants.");
            }

            if (!AllFinite(m.Sum) || !AllFinite(m.SumOuter)) throw new AggregationException(AggregationFailure.NonFiniteValue, i, "a PCA statistic is NaN or infinite.");
            count += m.Count;
            for (var j = 0; j < d; j++) sum[j] += m.Sum[j];
            for (var j = 0; j < d * d; j++) outer[j] += m.SumOuter[j];
        }

        return PcaMahalanobisDetector.FromStatistics(d, count, sum, outer, first.RequestedComponents, first.VarianceRatio, first.IncludeResidual, threshold);
    }

    private static IsolationForestDetector AggregateForest(List<IsolationForestDetector> models, double[] weights, double threshold, long total, int seed)
    {
        for (var i = 0; i < models.Count; i++)
        {
            if (models[i].SubsampleSize != models[0].SubsampleSize)
            {
                throw new AggregationException(AggregationFailure.MismatchedShape, i, $"subsample size ψ = {models[i].SubsampleSize} differs from {models[0].SubsampleSize}.");
            }

            if (!models[i].HasFiniteValues()) throw new AggregationException(AggregationFailure.NonFiniteValue, i, "a split value or leaf depth is NaN or infinite.");
        }

        var trees = models.Max(m => m.TreeCount);
        var allocation = LargestRemainder(weights, trees);
        var random = new Random(seed);
        var picks = new List<(IsolationForestDetector, int)>(trees);
        for (var i = 0; i < models.Count; i++)
        {
            var available = Enumerable.Range(0, models[i].TreeCount).ToArray();
            random.Shuffle(available);
            for (var t = 0; t < allocation[i]; t++) picks.Add((models[i], available[t % available.Length]));
        }

        return IsolationForestDetector.FromTrees(picks, threshold, total);
    }

    private static KMeansDetector AggregateKMeans(List<KMeansDetector> models, double[] weights, double threshold, long total, int seed)
    {
        for (var i = 0; i < models.Count; i++)
        {
            if (models[i].Clusters != models[0].Clusters)
            {
                throw new AggregationException(AggregationFailure.MismatchedShape, i, $"{models[i].Clusters} clusters differ from {models[0].Clusters}.");
            }
        }

        var (centroids, sizes) = MergeCentroids(models.Select(m => (m.Centroids.ToArray(), m.ClusterSizes.ToArray())).ToList(), models[0].Dimension, models[0].Clusters, weights, seed);
        return new KMeansDetector(models[0].Dimension, centroids, sizes, threshold, total);
    }

    private static CblofDetector AggregateCblof(List<CblofDetector> models, double[] weights, double threshold, long total, int seed)
    {
        var first = models[0];
        for (var i = 0; i < models.Count; i++)
        {
            var m = models[i];
            if (m.Clusters != first.Clusters || m.Alpha != first.Alpha || m.Beta != first.Beta || m.UseSizeWeights != first.UseSizeWeights)
            {
                throw new AggregationException(AggregationFailure.MismatchedShape, i, "CBLOF cluster count, alpha, beta or size weighting differ between participants.");
            }
        }

        var (centroids, sizes) = MergeCentroids(models.Select(m => (m.Centroids.ToArray(), m.ClusterSizes.ToArray())).ToList(), first.Dimension, first.Clusters, weights, seed);
        return new CblofDetector(first.Dimension, centroids, sizes, first.Alpha, first.Beta, first.UseSizeWeights, threshold, total);
    }

    // Weighted k-means over every participant's centroids; a centroid weighs its cluster's share of the participant's samples.
    private static (float[] Centroids, double[] Sizes) MergeCentroids(List<(float[] Centroids, double[] Sizes)> parts, int d, int k, double[] weights, int seed)
    {
        var points = new List<float>();
        var pointWeights = new List<double>();
        for (var i = 0; i < parts.Count; i++)
        {
            var (centroids, sizes) = parts[i];
            if (!AllFinite(centroids) || !AllFinite(sizes) || sizes.Any(s => s < 0))
            {
                throw new AggregationException(AggregationFailure.NonFiniteValue, i, "a centroid or cluster size is NaN, infinite or negative.");
            }

            var totalSize = sizes.Sum();
            for (var c = 0; c < sizes.Length; c++)
            {
                points.AddRange(centroids.AsSpan(c * d, d).ToArray());
                pointWeights.Add(totalSize > 0 ? sizes[c] / totalSize * weights[i] : weights[i] / sizes.Length);
            }
        }

        return KMeansCore.Fit(points.ToArray(), pointWeights.Count, d, pointWeights.ToArray(), k, 300, 1e-12, 5, new Random(seed));
    }

    private static int[] LargestRemainder(double[] weights, int total)
    {
        var sum = weights.Sum();
        var exact = weights.Select(w => w / sum * total).ToArray();
        var allocation = exact.Select(e => (int)Math.Floor(e)).ToArray();
        var left = total - allocation.Sum();
        foreach (var i in Enumerable.Range(0, weights.Length).OrderByDescending(i => exact[i] - allocation[i]).ThenBy(i => i).Take(left))
        {
            allocation[i]++;
        }

        return allocation;
    }

    // Σ nᵢ xᵢ / Σ nᵢ in double: with integer sample counts, identical inputs average back to themselves exactly.
    private static float[] Average(List<float[]> arrays, double[] weights)
    {
        var length = arrays[0].Length;
        var result = new float[length];
        var totalWeight = weights.Sum();
        for (var j = 0; j < length; j++)
        {
            double acc = 0;
            for (var i = 0; i < arrays.Count; i++) acc += weights[i] * arrays[i][j];
            result[j] = (float)(acc / totalWeight);
        }

        return result;
    }

    private static double WeightedMean(double[] values, double[] weights)
    {
        double acc = 0;
        for (var i = 0; i < values.Length; i++) acc += weights[i] * values[i];
        return acc / weights.Sum();
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (var v in values) if (!float.IsFinite(v)) return false;
        return true;
    }

    private static bool AllFinite(ReadOnlySpan<double> values)
    {
        foreach (var v in values) if (!double.IsFinite(v)) return false;
        return true;
    }
}
