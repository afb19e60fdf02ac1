using Pipeline.Contracts;
using Pipeline.Detection;
using Pipeline.Producers.Simulation;

namespace Pipeline.Bench.Detection;

/// <summary>ROC AUC per attack type: each type's events against every normal event, types in ordinal order.</summary>
internal static class AttackAuc
{
    public static IEnumerable<(string Attack, int Events, double Auc)> PerType(IReadOnlyList<float> scores, IReadOnlyList<string> labels) =>
        labels.Where(l => l != AttackLabels.Normal).Distinct().Order(StringComparer.Ordinal).Select(attack =>
        {
            var rows = Enumerable.Range(0, labels.Count).Where(i => labels[i] == AttackLabels.Normal || labels[i] == attack).ToArray();
            return (attack, rows.Count(i => labels[i] == attack), DetectionMetrics.RocAuc(rows.Select(i => scores[i]).ToArray(), rows.Select(i => labels[i] == attack).ToArray()));
        });
}
