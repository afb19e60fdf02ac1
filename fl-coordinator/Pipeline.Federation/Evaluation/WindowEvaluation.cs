using System.Globalization;
using Pipeline.Contracts;
using Pipeline.Detection;
using Pipeline.Producers.Simulation;

namespace Pipeline.Federation;

/// <summary>
/// Detection quality of a calibration candidate on the labelled part of the participants' windows: each participant
/// measures it with <see cref="Measure"/> and sends the numbers in its calibration report's local metrics; the
/// coordinator combines the reports with <see cref="Aggregate"/> into the calibrated GlobalModel's metrics
/// <c>auc</c>, <c>labelled</c>, <c>precision</c> and <c>recall</c>.
/// </summary>
/// <remarks>
/// <para>In-sample: the events are the ones the participants trained (and calibrated) on, so the figures are optimistic
/// compared with held-out data. Labels come from the <c>label</c> header the simulators set; events without it are
/// unlabelled and count for nothing (a real deployment has no labels, and then no metric is published).</para>
/// <para>ROC AUC needs no threshold, so each participant's value is exact for the published model (same bundle as the
/// candidate); the coordinator reports their mean weighted by labelled events. Precision and recall depend on the
/// threshold, which is the sample-weighted median of all reports' quantiles and so unknown to a participant when it
/// reports. Each participant therefore reports a sampled curve: at its own score quantiles 1 − m·c (c = contamination,
/// m in <see cref="GridMultipliers"/>, m = 1 being exactly the quantile it proposes) the threshold and how many labelled
/// attacks and labelled normal events score above it. The coordinator interpolates each participant's counts linearly
/// between the two grid thresholds around the published threshold (exact when it is a grid point, e.g. the proposal of
/// the participant the median picked; clamped to the grid's ends outside it) and pools them.</para>
/// <para>Pure and thread-safe. Malformed evaluation metrics (non-finite, negative, inconsistent counts) drop that
/// report from the evaluation; they never fail the round.</para>
/// </remarks>
public static class WindowEvaluation
{
    /// <summary>Metric: labelled events (attacks and normal) the figures rest on.</summary>
    public const string LabelledMetric = "labelled";

    /// <summary>Metric: labelled attack events among them (a report's; on a GlobalModel, those of the reports with an AUC).</summary>
    public const string LabelledAttacksMetric = "labelled_attacks";

    /// <summary>Metric: ROC AUC of the candidate's scores on the labelled events.</summary>
    public const string AucMetric = "auc";

    /// <summary>Metric (GlobalModel): pooled precision at the published threshold.</summary>
    public const string PrecisionMetric = "precision";

    /// <summary>Metric (GlobalModel): pooled recall at the published threshold.</summary>
    public const string RecallMetric = "recall";

    private const string GridThreshold = "eval_threshold_";
    private const string GridAttacks = "eval_attacks_above_";
    private const string GridNormals = "eval_normals_above_";

    /// <summary>
    /// Multipliers m of the contamination c at whose score quantiles 1 − m·c a participant samples its counts, in
    /// increasing quantile (threshold) order; m = 1 is the reported threshold itself.
    /// </summary>
    public static IReadOnlyList<double> GridMultipliers { get; } = [8, 4, 2, 1.5, 1, 0.75, 0.5, 0.25];

    /// <summary>Whether <paramref name="label"/> marks an attack: null when absent or empty (unlabelled), false for <c>normal</c>.</summary>
    public static bool? IsAttack(string? label) =>
        string.IsNullOrWhiteSpace(label) ? null : !string.Equals(label.Trim(), AttackLabels.Normal, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A participant's evaluation metrics for <paramref name="scores"/> (the candidate's scores on its whole window) and
    /// the window's <paramref name="labels"/> (null = unlabelled); empty when no event is labelled.
    /// </summary>
    /// <exception cref="ArgumentException">Lengths differ, a non-finite score, or contamination outside [0, 1).</exception>
    public static IReadOnlyList<NamedValue> Measure(ReadOnlySpan<float> scores, IReadOnlyList<string?> labels, double contamination)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (scores.Length != labels.Count) throw new ArgumentException($"Got {scores.Length} scores but {labels.Count} labels.", nameof(labels));
        if (!(contamination >= 0 && contamination < 1)) throw new ArgumentOutOfRangeException(nameof(contamination), contamination, "Contamination must be in [0, 1).");
        var labelledScores = new List<float>();
        var attack = new List<bool>();
        for (var i = 0; i < scores.Length; i++)
        {
            if (IsAttack(labels[i]) is not { } isAttack) continue;
            labelledScores.Add(scores[i]);
            attack.Add(isAttack);
        }

        if (labelledScores.Count == 0) return [];
        var attacks = attack.Count(a => a);
        var metrics = new List<NamedValue>
        {
            new(LabelledMetric, labelledScores.Count),
            new(LabelledAttacksMetric, attacks),
        };
        var auc = DetectionMetrics.RocAuc(labelledScores.ToArray(), attack.ToArray());
        if (double.IsFinite(auc)) metrics.Add(new(AucMetric, auc));
        for (var k = 0; k < GridMultipliers.Count; k++)
        {
            var threshold = ThresholdCalibrator.FromContamination(scores, Math.Min(GridMultipliers[k] * contamination, 0.999));
            long attacksAbove = 0, normalsAbove = 0;
            for (var i = 0; i < labelledScores.Count; i++)
            {
                if (!(labelledScores[i] > threshold)) continue; // flagged as DetectionMetrics does: score > threshold
                if (attack[i]) attacksAbove++; else normalsAbove++;
            }

            metrics.Add(new(GridThreshold + Index(k), threshold));
            metrics.Add(new(GridAttacks + Index(k), attacksAbove));
            metrics.Add(new(GridNormals + Index(k), normalsAbove));
        }

        return metrics;
    }

    /// <summary>
    /// The GlobalModel metrics from the participants' report metrics at the published <paramref name="threshold"/>:
    /// <c>auc</c> (mean of the reported AUCs weighted by each report's labelled events), <c>labelled</c> and
    /// <c>labelled_attacks</c> (the labelled events and attacks of the reports with an AUC: what the AUC rests on),
    /// <c>precision</c> and <c>recall</c> (pooled interpolated counts of every
    /// labelled report). Each metric is absent when undefined — no labelled report at all gives an empty list.
    /// </summary>
    public static IReadOnlyList<NamedValue> Aggregate(IEnumerable<IReadOnlyList<NamedValue>> reports, double threshold)
    {
        ArgumentNullException.ThrowIfNull(reports);
        double aucSum = 0, aucWeight = 0, aucAttacks = 0, flaggedAttacks = 0, flaggedNormals = 0, attacks = 0;
        var counted = false;
        foreach (var metrics in reports)
        {
            if (Parse(metrics) is not { } report) continue;
            if (report.Auc is { } auc)
            {
                aucSum += auc * report.Labelled;
                aucWeight += report.Labelled;
                aucAttacks += report.Attacks;
            }

            if (!double.IsFinite(threshold) || report.Grid.Count == 0) continue;
            var (a, n) = Interpolate(report.Grid, threshold);
            flaggedAttacks += a;
            flaggedNormals += n;
            attacks += report.Attacks;
            counted = true;
        }

        var result = new List<NamedValue>();
        if (aucWeight > 0)
        {
            result.Add(new(AucMetric, aucSum / aucWeight));
            result.Add(new(LabelledMetric, aucWeight));
            result.Add(new(LabelledAttacksMetric, aucAttacks));
        }

        if (counted && flaggedAttacks + flaggedNormals > 0) result.Add(new(PrecisionMetric, flaggedAttacks / (flaggedAttacks + flaggedNormals)));
        if (counted && attacks > 0) result.Add(new(RecallMetric, flaggedAttacks / attacks));
        return result;
    }

    private static (double Attacks, double Normals) Interpolate(IReadOnlyList<GridPoint> grid, double threshold)
    {
        if (threshold <= grid[0].Threshold) return (grid[0].Attacks, grid[0].Normals);
        if (threshold >= grid[^1].Threshold) return (grid[^1].Attacks, grid[^1].Normals);
        var k = 0;
        while (grid[k + 1].Threshold <= threshold) k++;
        var (low, high) = (grid[k], grid[k + 1]);
        var span = high.Threshold - low.Threshold;
        var f = span > 0 ? (threshold - low.Threshold) / span : 0;
        return (low.Attacks + (f * (high.Attacks - low.Attacks)), low.Normals + (f * (high.Normals - low.Normals)));
    }

    private static Report? Parse(IReadOnlyList<NamedValue> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        double? Value(string name) => metrics.FirstOrDefault(m => m.Name == name)?.Value;
        if (Value(LabelledMetric) is not { } labelled || !(labelled >= 1)) return null;
        var attacks = Value(LabelledAttacksMetric) ?? double.NaN;
        if (!(attacks >= 0 && attacks <= labelled)) return null;
        var auc = Value(AucMetric);
        if (auc is { } a && !(a >= 0 && a <= 1)) return null;
        var grid = new List<GridPoint>();
        for (var k = 0; Value(GridThreshold + Index(k)) is { } t; k++)
        {
            var above = Value(GridAttacks + Index(k)) ?? double.NaN;
            var normals = Value(GridNormals + Index(k)) ?? double.NaN;
            if (!double.IsFinite(t) || !(above >= 0 && above <= attacks) || !(normals >= 0 && normals <= labelled - attacks)) return null;
            if (grid.Count > 0 && (t < grid[^1].Threshold || above > grid[^1].Attacks || normals > grid[^1].Normals)) return null; // not a curve
            grid.Add(new GridPoint(t, above, normals));
        }

        return new Report(labelled, attacks, auc, grid);
    }

    private static string Index(int k) => k.ToString(CultureInfo.InvariantCulture);

    private sealed record GridPoint(double Threshold, double Attacks, double Normals);

    private sealed record Report(double Labelled, double Attacks, double? Auc, IReadOnlyList<GridPoint> Grid);
}
