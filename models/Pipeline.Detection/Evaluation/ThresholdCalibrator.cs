namespace Pipeline.Detection;

/// <summary>Calibrates a detector threshold as a quantile of training scores for an expected contamination rate.</summary>
public static class ThresholdCalibrator
{
    /// <summary>
    /// The (1 − <paramref name="contamination"/>) quantile of <paramref name="scores"/> (linear interpolation between order
    /// statistics). With contamination 0 the threshold is the maximum training score.
    /// </summary>
    /// <exception cref="ArgumentException">No scores, a non-finite score, or contamination outside [0, 1).</exception>
    public static double FromContamination(ReadOnlySpan<float> scores, double contamination) =>
        ScoreQuantile.FromContamination(scores.ToArray(), contamination);

    /// <summary>The <paramref name="q"/> quantile of <paramref name="values"/> with linear interpolation (NumPy's default).</summary>
    /// <exception cref="ArgumentException">No values, a non-finite value, or q outside [0, 1].</exception>
    public static double Quantile(ReadOnlySpan<float> values, double q) => ScoreQuantile.Quantile(values.ToArray(), q);

    /// <summary>Scores <paramref name="data"/> with <paramref name="detector"/> and returns a copy thresholded at the contamination quantile.</summary>
    public static IAnomalyDetector Recalibrate(IAnomalyDetector detector, FeatureMatrix data, double contamination)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(data);
        var scores = ScoreGuard.ScoreAll(detector, data);
        return detector.WithThreshold(FromContamination(scores, contamination));
    }
}
