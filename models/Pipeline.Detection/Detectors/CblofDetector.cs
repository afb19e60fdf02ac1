namespace Pipeline.Detection;

/// <summary>
/// Cluster-based local outlier factor (He, Xu, Deng 2003). Clusters come from k-means; sorted by size, the first b
/// clusters are "large" where b is the first index at which the large clusters hold α of the data or the next cluster is
/// β times smaller. A row in a large cluster scores its distance to that centroid; a row in a small cluster scores its
/// distance to the nearest large centroid; both optionally multiplied by the size of the row's cluster.
/// </summary>
/// <remarks>Federation merges centroids and cluster sizes like k-means, then re-derives the large/small split.</remarks>
public sealed class CblofDetector : IAnomalyDetector
{
    private readonly float[] _centroids;
    private readonly double[] _sizes;
    private readonly bool[] _large;
    private readonly float[] _largeCentroids;

    internal CblofDetector(int dimension, float[] centroids, double[] sizes, double alpha, double beta, bool useSizeWeights, double threshold, long samples)
    {
        Dimension = dimension;
        _centroids = centroids;
        _sizes = sizes;
        Alpha = alpha;
        Beta = beta;
        UseSizeWeights = useSizeWeights;
        Threshold = threshold;
        TrainingSamples = samples;
        _large = SplitLarge(sizes, alpha, beta);
        var largeCount = _large.Count(l => l);
        _largeCentroids = new float[largeCount * dimension];
        var at = 0;
        for (var c = 0; c < sizes.Length; c++)
        {
            if (!_large[c]) continue;
            centroids.AsSpan(c * dimension, dimension).CopyTo(_largeCentroids.AsSpan(at * dimension, dimension));
            at++;
        }
    }

    /// <inheritdoc />
    public DetectorKind Kind => DetectorKind.Cblof;

    /// <inheritdoc />
    public int Dimension { get; }

    /// <inheritdoc />
    public double Threshold { get; }

    /// <inheritdoc />
    public long TrainingSamples { get; }

    /// <summary>α of the large/small split.</summary>
    public double Alpha { get; }

    /// <summary>β of the large/small split.</summary>
    public double Beta { get; }

    /// <summary>Whether scores are multiplied by the cluster size.</summary>
    public bool UseSizeWeights { get; }

    /// <summary>Number of clusters.</summary>
    public int Clusters => _sizes.Length;

    /// <summary>Number of clusters classed as large.</summary>
    public int LargeClusters => _largeCentroids.Length / Dimension;

    internal ReadOnlySpan<float> Centroids => _centroids;

    internal ReadOnlySpan<double> ClusterSizes => _sizes;

    /// <summary>Clusters <paramref name="data"/>, splits large and small clusters and calibrates the threshold.</summary>
    public static CblofDetector Fit(FeatureMatrix data, CblofOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        options ??= new CblofOptions();
        options.Validate(data.Rows);
        var c = options.Clustering;
        var (centroids, sizes) = KMeansCore.Fit(data.Values, data.Rows, data.Columns, default, c.Clusters, c.MaxIterations, KMeansCore.ScaledTolerance(data.Values, data.Rows, data.Columns, c.Tolerance), c.Restarts, new Random(options.Seed));
        var model = new CblofDetector(data.Columns, centroids, sizes, options.Alpha, options.Beta, options.UseSizeWeights, double.PositiveInfinity, data.Rows);
        return (CblofDetector)model.WithThreshold(ScoreQuantile.FromContamination(ScoreGuard.ScoreAll(model, data), options.Contamination));
    }

    /// <inheritdoc />
    public void Score(ReadOnlySpan<float> rows, Span<float> scores)
    {
        ScoreGuard.Check(rows, scores, Dimension);
        var d = Dimension;
        var largeCount = _largeCentroids.Length / d;
        for (var r = 0; r < scores.Length; r++)
        {
            var x = rows.Slice(r * d, d);
            var cluster = KMeansCore.Nearest(x, _centroids, _sizes.Length, out var squared);
            if (!_large[cluster])
            {
                KMeansCore.Nearest(x, _largeCentroids, largeCount, out squared);
            }

            var distance = MathF.Sqrt(squared);
            scores[r] = UseSizeWeights ? (float)(distance * _sizes[cluster]) : distance;
        }
    }

    /// <inheritdoc />
    public IAnomalyDetector WithThreshold(double threshold) => new CblofDetector(Dimension, _centroids, _sizes, Alpha, Beta, UseSizeWeights, threshold, TrainingSamples);

    /// <inheritdoc />
    public byte[] Serialize() => DetectorSerializer.Write(new ModelHeader(Kind, Dimension, Threshold, TrainingSamples), w =>
    {
        w.Write(Alpha);
        w.Write(Beta);
        w.Write(UseSizeWeights);
        w.WriteFloats(_centroids);
        w.WriteDoubles(_sizes);
    });

    internal static bool[] SplitLarge(double[] sizes, double alpha, double beta)
    {
        var order = Enumerable.Range(0, sizes.Length).OrderByDescending(i => sizes[i]).ThenBy(i => i).ToArray();
        var total = sizes.Sum();
        var large = new bool[sizes.Length];
        double cumulative = 0;
        for (var b = 0; b < order.Length; b++)
        {
            large[order[b]] = true;
            cumulative += sizes[order[b]];
            if (cumulative >= alpha * total) break;
            if (b + 1 < order.Length && sizes[order[b]] >= beta * sizes[order[b + 1]]) break;
        }

        return large;
    }

    internal static CblofDetector ReadPayload(ModelHeader header, BinaryReader reader)
    {
        var alpha = reader.ReadDouble();
        var beta = reader.ReadDouble();
        var weights = reader.ReadBoolean();
        var centroids = reader.ReadFloats();
        var sizes = reader.ReadDoubles();
        if (sizes.Length == 0 || centroids.Length != sizes.Length * header.Dimension)
        {
            throw new ModelFormatException($"CBLOF model has {centroids.Length} centroid values for {sizes.Length} clusters of dimension {header.Dimension}.");
        }

        if (!(alpha > 0 && alpha <= 1) || !(beta > 1))
        {
            throw new ModelFormatException($"CBLOF model has invalid alpha {alpha} or beta {beta}.");
        }

        return new CblofDetector(header.Dimension, centroids, sizes, alpha, beta, weights, header.Threshold, header.TrainingSamples);
    }
}
