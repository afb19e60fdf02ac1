namespace Pipeline.Federation;

/// <summary>
/// The aggregation maths as pure functions over equally long float vectors: sample-weighted mean (FedAvg),
/// coordinate-wise median, coordinate-wise β-trimmed mean and Krum (Blanchard et al. 2017).
/// </summary>
/// <remarks>Inputs are never modified. Accumulation is in double precision. Callers check shapes; the strategies do.</remarks>
public static class AggregationMath
{
    /// <summary>Σ wᵢ xᵢ / Σ wᵢ.</summary>
    /// <exception cref="ArgumentException">No vectors, a non-positive total weight or mismatched counts.</exception>
    public static float[] WeightedMean(IReadOnlyList<float[]> vectors, IReadOnlyList<double> weights)
    {
        var length = CheckShape(vectors);
        if (weights.Count != vectors.Count) throw new ArgumentException($"{weights.Count} weights for {vectors.Count} vectors.", nameof(weights));
        var total = weights.Sum();
        if (!(total > 0)) throw new ArgumentException($"The total weight {total} must be positive.", nameof(weights));
        var sum = new double[length];
        for (var i = 0; i < vectors.Count; i++)
        {
            var w = weights[i] / total;
            var v = vectors[i];
            for (var j = 0; j < length; j++) sum[j] += w * v[j];
        }

        return ToFloats(sum);
    }

    /// <summary>The median of each coordinate (mean of the two middle values for an even count).</summary>
    public static float[] CoordinateMedian(IReadOnlyList<float[]> vectors) => TrimmedMean(vectors, -1);

    /// <summary>
    /// Per coordinate: sort the n values, drop the k = ⌊β·n⌋ smallest and k largest, average the rest. With a negative
    /// <paramref name="trimFraction"/> the middle one or two values are kept (the median).
    /// </summary>
    /// <exception cref="ArgumentException">No vectors, or β so large that nothing is left.</exception>
    public static float[] TrimmedMean(IReadOnlyList<float[]> vectors, double trimFraction)
    {
        var length = CheckShape(vectors);
        var n = vectors.Count;
        var k = trimFraction < 0 ? (n - 1) / 2 : (int)Math.Floor(trimFraction * n);
        if (n - (2 * k) < 1) throw new ArgumentException($"Trimming {k} of {n} values from each end leaves nothing.", nameof(trimFraction));
        var column = new float[n];
        var result = new float[length];
        for (var j = 0; j < length; j++)
        {
            for (var i = 0; i < n; i++) column[i] = vectors[i][j];
            Array.Sort(column);
            double sum = 0;
            for (var i = k; i < n - k; i++) sum += column[i];
            result[j] = (float)(sum / (n - (2 * k)));
        }

        return result;
    }

    /// <summary>
    /// Krum scores: for each vector, the sum of squared distances to its n − f − 2 nearest other vectors. Returns the
    /// indices of the <paramref name="select"/> vectors with the lowest scores (best first).
    /// </summary>
    /// <exception cref="ArgumentException">n ≤ 2f + 2, or <paramref name="select"/> outside [1, n − f].</exception>
    public static int[] KrumSelect(IReadOnlyList<float[]> vectors, int byzantine, int select = 1)
    {
        CheckShape(vectors);
        var n = vectors.Count;
        if (byzantine < 0 || n <= (2 * byzantine) + 2)
        {
            throw new ArgumentException($"Krum with f = {byzantine} needs more than 2f + 2 = {(2 * byzantine) + 2} updates, got {n}.", nameof(byzantine));
        }

        if (select < 1 || select > n - byzantine) throw new ArgumentException($"Can select between 1 and n − f = {n - byzantine} updates, not {select}.", nameof(select));
        var distances = new double[n, n];
        for (var a = 0; a < n; a++)
        {
            for (var b = a + 1; b < n; b++) distances[a, b] = distances[b, a] = SquaredDistance(vectors[a], vectors[b]);
        }

        var neighbours = n - byzantine - 2;
        var scores = new double[n];
        var row = new double[n - 1];
        for (var a = 0; a < n; a++)
        {
            var at = 0;
            for (var b = 0; b < n; b++)
            {
                if (b != a) row[at++] = distances[a, b];
            }

            Array.Sort(row);
            for (var m = 0; m < neighbours; m++) scores[a] += row[m];
        }

        return [.. Enumerable.Range(0, n).OrderBy(i => scores[i]).ThenBy(i => i).Take(select)];
    }

    /// <summary>Σ (aⱼ − bⱼ)².</summary>
    public static double SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"Vectors of {a.Length} and {b.Length} values.", nameof(b));
        double sum = 0;
        for (var j = 0; j < a.Length; j++)
        {
            var d = (double)a[j] - b[j];
            sum += d * d;
        }

        return sum;
    }

    /// <summary>Euclidean norm of a − b (of a alone when b is empty).</summary>
    public static double Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        Math.Sqrt(b.IsEmpty ? SquaredDistance(a, new float[a.Length]) : SquaredDistance(a, b));

    private static int CheckShape(IReadOnlyList<float[]> vectors)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        if (vectors.Count == 0) throw new ArgumentException("At least one vector is required.", nameof(vectors));
        var length = vectors[0].Length;
        for (var i = 1; i < vectors.Count; i++)
        {
            if (vectors[i].Length != length) throw new ArgumentException($"Vector {i} has {vectors[i].Length} values, vector 0 has {length}.", nameof(vectors));
        }

        return length;
    }

    private static float[] ToFloats(double[] values)
    {
        var result = new float[values.Length];
        for (var j = 0; j < values.Length; j++) result[j] = (float)values[j];
        return result;
    }
}
