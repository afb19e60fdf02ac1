using System.Numerics;
using System.Runtime.CompilerServices;

namespace Pipeline.Detection;

/// <summary>
/// Temporal context of one entity over k signals: the previous values, a ring of the last w values (rolling mean and
/// standard deviation), a slow exponential baseline (drift), the last timestamp and sequence number.
/// </summary>
internal sealed class SignalHistory
{
    private readonly float[] _ring; // w rows of k values, each row _stride long
    private readonly int _signals;
    private readonly int _stride; // k, or k rounded up to whole SIMD vectors when MeansAndStds can use them
    private readonly int _window;
    private int _next;

    public SignalHistory(int signals, int window)
    {
        _signals = signals;
        _window = window;
        var lanes = Vector<float>.Count;
        _stride = Vector.IsHardwareAccelerated && signals >= lanes / 2 ? (signals + lanes - 1) / lanes * lanes : signals;
        _ring = new float[_stride * window];
        Previous = new float[signals];
        Baseline = new double[signals];
    }

    /// <summary>Events seen so far (saturates at int.MaxValue).</summary>
    public int Seen { get; private set; }

    public int Filled => Math.Min(Seen, _window);

    public float[] Previous { get; }

    public double[] Baseline { get; }

    public DateTimeOffset LastTimestamp { get; private set; }

    public long LastSequence { get; private set; }

    /// <summary>sign(x) · log10(1 + |x|): time gaps spanning milliseconds to hours on one scale, 0 stays 0.</summary>
    public static float SignedLog(double x) => (float)(Math.Sign(x) * Math.Log10(1 + Math.Abs(x)));

    public float Mean(int signal)
    {
        var n = Filled;
        if (n == 0) return 0;
        double sum = 0;
        for (var i = 0; i < n; i++) sum += _ring[(i * _stride) + signal];
        return (float)(sum / n);
    }

    public float Std(int signal) => Std(signal, Mean(signal));

    // The rolling standard deviation given mean = Mean(signal), already computed by the caller (the same float, so the
    // result is the same bits).
    private float Std(int signal, float mean)
    {
        var n = Filled;
        if (n < 2) return 0;
        double sum = 0;
        for (var i = 0; i < n; i++)
        {
            double diff = _ring[(i * _stride) + signal] - mean;
            sum += diff * diff;
        }

        return (float)Math.Sqrt(sum / (n - 1));
    }

    /// <summary>
    /// <see cref="Mean"/> and <see cref="Std(int)"/> of every signal at once, the same bits: SIMD lanes run across signals, so
    /// each signal's sums still add its window rows in the same order, in double, with separate multiply and add; the
    /// difference from the mean is taken in float as in <see cref="Std(int)"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void MeansAndStds(Span<float> means, Span<float> stds)
    {
        var n = Filled;
        if (_stride == _signals || n == 0)
        {
            for (var s = 0; s < _signals; s++)
            {
                means[s] = Mean(s);
                stds[s] = Std(s, means[s]);
            }

            return;
        }

        var lanes = Vector<float>.Count;
        Span<float> lane = stackalloc float[lanes];
        for (var c = 0; c < _stride; c += lanes)
        {
            Vector<double> sumLow = Vector<double>.Zero, sumHigh = Vector<double>.Zero;
            for (var i = 0; i < n; i++)
            {
                Vector.Widen(new Vector<float>(_ring, (i * _stride) + c), out var low, out var high);
                sumLow += low;
                sumHigh += high;
            }

            var count = new Vector<double>(n);
            var mean = Vector.Narrow(sumLow / count, sumHigh / count);
            var std = Vector<float>.Zero;
            if (n >= 2)
            {
                Vector<double> squaresLow = Vector<double>.Zero, squaresHigh = Vector<double>.Zero;
                for (var i = 0; i < n; i++)
                {
                    Vector.Widen(new Vector<float>(_ring, (i * _stride) + c) - mean, out var low, out var high);
                    squaresLow += low * low;
                    squaresHigh += high * high;
                }

                var degrees = new Vector<double>(n - 1);
                std = Vector.Narrow(Vector.SquareRoot(squaresLow / degrees), Vector.SquareRoot(squaresHigh / degrees));
            }

            var used = Math.Min(lanes, _signals - c);
            mean.CopyTo(lane);
            lane[..used].CopyTo(means[c..]);
            std.CopyTo(lane);
            lane[..used].CopyTo(stds[c..]);
        }
    }

    /// <summary>True when <paramref name="values"/> equals, exactly, one of the windowed earlier vectors.</summary>
    public bool RepeatsWindowedVector(ReadOnlySpan<float> values)
    {
        var n = Filled;
        for (var i = 0; i < n; i++)
        {
            if (_ring.AsSpan(i * _stride, _signals).SequenceEqual(values)) return true;
        }

        return false;
    }

    /// <summary>
    /// Clamps each of <paramref name="values"/> to the window's mean ± <paramref name="sigmas"/> rolling standard
    /// deviations (at least ± 10⁻³·max(1, |mean|), so a window of equal values still follows a real change), once the window
    /// holds at least half its events: what a value far outside its window should enter the window as, so that one outlier
    /// does not move the rolling mean and standard deviation of the next w events.
    /// </summary>
    public void ClampToWindow(Span<float> values, double sigmas)
    {
        if (Filled < Math.Max(2, _window / 2)) return;
        for (var s = 0; s < _signals; s++)
        {
            var mean = Mean(s);
            var width = Math.Max(sigmas * Std(s, mean), 1e-3 * Math.Max(1, Math.Abs(mean)));
            values[s] = (float)Math.Clamp(values[s], mean - width, mean + width);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Push(ReadOnlySpan<float> values, DateTimeOffset timestamp, long sequence, double baselineAlpha)
    {
        for (var s = 0; s < _signals; s++)
        {
            Baseline[s] = Seen == 0 ? values[s] : Baseline[s] + (baselineAlpha * (values[s] - Baseline[s]));
        }

        values.CopyTo(Previous);
        values.CopyTo(_ring.AsSpan(_next * _stride, _signals));
        _next = (_next + 1) % _window;
        if (Seen < int.MaxValue) Seen++;
        LastTimestamp = timestamp;
        LastSequence = sequence;
    }
}
