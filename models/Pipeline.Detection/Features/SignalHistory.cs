namespace Pipeline.Detection;

/// <summary>
/// Temporal context of one entity over k signals: the previous values, a ring of the last w values (rolling mean and
/// standard deviation), a slow exponential baseline (drift), the last timestamp and sequence number.
/// </summary>
internal sealed class SignalHistory
{
    private readonly float[] _ring; // w rows of k values
    private readonly int _signals;
    private readonly int _window;
    private int _next;

    public SignalHistory(int signals, int window)
    {
        _signals = signals;
        _window = window;
        _ring = new float[signals * window];
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
        for (var i = 0; i < n; i++) sum += _ring[(i * _signals) + signal];
        return (float)(sum / n);
    }

    public float Std(int signal) => Std(signal, Mean(signal));

    /// <summary>The rolling standard deviation given <paramref name="mean"/> = <see cref="Mean"/>(signal), which the
    /// featurizer has already computed (the same float, so the result is the same bits).</summary>
    public float Std(int signal, float mean)
    {
        var n = Filled;
        if (n < 2) return 0;
        double sum = 0;
        for (var i = 0; i < n; i++)
        {
            double diff = _ring[(i * _signals) + signal] - mean;
            sum += diff * diff;
        }

        return (float)Math.Sqrt(sum / (n - 1));
    }

    /// <summary>True when <paramref name="values"/> equals, exactly, one of the windowed earlier vectors.</summary>
    public bool RepeatsWindowedVector(ReadOnlySpan<float> values)
    {
        var n = Filled;
        for (var i = 0; i < n; i++)
        {
            if (_ring.AsSpan(i * _signals, _signals).SequenceEqual(values)) return true;
        }

        return false;
    }

    public void Push(ReadOnlySpan<float> values, DateTimeOffset timestamp, long sequence, double baselineAlpha)
    {
        for (var s = 0; s < _signals; s++)
        {
            Baseline[s] = Seen == 0 ? values[s] : Baseline[s] + (baselineAlpha * (values[s] - Baseline[s]));
        }

        values.CopyTo(Previous);
        values.CopyTo(_ring.AsSpan(_next * _signals, _signals));
        _next = (_next + 1) % _window;
        if (Seen < int.MaxValue) Seen++;
        LastTimestamp = timestamp;
        LastSequence = sequence;
    }
}
