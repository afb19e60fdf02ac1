namespace Pipeline.Detection;

/// <summary>Evaluation metrics for anomaly scores against ground-truth labels (true = anomaly).</summary>
public static class DetectionMetrics
{
    /// <summary>Computes every metric; rows with score &gt; <paramref name="threshold"/> are predicted anomalous.</summary>
    /// <exception cref="ArgumentException">Lengths differ, no rows, or a non-finite score.</exception>
    public static EvaluationReport Evaluate(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels, double threshold)
    {
        Validate(scores, labels);
        long tp = 0, fp = 0, tn = 0, fn = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            var predicted = scores[i] > threshold;
            if (predicted)
            {
                if (labels[i]) tp++; else fp++;
            }
            else
            {
                if (labels[i]) fn++; else tn++;
            }
        }

        var total = (double)(tp + fp + tn + fn);
        var precision = tp + fp == 0 ? 0 : tp / (double)(tp + fp);
        var recall = tp + fn == 0 ? 0 : tp / (double)(tp + fn);
        var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        var fpr = fp + tn == 0 ? 0 : fp / (double)(fp + tn);
        return new EvaluationReport(tp, fp, tn, fn, (tp + tn) / total, precision, recall, f1, fpr, RocAuc(scores, labels), PrAuc(scores, labels));
    }

    /// <summary>
    /// ROC AUC as the Mann–Whitney statistic: the probability that a random anomaly scores higher than a random normal
    /// row, ties counting one half (average ranks). Returns NaN when one class is absent.
    /// </summary>
    public static double RocAuc(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels)
    {
        Validate(scores, labels);
        var order = SortedIndices(scores, descending: false);
        double positiveRankSum = 0;
        long positives = 0;
        var i = 0;
        while (i < order.Length)
        {
            var j = i;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[i]]) j++;
            var averageRank = ((i + 1) + (j + 1)) / 2.0; // ranks are 1-based; a tie group shares its mean rank
            for (var k = i; k <= j; k++)
            {
                if (labels[order[k]])
                {
                    positiveRankSum += averageRank;
                    positives++;
                }
            }

            i = j + 1;
        }

        var negatives = scores.Length - positives;
        if (positives == 0 || negatives == 0) return double.NaN;
        return (positiveRankSum - (positives * (positives + 1) / 2.0)) / (positives * (double)negatives);
    }

    /// <summary>
    /// PR AUC as average precision: Σ (R_k − R_{k−1}) · P_k over descending score thresholds, rows with equal scores
    /// entering together (as scikit-learn's average_precision_score). Returns NaN when there is no anomaly.
    /// </summary>
    public static double PrAuc(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels)
    {
        Validate(scores, labels);
        long positives = 0;
        foreach (var l in labels) if (l) positives++;
        if (positives == 0) return double.NaN;

        var order = SortedIndices(scores, descending: true);
        long tp = 0, flagged = 0;
        double previousRecall = 0, area = 0;
        var i = 0;
        while (i < order.Length)
        {
            var j = i;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[i]]) j++;
            for (var k = i; k <= j; k++)
            {
                flagged++;
                if (labels[order[k]]) tp++;
            }

            var recall = tp / (double)positives;
            var precision = tp / (double)flagged;
            area += (recall - previousRecall) * precision;
            previousRecall = recall;
            i = j + 1;
        }

        return area;
    }

    private static int[] SortedIndices(ReadOnlySpan<float> scores, bool descending)
    {
        var keys = scores.ToArray();
        var order = new int[keys.Length];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(keys, order);
        if (descending) Array.Reverse(order);
        return order;
    }

    private static void Validate(ReadOnlySpan<float> scores, ReadOnlySpan<bool> labels)
    {
        if (scores.Length != labels.Length)
        {
            throw new ArgumentException($"Got {scores.Length} scores but {labels.Length} labels.", nameof(labels));
        }

        if (scores.IsEmpty)
        {
            throw new ArgumentException("Cannot evaluate an empty set of scores.", nameof(scores));
        }

        foreach (var s in scores)
        {
            if (!float.IsFinite(s))
            {
                throw new ArgumentException($"Score {s} is not finite.", nameof(scores));
            }
        }
    }
}
