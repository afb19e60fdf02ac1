using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Pipeline.Detection;

/// <summary>Weighted k-means (k-means++ seeding, Lloyd iterations) on flat row-major data.</summary>
/// <remarks>
/// Lloyd stops when no row changes cluster or the summed squared centroid shift falls to the (absolute) tolerance;
/// <see cref="ScaledTolerance"/> turns scikit-learn's relative tolerance into an absolute one. The assignment step
/// keeps Hamerly's distance bounds so that rows which provably keep their cluster skip the distance computations, and
/// computes the distances of a row to a lane-width of centroids at once (centroids transposed, <see cref="Vector{T}"/>
/// lanes over centroids); the update step recomputes every centroid from all rows, summing in double. The fitting loops are compiled fully optimised on first call
/// (<see cref="MethodImplOptions.AggressiveOptimization"/>): a model is fitted once, so tiered JIT would run much of
/// a fit in unoptimised tier-0 code.
/// </remarks>
internal static class KMeansCore
{
    /// <summary><paramref name="relative"/> × the mean per-feature variance of the data (scikit-learn's tol convention).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
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

    // Lloyd's iterations with Hamerly's bounds (Hamerly 2010): per row an upper bound on the distance to its own
    // centroid and a lower bound on the distance to every other one, loosened by how far the centroids moved. A row
    // whose upper bound is below max(lower bound, half the distance from its centroid to the nearest other one) cannot
    // change cluster, so most rows skip their k distance computations once the centroids settle. The assignments are
    // those of plain Lloyd (the bounds only prove which rows would not move); centroids are recomputed from all rows.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double[] Sizes, double Inertia) Lloyd(
        ReadOnlySpan<float> data, int rows, int d, ReadOnlySpan<double> weights, float[] centroids, int k, int maxIterations, double tolerance)
    {
        var labels = new int[rows];
        var upper = new double[rows];
        var lower = new double[rows];
        var sums = new double[k * d];
        var sizes = new double[k];
        var moved = new double[k];
        var half = new double[k];
        var previous = new float[k * d];
        for (var iteration = 0; iteration < maxIterations; iteration++)
        {
            var changed = iteration == 0
                ? AssignAll(data, rows, d, centroids, k, labels, upper, lower)
                : AssignBounded(data, rows, d, centroids, k, labels, upper, lower, half);
            if (changed == 0) break; // no row moved: the centroids are already the means of their clusters
            Accumulate(data, rows, d, weights, labels, sums, sizes);
            centroids.CopyTo(previous, 0);
            float[]? rowDistance = null;
            double shift = 0;
            for (var c = 0; c < k; c++)
            {
                if (sizes[c] <= 0)
                {
                    // Empty cluster: move it to the row farthest from its centroid, then keep iterating.
                    rowDistance ??= OwnDistances(data, rows, d, previous, labels);
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

            for (var c = 0; c < k; c++) moved[c] = Math.Sqrt(SquaredDistanceSimd(previous.AsSpan(c * d, d), centroids.AsSpan(c * d, d)));
            LoosenBounds(rows, k, labels, upper, lower, moved);
            if (shift <= tolerance) break;
        }

        // Final assignment to the last centroids (exact, as in every iteration), then inertia and sizes from it.
        AssignBounded(data, rows, d, centroids, k, labels, upper, lower, half);
        double inertia = 0;
        Array.Clear(sizes);
        for (var i = 0; i < rows; i++)
        {
            var w = weights.IsEmpty ? 1 : weights[i];
            inertia += w * SquaredDistanceSimd(data.Slice(i * d, d), centroids.AsSpan(labels[i] * d, d));
            sizes[labels[i]] += w;
        }

        return (sizes, inertia);
    }

    // Full assignment: every distance, exact bounds. Returns the number of rows whose label changed (all, initially).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int AssignAll(ReadOnlySpan<float> data, int rows, int d, float[] centroids, int k, int[] labels, double[] upper, double[] lower)
    {
        var padded = Padded(k);
        var transposed = new float[padded * d];
        Transpose(centroids, k, d, transposed);
        Span<float> distances = padded <= 256 ? stackalloc float[padded] : new float[padded];
        for (var i = 0; i < rows; i++)
        {
            labels[i] = NearestTwo(data.Slice(i * d, d), transposed, k, distances, out var best, out var second);
            upper[i] = Math.Sqrt(best);
            lower[i] = Math.Sqrt(second);
        }

        return rows;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int AssignBounded(ReadOnlySpan<float> data, int rows, int d, float[] centroids, int k, int[] labels, double[] upper, double[] lower, double[] half)
    {
        // half[c]: half the distance from centroid c to its nearest other centroid; a row closer than that to c stays.
        Array.Fill(half, double.PositiveInfinity);
        for (var a = 0; a < k; a++)
        {
            for (var b = a + 1; b < k; b++)
            {
                var between = 0.5 * Math.Sqrt(SquaredDistanceSimd(centroids.AsSpan(a * d, d), centroids.AsSpan(b * d, d)));
                if (between < half[a]) half[a] = between;
                if (between < half[b]) half[b] = between;
            }
        }

        var padded = Padded(k);
        var transposed = new float[padded * d];
        Transpose(centroids, k, d, transposed);
        Span<float> distances = padded <= 256 ? stackalloc float[padded] : new float[padded];
        var changed = 0;
        for (var i = 0; i < rows; i++)
        {
            var label = labels[i];

            // The small relative margin keeps float rounding of the bounds from skipping a row that sits on a tie.
            var bound = Math.Max(half[label], lower[i]) * (1 - 1e-6);
            if (upper[i] <= bound) continue;
            var x = data.Slice(i * d, d);
            upper[i] = Math.Sqrt(SquaredDistanceSimd(x, centroids.AsSpan(label * d, d)));
            if (upper[i] <= bound) continue;
            var nearest = NearestTwo(x, transposed, k, distances, out var best, out var second);
            if (nearest != label) changed++;
            labels[i] = nearest;
            upper[i] = Math.Sqrt(best);
            lower[i] = Math.Sqrt(second);
        }

        return changed;
    }

    // After the centroids moved: own distance can grow by its centroid's move, any other shrink by the largest other move.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LoosenBounds(int rows, int k, int[] labels, double[] upper, double[] lower, double[] moved)
    {
        var largest = 0;
        for (var c = 1; c < k; c++) if (moved[c] > moved[largest]) largest = c;
        double secondLargest = 0;
        for (var c = 0; c < k; c++) if (c != largest && moved[c] > secondLargest) secondLargest = moved[c];
        for (var i = 0; i < rows; i++)
        {
            var label = labels[i];
            upper[i] += moved[label];
            lower[i] -= label == largest ? secondLargest : moved[largest];
        }
    }

    // Per-cluster weighted sums and sizes, the sums in double with the float rows widened lane by lane.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate(ReadOnlySpan<float> data, int rows, int d, ReadOnlySpan<double> weights, int[] labels, double[] sums, double[] sizes)
    {
        Array.Clear(sums);
        Array.Clear(sizes);
        var lanes = Vector<float>.Count;
        var vectors = d / lanes;
        for (var i = 0; i < rows; i++)
        {
            var w = weights.IsEmpty ? 1 : weights[i];
            var c = labels[i];
            sizes[c] += w;
            var x = data.Slice(i * d, d);
            var sum = sums.AsSpan(c * d, d);
            if (vectors > 0)
            {
                var vx = MemoryMarshal.Cast<float, Vector<float>>(x[..(vectors * lanes)]);
                var vs = MemoryMarshal.Cast<double, Vector<double>>(sum[..(vectors * lanes)]);
                var vw = new Vector<double>(w);
                for (var v = 0; v < vectors; v++)
                {
                    Vector.Widen(vx[v], out var low, out var high);
                    vs[2 * v] += vw * low;
                    vs[(2 * v) + 1] += vw * high;
                }
            }

            for (var j = vectors * lanes; j < d; j++) sum[j] += w * x[j];
        }
    }

    private static float[] OwnDistances(ReadOnlySpan<float> data, int rows, int d, float[] centroids, int[] labels)
    {
        var distances = new float[rows];
        for (var i = 0; i < rows; i++) distances[i] = SquaredDistanceSimd(data.Slice(i * d, d), centroids.AsSpan(labels[i] * d, d));
        return distances;
    }

    // Centroids transposed for NearestTwo: t[j × padded + c], the padding columns +∞ so they are never nearest.
    private static void Transpose(float[] centroids, int k, int d, float[] transposed)
    {
        var padded = transposed.Length / d;
        Array.Fill(transposed, float.PositiveInfinity);
        for (var c = 0; c < k; c++)
        {
            for (var j = 0; j < d; j++) transposed[(j * padded) + c] = centroids[(c * d) + j];
        }
    }

    private static int Padded(int k) => (k + Vector<float>.Count - 1) / Vector<float>.Count * Vector<float>.Count;

    // Nearest centroid (lowest index on ties) with the squared distances to it and to the runner-up. The distances to
    // a lane-width of centroids at once: per feature, broadcast x_j, subtract that feature of every centroid, square, add.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int NearestTwo(ReadOnlySpan<float> x, float[] transposed, int k, Span<float> distances, out float best, out float second)
    {
        var blocks = distances.Length / Vector<float>.Count;
        var columns = MemoryMarshal.Cast<float, Vector<float>>(transposed);
        var sums = MemoryMarshal.Cast<float, Vector<float>>(distances);
        for (var b = 0; b < blocks; b++)
        {
            var acc = Vector<float>.Zero;
            for (var j = 0; j < x.Length; j++)
            {
                var diff = new Vector<float>(x[j]) - columns[(j * blocks) + b];
                acc += diff * diff;
            }

            sums[b] = acc;
        }

        var index = 0;
        best = float.PositiveInfinity;
        second = float.PositiveInfinity;
        for (var c = 0; c < k; c++)
        {
            var sum = distances[c];
            if (sum < best)
            {
                second = best;
                best = sum;
                index = c;
            }
            else if (sum < second)
            {
                second = sum;
            }
        }

        return index;
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
