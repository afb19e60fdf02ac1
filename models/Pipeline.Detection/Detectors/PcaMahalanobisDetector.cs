using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Matrix = MathNet.Numerics.LinearAlgebra.Matrix<double>;
using Symmetricity = MathNet.Numerics.LinearAlgebra.Symmetricity;

namespace Pipeline.Detection;

/// <summary>
/// PCA with Mahalanobis distance: mean and covariance of the training rows, eigen-decomposition (MathNet.Numerics),
/// score = Σ (vᵢᵀ(x − μ))² / λᵢ over the major components, plus the minor components when
/// <see cref="PcaMahalanobisOptions.IncludeResidual"/> is set. Fitting trims the highest-distance rows and refits.
/// </summary>
/// <remarks>
/// The model carries its sufficient statistics (n, Σx, Σxxᵀ of the rows kept after trimming), so federation is exact:
/// summing them over participants gives the model fitted on the union of the rows they kept. Σxxᵀ accumulates in
/// double with SIMD lanes over the features; scoring projects a row on every used component at once (a lane per
/// component); trimming and threshold calibration select order statistics instead of sorting. The fitting loops are compiled fully optimised on first call
/// (<see cref="MethodImplOptions.AggressiveOptimization"/>): a model is fitted once, so tiered JIT would run much of
/// a fit in unoptimised tier-0 code.
/// </remarks>
public sealed class PcaMahalanobisDetector : IAnomalyDetector
{
    private readonly double[] _sum;
    private readonly double[] _sumOuter;
    private readonly float[] _mean;
    private readonly float[] _whitening; // rows = vᵢ / √λᵢ of the used components
    private readonly float[] _whiteningByFeature; // the used rows transposed, padded with zeros to a lane multiple
    private readonly int _usedComponents;

    private PcaMahalanobisDetector(int dimension, long count, double[] sum, double[] sumOuter, int components, double varianceRatio, bool includeResidual, double threshold)
    {
        Dimension = dimension;
        Count = count;
        _sum = sum;
        _sumOuter = sumOuter;
        RequestedComponents = components;
        VarianceRatio = varianceRatio;
        IncludeResidual = includeResidual;
        Threshold = threshold;
        (_mean, _whitening, MajorComponents, Eigenvalues) = Decompose(dimension, count, sum, sumOuter, components, varianceRatio);
        _usedComponents = includeResidual ? dimension : MajorComponents;
        var padded = PaddedComponents;
        _whiteningByFeature = new float[dimension * padded];
        for (var c = 0; c < _usedComponents; c++)
        {
            for (var j = 0; j < dimension; j++) _whiteningByFeature[(j * padded) + c] = _whitening[(c * dimension) + j];
        }
    }

    /// <inheritdoc />
    public DetectorKind Kind => DetectorKind.PcaMahalanobis;

    /// <inheritdoc />
    public int Dimension { get; }

    /// <inheritdoc />
    public double Threshold { get; }

    /// <inheritdoc />
    public long TrainingSamples => Count;

    /// <summary>n of the sufficient statistics (rows kept after trimming).</summary>
    public long Count { get; }

    /// <summary>Configured component count (0 = by variance ratio).</summary>
    public int RequestedComponents { get; }

    /// <summary>Variance ratio used when <see cref="RequestedComponents"/> is 0.</summary>
    public double VarianceRatio { get; }

    /// <summary>Whether minor components add to the score.</summary>
    public bool IncludeResidual { get; }

    /// <summary>Number of major components in use.</summary>
    public int MajorComponents { get; }

    /// <summary>Eigenvalues of the covariance, descending.</summary>
    public IReadOnlyList<double> Eigenvalues { get; }

    /// <summary>Mean of the training rows.</summary>
    public ReadOnlySpan<float> Mean => _mean;

    /// <summary>Fits on <paramref name="data"/> with trimming and calibrates the threshold on the scores of all rows.</summary>
    public static PcaMahalanobisDetector Fit(FeatureMatrix data, PcaMahalanobisOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        options ??= new PcaMahalanobisOptions();
        options.Validate(data.Columns);
        if (data.Rows < 2) throw new ArgumentException("PCA needs at least two rows.", nameof(data));

        var model = FromRows(data, null, options);
        var scores = new float[data.Rows];
        for (var round = 0; round < options.TrimIterations; round++)
        {
            var remove = (int)(options.TrimFraction * data.Rows);
            if (remove == 0 || data.Rows - remove < data.Columns + 1) break;
            model.Score(data.Values, scores);
            model = FromRows(data, ScoreQuantile.LowestScores(scores, data.Rows - remove), options);
        }

        model.Score(data.Values, scores);
        return (PcaMahalanobisDetector)model.WithThreshold(ScoreQuantile.FromContamination(scores, options.Contamination));
    }

    /// <inheritdoc />
    public void Score(ReadOnlySpan<float> rows, Span<float> scores)
    {
        ScoreGuard.Check(rows, scores, Dimension);
        var d = Dimension;
        var padded = PaddedComponents;
        var blocks = padded / Vector<float>.Count;
        var columns = MemoryMarshal.Cast<float, Vector<float>>(_whiteningByFeature);
        Span<float> projections = padded <= 256 ? stackalloc float[padded] : new float[padded];
        var lanes = MemoryMarshal.Cast<float, Vector<float>>(projections);
        for (var r = 0; r < scores.Length; r++)
        {
            // Every component's projection at once, a lane per component: feature by feature, x_j − μ_j times that
            // feature's weight in each component, added in feature order (so each projection sums as a dot product would).
            var x = rows.Slice(r * d, d);
            lanes.Clear();
            for (var j = 0; j < d; j++)
            {
                var centred = new Vector<float>(x[j] - _mean[j]);
                for (var b = 0; b < blocks; b++) lanes[b] += columns[(j * blocks) + b] * centred;
            }

            float total = 0;
            for (var c = 0; c < _usedComponents; c++) total += projections[c] * projections[c];
            scores[r] = total;
        }
    }

    /// <inheritdoc />
    public IAnomalyDetector WithThreshold(double threshold) =>
        new PcaMahalanobisDetector(Dimension, Count, _sum, _sumOuter, RequestedComponents, VarianceRatio, IncludeResidual, threshold);

    /// <inheritdoc />
    public byte[] Serialize() => DetectorSerializer.Write(new ModelHeader(Kind, Dimension, Threshold, Count), w =>
    {
        w.Write(RequestedComponents);
        w.Write(VarianceRatio);
        w.Write(IncludeResidual);
        w.WriteDoubles(_sum);
        w.WriteDoubles(_sumOuter);
    });

    internal ReadOnlySpan<double> Sum => _sum;

    internal ReadOnlySpan<double> SumOuter => _sumOuter;

    internal static PcaMahalanobisDetector FromStatistics(int dimension, long count, double[] sum, double[] sumOuter, int components, double varianceRatio, bool includeResidual, double threshold) =>
        new(dimension, count, sum, sumOuter, components, varianceRatio, includeResidual, threshold);

    internal static PcaMahalanobisDetector ReadPayload(ModelHeader header, BinaryReader reader)
    {
        var components = reader.ReadInt32();
        var ratio = reader.ReadDouble();
        var residual = reader.ReadBoolean();
        var sum = reader.ReadDoubles(header.Dimension);
        var outer = reader.ReadDoubles(header.Dimension * header.Dimension);
        if (components < 0 || components > header.Dimension || !(ratio > 0 && ratio <= 1) || header.TrainingSamples < 2)
        {
            throw new ModelFormatException($"PCA model has invalid components {components}, variance ratio {ratio} or count {header.TrainingSamples}.");
        }

        return new PcaMahalanobisDetector(header.Dimension, header.TrainingSamples, sum, outer, components, ratio, residual, header.Threshold);
    }

    private int PaddedComponents => (_usedComponents + Vector<float>.Count - 1) / Vector<float>.Count * Vector<float>.Count;

    // Sufficient statistics Σx and Σxxᵀ (upper triangle, then mirrored) over the given rows (all when null), in double;
    // each entry adds its row products in row order, the products a SIMD lane each.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static PcaMahalanobisDetector FromRows(FeatureMatrix data, int[]? rows, PcaMahalanobisOptions options)
    {
        var d = data.Columns;
        var sum = new double[d];
        var outer = new double[d * d];
        var x = new double[d];
        var count = rows?.Length ?? data.Rows;
        var lanes = Vector<double>.Count;
        for (var n = 0; n < count; n++)
        {
            var row = data.Row(rows is null ? n : rows[n]);
            for (var j = 0; j < d; j++)
            {
                x[j] = row[j];
                sum[j] += x[j];
            }

            for (var a = 0; a < d; a++)
            {
                var xa = new Vector<double>(x[a]);
                var line = outer.AsSpan((a * d) + a, d - a);
                var tail = x.AsSpan(a);
                var b = 0;
                for (; b + lanes <= line.Length; b += lanes)
                {
                    var updated = new Vector<double>(line[b..]) + (xa * new Vector<double>(tail[b..]));
                    updated.CopyTo(line[b..]);
                }

                for (; b < line.Length; b++) line[b] += x[a] * tail[b];
            }
        }

        for (var a = 0; a < d; a++)
        {
            for (var b = 0; b < a; b++) outer[(a * d) + b] = outer[(b * d) + a];
        }

        return new PcaMahalanobisDetector(d, count, sum, outer, options.Components, options.VarianceRatio, options.IncludeResidual, double.PositiveInfinity);
    }

    private static (float[] Mean, float[] Whitening, int Major, double[] Eigenvalues) Decompose(
        int d, long n, double[] sum, double[] sumOuter, int components, double varianceRatio)
    {
        if (n < 2) throw new ArgumentException($"PCA needs at least two rows, the statistics hold {n}.");
        var mean = new double[d];
        for (var j = 0; j < d; j++) mean[j] = sum[j] / n;
        var covariance = Matrix.Build.Dense(d, d, (a, b) => (sumOuter[(a * d) + b] - (n * mean[a] * mean[b])) / (n - 1));
        var evd = covariance.Evd(Symmetricity.Symmetric);
        var values = evd.EigenValues.Select(v => v.Real).ToArray();
        var order = Enumerable.Range(0, d).OrderByDescending(i => values[i]).ThenBy(i => i).ToArray();
        var eigenvalues = order.Select(i => Math.Max(values[i], 0)).ToArray();
        var trace = eigenvalues.Sum();

        // Directions with (near) zero variance would turn rounding noise into huge distances; floor them relative to the
        // average variance.
        var floor = Math.Max(1e-6 * trace / d, 1e-12);
        var major = components;
        if (major == 0)
        {
            double cumulative = 0;
            major = d;
            for (var i = 0; i < d; i++)
            {
                cumulative += eigenvalues[i];
                if (trace <= 0 || cumulative >= varianceRatio * trace)
                {
                    major = i + 1;
                    break;
                }
            }
        }

        var whitening = new float[d * d];
        for (var c = 0; c < d; c++)
        {
            var vector = evd.EigenVectors.Column(order[c]);

            // Fix the sign (largest-magnitude entry positive) so equal statistics give equal matrices.
            var pivot = 0;
            for (var j = 1; j < d; j++) if (Math.Abs(vector[j]) > Math.Abs(vector[pivot])) pivot = j;
            var sign = vector[pivot] < 0 ? -1 : 1;
            var scale = sign / Math.Sqrt(Math.Max(eigenvalues[c], floor));
            for (var j = 0; j < d; j++) whitening[(c * d) + j] = (float)(vector[j] * scale);
        }

        return (mean.Select(v => (float)v).ToArray(), whitening, major, eigenvalues);
    }
}
