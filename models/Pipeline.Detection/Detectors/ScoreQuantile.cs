using System.Runtime.CompilerServices;

namespace Pipeline.Detection;

/// <summary>
/// Quantiles of training scores by selection instead of sorting: O(n) and in place, for the detectors' threshold
/// calibration on up to all training rows.
/// </summary>
/// <remarks>
/// <see cref="ThresholdCalibrator"/> computes its quantiles here on a copy of the scores; the detectors' calibration
/// calls it on scores of their own, which it reorders.
/// </remarks>
internal static class ScoreQuantile
{
    /// <summary>The (1 − <paramref name="contamination"/>) quantile of <paramref name="scores"/>, reordering them.</summary>
    /// <exception cref="ArgumentException">No scores, a non-finite score, or contamination outside [0, 1).</exception>
    public static double FromContamination(Span<float> scores, double contamination)
    {
        if (!(contamination >= 0 && contamination < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(contamination), contamination, "Contamination must be in [0, 1).");
        }

        return Quantile(scores, 1 - contamination);
    }

    /// <summary>The <paramref name="q"/> quantile of <paramref name="scores"/> with linear interpolation between order
    /// statistics (NumPy's default), reordering them.</summary>
    /// <exception cref="ArgumentException">No scores, a non-finite score, or q outside [0, 1].</exception>
    public static double Quantile(Span<float> scores, double q)
    {
        if (scores.IsEmpty) throw new ArgumentException("Cannot take a quantile of no scores.", nameof(scores));
        if (!(q >= 0 && q <= 1)) throw new ArgumentOutOfRangeException(nameof(q), q, "Quantile must be in [0, 1].");
        foreach (var v in scores)
        {
            if (!float.IsFinite(v)) throw new ArgumentException($"Score {v} is not finite.", nameof(scores));
        }

        var position = q * (scores.Length - 1);
        var lower = (int)Math.Floor(position);
        var fraction = position - lower;
        var low = Select(scores, lower);
        if (lower + 1 >= scores.Length) return low;

        // After selection every score right of `lower` is ≥ it; the next order statistic is their minimum.
        var high = float.PositiveInfinity;
        foreach (var v in scores[(lower + 1)..]) high = Math.Min(high, v);
        return low + (fraction * ((double)high - low));
    }

    /// <summary>
    /// Puts the <paramref name="k"/>-th smallest value (0-based) at index k, smaller-or-equal values left of it and
    /// greater-or-equal values right of it (Hoare partitions around a median of three; equal values split evenly).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Select(Span<float> values, int k)
    {
        var lo = 0;
        var hi = values.Length - 1;
        while (hi - lo >= 16)
        {
            var mid = lo + ((hi - lo) / 2);
            var pivot = MedianOfThree(values[lo], values[mid], values[hi]);
            var i = lo;
            var j = hi;
            while (i <= j)
            {
                while (values[i] < pivot) i++;
                while (values[j] > pivot) j--;
                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }

            // Now values[lo..j] ≤ pivot, values[i..hi] ≥ pivot and anything strictly between equals the pivot.
            if (k <= j) hi = j;
            else if (k >= i) lo = i;
            else return values[k];
        }

        for (var i = lo + 1; i <= hi; i++)
        {
            var v = values[i];
            var j = i - 1;
            while (j >= lo && values[j] > v)
            {
                values[j + 1] = values[j];
                j--;
            }

            values[j + 1] = v;
        }

        return values[k];
    }

    private static float MedianOfThree(float a, float b, float c) => Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));

    /// <summary>The indices of the <paramref name="keep"/> lowest <paramref name="scores"/>, ties broken by lower index
    /// (so a trimmed fit is deterministic), in index order: the rows a trimming round refits on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int[] LowestScores(float[] scores, int keep)
    {
        var boundary = Select(scores.ToArray(), keep - 1);
        var below = 0;
        foreach (var s in scores) if (s < boundary) below++;
        var kept = new int[keep];
        var atBoundary = keep - below;
        var n = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            if (scores[i] < boundary || (scores[i] == boundary && atBoundary-- > 0)) kept[n++] = i;
        }

        return kept;
    }
}
