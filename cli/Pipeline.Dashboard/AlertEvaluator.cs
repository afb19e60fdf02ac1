using Pipeline.Contracts;

namespace Pipeline.Dashboard;

/// <summary>Joins alerts to the labelled source events they point at (SourceTopic, SourcePartition,
/// SourceOffset) and scores the detection per stream: precision, recall, F1 and false-positive rate.</summary>
/// <remarks>Pure and thread-safe: no I/O. An event counts as detected when any alert points at it; attack events are
/// also counted per attack type (their label). An alert below the first labelled offset of its partition points at a
/// record retention removed; it is counted apart.</remarks>
public static class AlertEvaluator
{
    /// <summary>Evaluates the alerts against the labelled events.</summary>
    /// <param name="events">The labelled source records read.</param>
    /// <param name="alerts">The alerts read.</param>
    /// <param name="firstOffsets">The first offset read of each source partition, labelled record or not; by default the
    /// first labelled one. An alert below it points at a record that retention removed.</param>
    /// <exception cref="ArgumentException">The same topic/partition/offset is labelled twice.</exception>
    public static EvaluationReport Evaluate(
        IEnumerable<LabelledEvent> events, IEnumerable<Alert> alerts, IReadOnlyDictionary<(string Topic, int Partition), long>? firstOffsets = null)
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
        var firstRead = firstOffsets
            ?? labels.Keys.GroupBy(k => (k.Item1, k.Item2)).ToDictionary(g => g.Key, g => g.Min(k => k.Item3));

        var alerted = new HashSet<(string, int, long)>();
        long unmatched = 0, expired = 0;
        foreach (var a in alerts)
        {
            var key = (a.SourceTopic, a.SourcePartition, a.SourceOffset);
            if (labels.ContainsKey(key))
            {
                alerted.Add(key);
            }
            else if (firstRead.TryGetValue((a.SourceTopic, a.SourcePartition), out var first) && a.SourceOffset < first)
            {
                expired++;
            }
            else
            {
                unmatched++;
            }
        }

        var streams = labels
            .GroupBy(kv => kv.Value.Topic, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => EvaluateStream(g.Key, g.Select(kv => (kv.Value, alerted.Contains(kv.Key)))))
            .ToList();
        return new EvaluationReport(streams, unmatched, expired);
    }

    private static StreamEvaluation EvaluateStream(string stream, IEnumerable<(LabelledEvent Event, bool Alerted)> rows)
    {
        long tp = 0, fp = 0, fn = 0, tn = 0;
        var byAttack = new SortedDictionary<string, (long Events, long Detected)>(StringComparer.Ordinal);
        foreach (var (e, alerted) in rows)
        {
            switch (e.IsAttack, alerted)
            {
                case (true, true): tp++; break;
                case (true, false): fn++; break;
                case (false, true): fp++; break;
                default: tn++; break;
            }
            if (e.IsAttack)
            {
                var (events, detected) = byAttack.GetValueOrDefault(e.Label);
                byAttack[e.Label] = (events + 1, detected + (alerted ? 1 : 0));
            }
        }
        return new StreamEvaluation(stream, tp + fp + fn + tn, tp + fn, tp, fp, fn, tn,
            [.. byAttack.Select(a => new AttackDetection(a.Key, a.Value.Events, a.Value.Detected))]);
    }
}
