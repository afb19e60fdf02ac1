using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Pipeline.Detection;

/// <summary>
/// Running per-feature mean and variance (Welford), used to standardise feature vectors, and federated exactly by
/// merging (count, mean, M2) with Chan et al.'s pairwise formula.
/// </summary>
/// <remarks>Not thread-safe while updating. Serialized as magic "BHST", version, dimension, then count, means and M2, CRC-32.</remarks>
public sealed class RunningStandardizer
{
    private const ushort Version = 1;
    private static readonly byte[] Magic = "BHST"u8.ToArray();
    private readonly double[] _mean;
    private readonly double[] _m2;
    private double[]? _scale; // Transform's divisors, dropped by Update

    /// <summary>Creates an empty standardizer for <paramref name="dimension"/> features.</summary>
    public RunningStandardizer(int dimension)
    {
        if (dimension < 1) throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "Dimension must be positive.");
        _mean = new double[dimension];
        _m2 = new double[dimension];
    }

    /// <summary>Number of features.</summary>
    public int Dimension => _mean.Length;

    /// <summary>Vectors seen.</summary>
    public long Count { get; private set; }

    /// <summary>Running means.</summary>
    public ReadOnlySpan<double> Mean => _mean;

    /// <summary>Sample variance of feature <paramref name="j"/> (0 before two vectors).</summary>
    public double Variance(int j) => Count > 1 ? _m2[j] / (Count - 1) : 0;

    /// <summary>Adds one vector.</summary>
    public void Update(ReadOnlySpan<float> features)
    {
        CheckLength(features.Length);
        _scale = null;
        Count++;
        for (var j = 0; j < _mean.Length; j++)
        {
            var x = (double)features[j];
            if (!double.IsFinite(x)) throw new ArgumentException($"Feature {j} is not finite ({x}).", nameof(features));
            var delta = x - _mean[j];
            _mean[j] += delta / Count;
            _m2[j] += delta * (x - _mean[j]);
        }
    }

    /// <summary>Writes (x − mean) / std into <paramref name="target"/>; a feature with (near) zero variance is only centred.</summary>
    /// <remarks>The divisors are computed once and reused until the next <see cref="Update"/>. Each element is the same
    /// IEEE double arithmetic as the scalar formula (exact float → double widening, correctly rounded subtract and
    /// divide, rounding back to float), so the SIMD path gives the same bits.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Transform(ReadOnlySpan<float> features, Span<float> target)
    {
        CheckLength(features.Length);
        CheckLength(target.Length);
        var scale = _scale ??= Scales();
        var mean = _mean.AsSpan();
        var j = 0;
        if (Vector.IsHardwareAccelerated && features.Length >= Vector<float>.Count)
        {
            var lanes = Vector<float>.Count;
            var half = Vector<double>.Count;
            for (; j <= features.Length - lanes; j += lanes)
            {
                Vector.Widen(new Vector<float>(features[j..]), out var low, out var high);
                low = (low - new Vector<double>(mean[j..])) / new Vector<double>(scale, j);
                high = (high - new Vector<double>(mean[(j + half)..])) / new Vector<double>(scale, j + half);
                Vector.Narrow(low, high).CopyTo(target[j..]);
            }
        }

        for (; j < features.Length; j++)
        {
            target[j] = (float)((features[j] - mean[j]) / scale[j]);
        }
    }

    private double[] Scales()
    {
        var scale = new double[_mean.Length];
        for (var j = 0; j < scale.Length; j++)
        {
            var std = Math.Sqrt(Variance(j));
            scale[j] = std > 1e-9 ? std : 1;
        }

        return scale;
    }

    /// <summary>Merges several standardizers as if one had seen all their vectors.</summary>
    /// <exception cref="ArgumentException">No parts or differing dimensions.</exception>
    public static RunningStandardizer Merge(IReadOnlyList<RunningStandardizer> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("At least one standardizer is required.", nameof(parts));
        var merged = new RunningStandardizer(parts[0].Dimension);
        foreach (var part in parts)
        {
            if (part.Dimension != merged.Dimension) throw new ArgumentException($"Dimension {part.Dimension} differs from {merged.Dimension}.", nameof(parts));
            if (part.Count == 0) continue;
            var total = merged.Count + part.Count;
            for (var j = 0; j < merged.Dimension; j++)
            {
                var delta = part._mean[j] - merged._mean[j];
                merged._mean[j] += delta * part.Count / total;
                merged._m2[j] += part._m2[j] + (delta * delta * merged.Count * part.Count / total);
            }

            merged.Count = total;
        }

        return merged;
    }

    /// <summary>Serializes to compact, deterministic, checksummed bytes.</summary>
    public byte[] Serialize()
    {
        var d = Dimension;
        var bytes = new byte[4 + 2 + 4 + 8 + (16 * d) + 4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(6), d);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(10), Count);
        for (var j = 0; j < d; j++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(18 + (8 * j)), _mean[j]);
            BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(18 + (8 * (d + j))), _m2[j]);
        }

        BlobEnvelope.Seal(bytes, Magic, Version);
        return bytes;
    }

    /// <summary>Reads bytes written by <see cref="Serialize"/>.</summary>
    /// <exception cref="ModelFormatException">Wrong magic or version, bad checksum, or inconsistent length/values.</exception>
    public static RunningStandardizer Deserialize(ReadOnlySpan<byte> bytes)
    {
        BlobEnvelope.Check(bytes, Magic, Version, minLength: 22, "standardizer");
        var d = BinaryPrimitives.ReadInt32LittleEndian(bytes[6..]);
        if (d < 1 || bytes.Length != 22 + (16L * d)) throw new ModelFormatException($"Standardizer dimension {d} does not match the blob size {bytes.Length}.");
        var result = new RunningStandardizer(d) { Count = BinaryPrimitives.ReadInt64LittleEndian(bytes[10..]) };
        for (var j = 0; j < d; j++)
        {
            result._mean[j] = BinaryPrimitives.ReadDoubleLittleEndian(bytes[(18 + (8 * j))..]);
            result._m2[j] = BinaryPrimitives.ReadDoubleLittleEndian(bytes[(18 + (8 * (d + j)))..]);
            if (!double.IsFinite(result._mean[j]) || !(result._m2[j] >= 0)) throw new ModelFormatException($"Standardizer feature {j} has invalid statistics.");
        }

        if (result.Count < 0) throw new ModelFormatException($"Standardizer count {result.Count} is negative.");
        return result;
    }

    private void CheckLength(int length)
    {
        if (length != _mean.Length) throw new ArgumentException($"Expected {_mean.Length} features, got {length}.");
    }
}
