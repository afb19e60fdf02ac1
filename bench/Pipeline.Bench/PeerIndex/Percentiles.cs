namespace Pipeline.Bench.PeerIndex;

/// <summary>Nearest-rank percentiles over recorded samples.</summary>
internal static class Percentiles
{
    public static double Of(List<double> samples, double percentile) => Of(samples, [percentile])[0];

    /// <summary>Several percentiles of the same samples, sorted once (NaN each when there are none).</summary>
    public static double[] Of(List<double> samples, params ReadOnlySpan<double> percentiles)
    {
        var result = new double[percentiles.Length];
        if (samples.Count == 0)
        {
            Array.Fill(result, double.NaN);
            return result;
        }

        // Sorts a copy: callers keep lists aligned with others (a run's per-event latencies), and sorting them in
        // place once paired one event's detection latency with another's delivery latency.
        var sorted = samples.ToArray();
        Array.Sort(sorted);
        for (var i = 0; i < percentiles.Length; i++)
        {
            var rank = (int)Math.Ceiling(percentiles[i] / 100.0 * sorted.Length);
            result[i] = sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
        }
        return result;
    }
}
