namespace Pipeline.Detection;

internal static class ScoreGuard
{
    public static void Check(ReadOnlySpan<float> rows, Span<float> scores, int dimension)
    {
        if ((long)scores.Length * dimension != rows.Length)
        {
            throw new ArgumentException(
                $"Expected {scores.Length} rows x {dimension} features = {(long)scores.Length * dimension} values, got {rows.Length}.",
                nameof(rows));
        }
    }

    public static float[] ScoreAll(IAnomalyDetector detector, FeatureMatrix data)
    {
        var scores = new float[data.Rows];
        detector.Score(data.Values, scores);
        return scores;
    }
}
