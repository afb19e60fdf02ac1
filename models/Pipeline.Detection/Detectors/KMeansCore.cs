using System.Numerics;
using System.Runtime.InteropServices;

namespace Pipeline.Detection;

/// <summary>Weighted k-means (k-means++ seeding, Lloyd iterations) on flat row-major data.</summary>
/// <remarks>
/// Lloyd stops when no row changes cluster or the summed squared centroid shift falls to the (absolute) tolerance;
/// <see cref="ScaledTolerance"/> turns scikit-learn's relative tolerance into an absolute one. Distances are computed
/// with <see cref="Vector{T}"/> lanes over the features.
/// </remarks>
internal static class KMeansCore
{
    /// <summary><paramref name="relative"/> × the mean per-feature variance of the data (scikit-learn's tol convention).</summary>
    public static double ScaledTolerance(ReadOnlySpan<float> data, int rows, int d, double relative)
    {
        var mean = new double[d];
        var m2 = new double[d];
        for (var i = 0; i < rows; i++)
        {
            var x = data.Slice(i * d, d);
            for (var j = 0; j < d; j++)
            {
                var delta = x[j] - mean[j];
                mean[j] += delta / (i + 1);
                m2[j] += delta * (x[j] - mean[j]);
            }
        }

        return relative * m2.Sum() / d / Math.Max(1, rows);
    }

    public static (float[] Centroids, double[] Sizes) Fit(
        ReadOnlySpan<float> data, int rows, int d, ReadOnlySpan<double> weights, int k, int maxIterations, double tolerance, int restarts, Random random)
    {
        float[]? bestCentroids = null;
        double[]? bestSizes = null;
        var bestInertia = double.PositiveInfinity;
        for (var attempt = 0; attempt < restarts; attempt++)
        {
            var centroids = SeedPlusPlus(data, rows, d, weights, k, random);
            var (sizes, inertia) = Lloyd(data, rows, d, weights, centroids, k, maxIterations, tolerance);
            if (inertia < bestInertia)
            {
                bestInertia = inertia;
                bestCentroids = centroids;
                bestSizes = sizes;
            }
        }

        return (bestCentroids!, bestSizes!);
    }

    /// <summary>Index of the nearest centroid and the squared distance to it.</summary>
    public static int Nearest(ReadOnlySpan<float> x, float[] centroids, int k, out float squaredDistance)
    {
        var d = x.Length;
        var best = 0;
        var bestDistance = float.PositiveInfinity;
        for (var c = 0; c < k; c++)
        {
            var sum = SquaredDistanceSimd(x, centroids.AsSpan(c * d, d));
            if (sum < bestDistance)
            {
                bestDistance = sum;
                best = c;
            }
        }

        squaredDistance = bestDistance;
        return best;
    }

    private static float SquaredDistanceSimd(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var lanes = Vector<float>.Count;
        var vectors = a.Length / lanes;
        var acc = Vector<float>.Zero;
        if (vectors > 0)
        {
            var va = MemoryMarshal.Cast<float, Vector<float>>(a[..(vectors * lanes)]);
            var vb = MemoryMarshal.Cast<float, Vector<float>>(b[..(vectors * lanes)]);
            for (var v = 0; v < vectors; v++)
            {
                var diff = va[v] - vb[v];
                acc += diff * diff;
            }
        }

        var sum = Vector.Sum(acc);
        for (var j = vectors * lanes; j < a.Length; j++)
        {
            var diff = a[j] - b[j];
            sum += diff * diff;
        }

        return sum;
    }

    private static float[] SeedPlusPlus(ReadOnlySpan<float> data, int rows, int d, ReadOnlySpan<double> weights, int k, Random random)
    {
        var centroids = new float[k * d];
        var distances = new double[rows];
        var first = SampleIndex(weights, rows, null, random);
        data.Slice(first * d, d).CopyTo(centroids);
        for (var i = 0; i < rows; i++)
        {
            distances[i] = SquaredDistance(data.Slice(i * d, d), centroids.AsSpan(0, d));
        }

        for (var c = 1; c < k; c++)
        {
            var next = SampleIndex(weights, rows, distances, random);
            data.Slice(next * d, d).CopyTo(centroids.AsSpan(c * d, d));
            var centroid = centroids.AsSpan(c * d, d);
            for (var i = 0; i < rows; i++)
            {
                var dist = SquaredDistance(data.Slice(i * d, d), centroid);
                if (dist < distances[i]) distances[i] = dist;
            }
        }

        return centroids;
    }

    // Samples an index with probability ∝ weight × distance (distance = 1 when null); uniform fallback when all are 0.
    private static int SampleIndex(ReadOnlySpan<double> weights, int rows, double[]? distances, Random random)
    {
        double total = 0;
        for (var i = 0; i < rows; i++)
        {
            total += (weights.IsEmpty ? 1 : weights[i]) * (distances?[i] ?? 1);
        }

        if (!(total > 0)) return random.Next(rows);
        var target = random.NextDouble() * total;
        double cumulative = 0;
        for (var i = 0; i < rows; i++)
        {
            cumulative += (weights.IsEmpty ? 1 : weights[i]) * (distances?[i] ?? 1);
            if (cumulative > target) return i;
        }

        return rows - 1;
    }

    private static (double[] Sizes, double Inertia) Lloyd(
        ReadOnlySpan<float> data, int rows, int d, ReadOnlySpan<double> weights, float[] centroids, int k, int maxIterations, double tolerance)
    {
        var labels = new int[rows];
        var rowDistance = new float[rows];
        var sums = new double[k * d];
        var sizes = new double[k];
        double inertia = 0;
        Array.Fill(labels, -1);
        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            (inertia, var changed) = Assign(data, rows, d, weights, centroids, k, labels, rowDistance);
            if (changed == 0) break; // no row moved: the centroids are already the means of their clusters
            Array.Clear(sums);
            Array.Clear(sizes);
            for (var i = 0; i < rows; i++)
            {
                var w = weights.IsEmpty ? 1 : weights[i];
                var c = labels[i];
                sizes[c] += w;
                var x = data.Slice(i * d, d);
                for (var j = 0; j < d; j++) sums[(c * d) + j] += w * x[j];
            }

            double shift = 0;
            for (var c = 0; c < k; c++)
            {
                if (sizes[c] <= 0)
                {
                    // Empty cluster: move it to the row farthest from its centroid, then keep iterating.
                    var far = 0;
                    for (var i = 1; i < rows; i++) if (rowDistance[i] > rowDistance[far]) far = i;
                    data.Slice(far * d, d).CopyTo(centroids.AsSpan(c * d, d));
                    rowDistance[far] = 0;
                    shift = double.PositiveInfinity;
                    continue;
                }

                for (var j = 0; j < d; j++)
                {
                    var updated = (float)(sums[(c * d) + j] / sizes[c]);
                    var delta = updated - centroids[(c * d) + j];
                    shift += delta * delta;
                    centroids[(c * d) + j] = updated;
                }
            }

            if (shift <= tolerance) break;
        }

        (inertia, _) = Assign(data, rows, d, weights, centroids, k, labels, rowDistance);
        Array.Clear(sizes);
        for (var i = 0; i < rows; i++) sizes[labels[i]] += weights.IsEmpty ? 1 : weights[i];
        return (sizes, inertia);
    }

    private static (double Inertia, int Changed) Assign(ReadOnlySpan<float> data, int rows, int d, ReadOnlySpan<double> weights, float[] centroids, int k, int[] labels, float[] rowDistance)
    {
        double inertia = 0;
        var changed = 0;
        for (var i = 0; i < rows; i++)
        {
            var label = Nearest(data.Slice(i * d, d), centroids, k, out var dist);
            if (label != labels[i]) changed++;
            labels[i] = label;
            rowDistance[i] = dist;
            inertia += (weights.IsEmpty ? 1 : weights[i]) * dist;
        }

        return (inertia, changed);
    }

    private static double SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double sum = 0;
        for (var j = 0; j < a.Length; j++)
        {
            double diff = a[j] - b[j];
            sum += diff * diff;
        }

        return sum;
    }
}
