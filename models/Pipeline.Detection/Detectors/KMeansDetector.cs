namespace Pipeline.Detection;

/// <summary>K-means detector: k-means++ seeding, Lloyd iterations; score = Euclidean distance to the nearest centroid.</summary>
/// <remarks>Federation merges the participants' centroids, weighted by cluster sizes, with a weighted k-means over them.</remarks>
public sealed class KMeansDetector : IAnomalyDetector
{
    private readonly float[] _centroids;
    private readonly double[] _sizes;

    internal KMeansDetector(int dimension, float[] centroids, double[] sizes, double threshold, long samples)
    {
        Dimension = dimension;
        _centroids = centroids;
        _sizes = sizes;
        Threshold = threshold;
        TrainingSamples = samples;
    }

    /// <inheritdoc />
    public DetectorKind Kind => DetectorKind.KMeans;

    /// <inheritdoc />
    public int Dimension { get; }

    /// <inheritdoc />
    public double Threshold { get; }

    /// <inheritdoc />
    public long TrainingSamples { get; }

    /// <summary>Number of clusters.</summary>
    public int Clusters => _sizes.Length;

    /// <summary>Centroids, row-major (Clusters × Dimension).</summary>
    public ReadOnlySpan<float> Centroids => _centroids;

    /// <summary>Weighted size of each cluster.</summary>
    public ReadOnlySpan<double> ClusterSizes => _sizes;

    /// <summary>Clusters <paramref name="data"/> and calibrates the threshold on its scores.</summary>
    public static KMeansDetector Fit(FeatureMatrix data, KMeansOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        options ??= new KMeansOptions();
        options.Validate(data.Rows);
        var (centroids, sizes) = KMeansCore.Fit(data.Values, data.Rows, data.Columns, default, options.Clusters, options.MaxIterations, KMeansCore.ScaledTolerance(data.Values, data.Rows, data.Columns, options.Tolerance), options.Restarts, new Random(options.Seed));
        var model = new KMeansDetector(data.Columns, centroids, sizes, double.PositiveInfinity, data.Rows);
        return (KMeansDetector)model.WithThreshold(ScoreQuantile.FromContamination(ScoreGuard.ScoreAll(model, data), options.Contamination));
    }

    /// <inheritdoc />
    public void Score(ReadOnlySpan<float> rows, Span<float> scores)
    {
        ScoreGuard.Check(rows, scores, Dimension);
        var d = Dimension;
        for (var r = 0; r < scores.Length; r++)
        {
            KMeansCore.Nearest(rows.Slice(r * d, d), _centroids, _sizes.Length, out var squared);
            scores[r] = MathF.Sqrt(squared);
        }
    }

    /// <inheritdoc />
    public IAnomalyDetector WithThreshold(double threshold) => new KMeansDetector(Dimension, _centroids, _sizes, threshold, TrainingSamples);

    /// <inheritdoc />
    public byte[] Serialize() => DetectorSerializer.Write(new ModelHeader(Kind, Dimension, Threshold, TrainingSamples), w =>
    {
        w.WriteFloats(_centroids);
        w.WriteDoubles(_sizes);
    });

    internal static KMeansDetector ReadPayload(ModelHeader header, BinaryReader reader)
    {
        var centroids = reader.ReadFloats();
        var sizes = reader.ReadDoubles();
        if (sizes.Length == 0 || centroids.Length != sizes.Length * header.Dimension)
        {
            throw new ModelFormatException($"K-means model has {centroids.Length} centroid values for {sizes.Length} clusters of dimension {header.Dimension}.");
        }

        return new KMeansDetector(header.Dimension, centroids, sizes, header.Threshold, header.TrainingSamples);
    }
}
