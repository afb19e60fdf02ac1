namespace Pipeline.Bench.PeerIndex;

/// <summary>Nearest-rank percentiles over recorded samples.</summary>
internal static class Percentiles
{
    public static double Of(List<double> samples, double percentile)
    {
        if (samples.Count == 0)
        {
            return double.NaN;
        }

        // Sorts a copy: callers keep lists aligned with others (a run's per-event latencies), and sorting them in
        // place once paired one event's detection latency with another's delivery latency.
        var sorted = samples.ToArray();
        Array.Sort(sorted);
        var rank = (int)Math.Ceiling(percentile / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
