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

        samples.Sort();
        var rank = (int)Math.Ceiling(percentile / 100.0 * samples.Count);
        return samples[Math.Clamp(rank - 1, 0, samples.Count - 1)];
    }
}
