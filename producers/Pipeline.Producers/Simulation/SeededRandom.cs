namespace Pipeline.Producers.Simulation;

/// <summary>
/// xoshiro256** pseudo-random generator seeded through SplitMix64: fast, and the same seed gives the
/// same sequence on every platform and runtime version (unlike <see cref="Random"/>, whose seeded
/// algorithm is an implementation detail).
/// </summary>
/// <remarks>Not thread-safe: each simulated entity owns its generator.</remarks>
public sealed class SeededRandom
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;
    private double _spareGaussian;
    private bool _hasSpare;

    public SeededRandom(ulong seed)
    {
        var x = seed;
        _s0 = SplitMix(ref x);
        _s1 = SplitMix(ref x);
        _s2 = SplitMix(ref x);
        _s3 = SplitMix(ref x);
    }

    /// <summary>A generator for a named sub-stream, so adding one entity never shifts another's numbers.</summary>
    public static SeededRandom For(long seed, string stream, int index = 0)
    {
        var h = 14695981039346656037UL; // FNV-1a over the stream name, mixed with seed and index
        foreach (var c in stream)
        {
            h = (h ^ c) * 1099511628211UL;
        }
        var x = (ulong)seed ^ h ^ ((ulong)(uint)index << 32);
        return new SeededRandom(SplitMix(ref x));
    }

    public ulong NextUInt64()
    {
        var result = RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, maxExclusive).</summary>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        return (int)((NextUInt64() >> 32) * (ulong)maxExclusive >> 32);
    }

    /// <summary>Uniform in [minInclusive, maxExclusive).</summary>
    public int NextInt(int minInclusive, int maxExclusive) => minInclusive + NextInt(maxExclusive - minInclusive);

    public double Uniform(double min, double max) => min + ((max - min) * NextDouble());

    public bool Chance(double probability) => NextDouble() < probability;

    /// <summary>Standard normal (Marsaglia polar method).</summary>
    public double NextGaussian()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spareGaussian;
        }
        double u, v, s;
        do
        {
            u = (2 * NextDouble()) - 1;
            v = (2 * NextDouble()) - 1;
            s = (u * u) + (v * v);
        }
        while (s >= 1 || s == 0);
        var factor = Math.Sqrt(-2 * Math.Log(s) / s);
        _spareGaussian = v * factor;
        _hasSpare = true;
        return u * factor;
    }

    public double Gaussian(double mean, double stdDev) => mean + (stdDev * NextGaussian());

    /// <summary>Exponential with the given mean (inter-arrival times of a Poisson process).</summary>
    public double Exponential(double mean) => -mean * Math.Log(1 - NextDouble());

    public double LogNormal(double mu, double sigma) => Math.Exp(Gaussian(mu, sigma));

    /// <summary>Poisson-distributed count (Knuth for small means, normal approximation above 30).</summary>
    public int Poisson(double mean)
    {
        if (mean > 30)
        {
            return Math.Max(0, (int)Math.Round(Gaussian(mean, Math.Sqrt(mean))));
        }
        var limit = Math.Exp(-mean);
        var k = 0;
        var p = NextDouble();
        while (p > limit)
        {
            k++;
            p *= NextDouble();
        }
        return k;
    }

    /// <summary>Fills <paramref name="destination"/> with random bytes.</summary>
    public void NextBytes(Span<byte> destination)
    {
        var i = 0;
        while (i < destination.Length)
        {
            var r = NextUInt64();
            for (var b = 0; b < 8 && i < destination.Length; b++, i++)
            {
                destination[i] = (byte)(r >> (8 * b));
            }
        }
    }

    private static ulong SplitMix(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        var z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static ulong RotateLeft(ulong x, int k) => (x << k) | (x >> (64 - k));
}
