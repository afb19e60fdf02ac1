namespace Pipeline.Detection;

/// <summary>Calibrates a detector threshold as a quantile of training scores for an expected contamination rate.</summary>
public static class ThresholdCalibrator
{
    /// <summary>
    /// The (1 − <paramref name="contamination"/>) quantile of <paramref name="scores"/> (linear interpolation between order
    /// statistics). With contamination 0 the threshold is the maximum training score.
    /// </summary>
    /// <exception cref="ArgumentException">No scores, a non-finite score, or contamination outside [0, 1).</exception>
    public static double FromContamination(ReadOnlySpan<float> scores, double contamination)
    {
        if (!(contamination >= 0 && contamination < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(contamination), contamination, "Contamination must be in [0, 1).");
        }

        return Quantile(scores, 1 - contamination);
    }

    /// <summary>The <paramref name="q"/> quantile of <paramref name="values"/> with linear interpolation (NumPy's default).</summary>
    public static double Quantile(ReadOnlySpan<float> values, double q)
    {
        if (values.IsEmpty)
        {
            throw new ArgumentException("Cannot take a quantile of no scores.", nameof(values));
        }

        if (!(q >= 0 && q <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(q), q, "Quantile must be in [0, 1].");
        }

        var sorted = values.ToArray();
        foreach (var v in sorted)
        {
            if (!float.IsFinite(v))
            {
                throw new ArgumentException($"Score {v} is not finite.", nameof(values));
            }
        }

        Array.Sort(sorted);
        var position = q * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        var fraction = position - lower;
        return sorted[lower] + (fraction * ((double)sorted[upper] - sorted[lower]));
    }

    /// <summary>Scores <paramref name="data"/> with <paramref name="detector"/> and returns a copy thresholded at the contamination quantile.</summary>
    public static IAnomalyDetector Recalibrate(IAnomalyDetector detector, FeatureMatrix data, double contamination)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(data);
        var scores = ScoreGuard.ScoreAll(detector, data);
        return detector.WithThreshold(FromContamination(scores, contamination));
    }
}
