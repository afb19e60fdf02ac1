using Pipeline.Contracts;

namespace Pipeline.Dashboard;

/// <summary>Joins alerts to the labelled source events they point at (SourceTopic, SourcePartition,
/// SourceOffset) and scores the detection per stream: precision, recall, F1 and ROC AUC.</summary>
/// <remarks>Pure and thread-safe: no I/O. An event counts as detected when any alert points at it;
/// its score is the highest alert score. For the AUC, events without an alert all score below
/// every alert, so they tie with each other (ties count one half, the Mann–Whitney convention).</remarks>
public static class AlertEvaluator
{
    /// <summary>Evaluates the alerts against the labelled events.</summary>
    /// <exception cref="ArgumentException">The same topic/partition/offset is labelled twice.</exception>
    public static EvaluationReport Evaluate(IEnumerable<LabelledEvent> events, IEnumerable<Alert> alerts)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(alerts);
        var labels = new Dictionary<(string, int, long), LabelledEvent>();
        foreach (var e in events)
        {
            if (!labels.TryAdd((e.Topic, e.Partition, e.Offset), e))
            {
                throw new ArgumentException($"event {e.Topic}/{e.Partition}@{e.Offset} is labelled twice", nameof(events));
            }
        }

        var best = new Dictionary<(string, int, long), double>();
        long unmatched = 0;
        foreach (var a in alerts)
        {
            var key = (a.SourceTopic, a.SourcePartition, a.SourceOffset);
            if (!labels.ContainsKey(key))
            {
                unmatched++;
                continue;
            }
            best[key] = best.TryGetValue(key, out var s) ? Math.Max(s, a.Score) : a.Score;
        }

        var streams = labels
            .GroupBy(kv => kv.Value.Topic, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => EvaluateStream(g.Key, g.Select(kv => (kv.Value.IsAttack, best.TryGetValue(kv.Key, out var s) ? s : (double?)null))))
            .ToList();
        return new EvaluationReport(streams, unmatched);
    }

    /// <summary>ROC AUC of scores against binary labels via average ranks (ties count one half);
    /// NaN when either class is empty.</summary>
    public static double RocAuc(IReadOnlyList<(bool Positive, double Score)> scored)
    {
        ArgumentNullException.ThrowIfNull(scored);
        long positives = scored.Count(s => s.Positive);
        long negatives = scored.Count - positives;
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }

        var ordered = scored.OrderBy(s => s.Score).ToArray();
        double positiveRankSum = 0;
        for (var i = 0; i < ordered.Length;)
        {
            var j = i;
            while (j < ordered.Length && ordered[j].Score.Equals(ordered[i].Score))
            {
                j++;
            }
            var averageRank = ((i + 1) + j) / 2.0; // ranks i+1..j
            for (var k = i; k < j; k++)
            {
                if (ordered[k].Positive)
                {
                    positiveRankSum += averageRank;
                }
            }
            i = j;
        }
        return (positiveRankSum - (positives * (positives + 1) / 2.0)) / ((double)positives * negatives);
    }

    private static StreamEvaluation EvaluateStream(string stream, IEnumerable<(bool Attack, double? Score)> rows)
    {
        long tp = 0, fp = 0, fn = 0, tn = 0;
        var scored = new List<(bool, double)>();
        foreach (var (attack, score) in rows)
        {
            switch (attack, score.HasValue)
            {
                case (true, true): tp++; break;
                case (true, false): fn++; break;
                case (false, true): fp++; break;
                default: tn++; break;
            }
            scored.Add((attack, score ?? double.NegativeInfinity));
        }
        return new StreamEvaluation(stream, tp + fp + fn + tn, tp + fn, tp, fp, fn, tn, RocAuc(scored));
    }
}
