using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Federation.Tests;

/// <summary>
/// In-sample detection quality of the calibration candidate: participants measure it on the labelled events of their
/// windows, the coordinator puts the combined figures on the calibrated GlobalModel.
/// </summary>
public sealed class WindowEvaluationUnitTests : IDisposable
{
    // 8 % attacks (2 % of each of four types), so every 600-reading window holds both classes.
    private static readonly Dictionary<string, List<(DeviceReading Reading, bool Attack)>> Windows = ScenarioData.Telemetry(clusters: 3, count: 600, seed: 5, attackRate: 0.02);

    private static readonly Lazy<(GlobalModel Candidate, ModelBundle Bundle)> SharedCandidate = new(BuildCandidate);

    private readonly CalibrationRound _round = NewRound();

    [Fact]
    public void Calibrate_PartlyLabelledWindow_ReportsTheAucDetectionMetricsGivesOnTheLabelledScores()
    {
        var (candidate, bundle) = Candidate();
        var (cluster, readings) = Windows.First();
        var window = new LocalWindow(Topics.IiotTelemetry, readings.Count);
        for (var i = 0; i < readings.Count; i++)
        {
            // Every third event arrives without a label header: unlabelled, it must count for nothing.
            window.Add(readings[i].Reading, i % 3 == 2 ? null : readings[i].Attack ? "sensor_spoofing" : "normal");
        }

        var (local, labels) = window.FeaturizeWithLabels(bundle.Layout);
        var id = FederationOptions.ParticipantIdFor(cluster);

        var report = ParticipantTrainer.Calibrate(_round.Announcement(2, candidate.Version, 0), bundle, local, _round.Options, id, cluster, _round.Keys[id], DateTimeOffset.UnixEpoch, labels);

        var scores = new float[local.Count];
        bundle.Detector.Score(local.WithRelations(bundle.Relations).ToInputs(bundle.Standardizer).Values, scores);
        var labelled = Enumerable.Range(0, readings.Count).Where(i => i % 3 != 2).ToList();
        var labelledScores = labelled.Select(i => scores[i]).ToArray();
        var truth = labelled.Select(i => readings[i].Attack).ToArray();
        Assert.Contains(truth, t => t);
        Assert.Equal(DetectionMetrics.RocAuc(labelledScores, truth), Metric(report.LocalMetrics, WindowEvaluation.AucMetric));
        Assert.Equal(labelled.Count, Metric(report.LocalMetrics, WindowEvaluation.LabelledMetric));
        Assert.Equal(truth.Count(t => t), Metric(report.LocalMetrics, WindowEvaluation.LabelledAttacksMetric));

        // The grid point of multiplier 1 is the reported quantile itself, with the confusion counts DetectionMetrics gives there.
        var k = WindowEvaluation.GridMultipliers.ToList().IndexOf(1);
        var threshold = Metric(report.LocalMetrics, RoundAggregator.ThresholdMetric);
        Assert.Equal(threshold, Metric(report.LocalMetrics, $"eval_threshold_{k}"));
        var expected = DetectionMetrics.Evaluate(labelledScores, truth, threshold);
        Assert.Equal(expected.TruePositives, Metric(report.LocalMetrics, $"eval_attacks_above_{k}"));
        Assert.Equal(expected.FalsePositives, Metric(report.LocalMetrics, $"eval_normals_above_{k}"));
    }

    [Fact]
    public void Calibrate_LabelledReports_ModelCarriesTheirAggregateAtThePublishedThreshold()
    {
        var (candidate, bundle) = Candidate();
        var reports = _round.Collector(candidate);
        foreach (var (cluster, readings) in Windows)
        {
            var id = FederationOptions.ParticipantIdFor(cluster);
            var labels = readings.Select(r => r.Attack ? "replay" : "normal").ToList();
            var report = ParticipantTrainer.Calibrate(reports.Announcement, bundle, BundleTrainer.Featurize(bundle.Layout, [.. readings.Select(r => r.Reading)]), _round.Options, id, cluster, _round.Keys[id], DateTimeOffset.UnixEpoch, labels);
            Assert.Null(reports.Offer(report, 100));
        }

        var (model, _) = RoundAggregator.Calibrate(candidate, bundle, reports, candidate.Version + 1, DateTimeOffset.UnixEpoch);

        var expected = WindowEvaluation.Aggregate([.. reports.Accepted.Select(a => a.Update.LocalMetrics)], model.Threshold);
        Assert.Equal(5, expected.Count);
        foreach (var metric in expected) Assert.Equal(metric.Value, Metric(model.Metrics, metric.Name));
        Assert.Equal(Windows.Values.Sum(w => w.Count), Metric(model.Metrics, WindowEvaluation.LabelledMetric));
    }

    [Fact]
    public void Calibrate_OneLabelledReport_PrecisionAndRecallAreDetectionMetricsAtThePublishedThreshold()
    {
        var (candidate, bundle) = Candidate();
        var reports = _round.Collector(candidate);
        var (cluster, readings) = Windows.Last();
        var id = FederationOptions.ParticipantIdFor(cluster);
        var local = BundleTrainer.Featurize(bundle.Layout, [.. readings.Select(r => r.Reading)]);
        var report = ParticipantTrainer.Calibrate(reports.Announcement, bundle, local, _round.Options, id, cluster, _round.Keys[id], DateTimeOffset.UnixEpoch, [.. readings.Select(r => r.Attack ? "slow_drift" : "normal")]);
        Assert.Null(reports.Offer(report, 100));

        var (model, _) = RoundAggregator.Calibrate(candidate, bundle, reports, candidate.Version + 1, DateTimeOffset.UnixEpoch);

        // One report: the published threshold is its own quantile, a grid point, so the pooled figures are exact.
        var scores = new float[local.Count];
        bundle.Detector.Score(local.WithRelations(bundle.Relations).ToInputs(bundle.Standardizer).Values, scores);
        var expected = DetectionMetrics.Evaluate(scores, [.. readings.Select(r => r.Attack)], model.Threshold);
        Assert.Equal(expected.Precision, Metric(model.Metrics, WindowEvaluation.PrecisionMetric), 12);
        Assert.Equal(expected.Recall, Metric(model.Metrics, WindowEvaluation.RecallMetric), 12);
        Assert.Equal(expected.RocAuc, Metric(model.Metrics, WindowEvaluation.AucMetric), 12);
    }

    [Fact]
    public void Calibrate_UnlabelledWindows_ModelHasNoEvaluationMetric()
    {
        var (candidate, bundle) = Candidate();
        var reports = _round.Collector(candidate);
        foreach (var (cluster, readings) in Windows)
        {
            var id = FederationOptions.ParticipantIdFor(cluster);
            var unlabelled = new string?[readings.Count];
            var report = ParticipantTrainer.Calibrate(reports.Announcement, bundle, BundleTrainer.Featurize(bundle.Layout, [.. readings.Select(r => r.Reading)]), _round.Options, id, cluster, _round.Keys[id], DateTimeOffset.UnixEpoch, unlabelled);
            Assert.DoesNotContain(report.LocalMetrics, m => m.Name == WindowEvaluation.LabelledMetric);
            Assert.Null(reports.Offer(report, 100));
        }

        var (model, _) = RoundAggregator.Calibrate(candidate, bundle, reports, candidate.Version + 1, DateTimeOffset.UnixEpoch);

        Assert.Contains(model.Metrics, m => m.Name == "calibration_reports" && m.Value == 3);
        Assert.DoesNotContain(model.Metrics, m => m.Name is WindowEvaluation.AucMetric or WindowEvaluation.LabelledMetric or WindowEvaluation.PrecisionMetric or WindowEvaluation.RecallMetric);
    }

    [Fact]
    public void Aggregate_TwoReports_AucIsTheLabelledWeightedMeanAndCountsArePooledAtTheThreshold()
    {
        // A: 100 labelled (10 attacks), AUC 0.9; its grid has the threshold 2 itself.
        // B: 300 labelled (20 attacks), AUC 0.7; 2 lies halfway between its grid thresholds 1.5 and 2.5.
        var a = Report(labelled: 100, attacks: 10, auc: 0.9, (1, 10, 30), (2, 8, 10), (3, 4, 2));
        var b = Report(labelled: 300, attacks: 20, auc: 0.7, (1.5, 18, 40), (2.5, 10, 5));

        var metrics = WindowEvaluation.Aggregate([a, b], threshold: 2);

        Assert.Equal((0.9 * 100 + 0.7 * 300) / 400, Metric(metrics, WindowEvaluation.AucMetric), 12);
        Assert.Equal(400, Metric(metrics, WindowEvaluation.LabelledMetric));
        Assert.Equal(30, Metric(metrics, WindowEvaluation.LabelledAttacksMetric));
        var (attacksAbove, normalsAbove) = (8 + 14.0, 10 + 22.5);
        Assert.Equal(attacksAbove / (attacksAbove + normalsAbove), Metric(metrics, WindowEvaluation.PrecisionMetric), 12);
        Assert.Equal(attacksAbove / 30, Metric(metrics, WindowEvaluation.RecallMetric), 12);
    }

    [Fact]
    public void Aggregate_ThresholdOutsideTheGrid_ClampsToTheGridEnds()
    {
        var report = Report(labelled: 50, attacks: 5, auc: 0.8, (1, 5, 20), (2, 2, 4));

        var below = WindowEvaluation.Aggregate([report], threshold: 0.1);
        var above = WindowEvaluation.Aggregate([report], threshold: 9);

        Assert.Equal(5 / 25.0, Metric(below, WindowEvaluation.PrecisionMetric), 12);
        Assert.Equal(1, Metric(below, WindowEvaluation.RecallMetric), 12);
        Assert.Equal(2 / 6.0, Metric(above, WindowEvaluation.PrecisionMetric), 12);
        Assert.Equal(2 / 5.0, Metric(above, WindowEvaluation.RecallMetric), 12);
    }

    [Fact]
    public void Aggregate_OnlyNormalsLabelled_CountsForPrecisionButGivesNoAucOrRecall()
    {
        var normalsOnly = Report(labelled: 80, attacks: 0, auc: null, (1, 0, 6), (2, 0, 2));

        var metrics = WindowEvaluation.Aggregate([normalsOnly], threshold: 1);

        Assert.Equal(0, Metric(metrics, WindowEvaluation.PrecisionMetric));
        Assert.DoesNotContain(metrics, m => m.Name is WindowEvaluation.AucMetric or WindowEvaluation.LabelledMetric or WindowEvaluation.LabelledAttacksMetric or WindowEvaluation.RecallMetric);
    }

    [Fact]
    public void Aggregate_MalformedOrUnlabelledReports_AreLeftOut()
    {
        var good = Report(labelled: 100, attacks: 10, auc: 0.9, (1, 10, 30), (2, 8, 10));
        var aucOutOfRange = Report(labelled: 100, attacks: 10, auc: 1.5, (1, 10, 30));
        var moreAttacksThanLabelled = Report(labelled: 10, attacks: 20, auc: 0.6, (1, 10, 30));
        var notACurve = Report(labelled: 100, attacks: 10, auc: 0.2, (1, 2, 30), (2, 8, 10));
        IReadOnlyList<NamedValue> unlabelled = [new(RoundAggregator.ThresholdMetric, 1.2)];

        var metrics = WindowEvaluation.Aggregate([good, aucOutOfRange, moreAttacksThanLabelled, notACurve, unlabelled], threshold: 2);

        Assert.Equal(0.9, Metric(metrics, WindowEvaluation.AucMetric));
        Assert.Equal(100, Metric(metrics, WindowEvaluation.LabelledMetric));
        Assert.Empty(WindowEvaluation.Aggregate([unlabelled], threshold: 2));
    }

    [Fact]
    public void Measure_NoLabelledEvent_IsEmpty()
    {
        Assert.Empty(WindowEvaluation.Measure(new float[] { 1, 2, 3 }, [null, "", " "], 0.1));
        Assert.Throws<ArgumentException>(() => WindowEvaluation.Measure(new float[] { 1, 2 }, ["normal"], 0.1));
    }

    public void Dispose() => _round.Dispose();

    private static IReadOnlyList<NamedValue> Report(double labelled, double attacks, double? auc, params (double Threshold, double Attacks, double Normals)[] grid)
    {
        var metrics = new List<NamedValue>
        {
            new(RoundAggregator.ThresholdMetric, grid[0].Threshold),
            new(WindowEvaluation.LabelledMetric, labelled),
            new(WindowEvaluation.LabelledAttacksMetric, attacks),
        };
        if (auc is { } value) metrics.Add(new(WindowEvaluation.AucMetric, value));
        for (var k = 0; k < grid.Length; k++)
        {
            metrics.Add(new($"eval_threshold_{k}", grid[k].Threshold));
            metrics.Add(new($"eval_attacks_above_{k}", grid[k].Attacks));
            metrics.Add(new($"eval_normals_above_{k}", grid[k].Normals));
        }

        return metrics;
    }

    private static double Metric(IReadOnlyList<NamedValue> metrics, string name) =>
        metrics.SingleOrDefault(m => m.Name == name)?.Value ?? throw new InvalidOperationException($"No metric '{name}' in [{string.Join(", ", metrics.Select(m => m.Name))}].");

    private (GlobalModel Candidate, ModelBundle Bundle) Candidate() => SharedCandidate.Value;

    private static CalibrationRound NewRound() =>
        new(Windows.ToDictionary(p => p.Key, p => p.Value.Select(r => r.Reading).ToList()), new FederationOptions { ModelName = "evaluation", Detector = "pca", Contamination = 0.05 });

    // The bootstrap candidate, built once for the class with throw-away keys (the reports in the tests are signed and
    // checked with the instance's keys).
    private static (GlobalModel Candidate, ModelBundle Bundle) BuildCandidate()
    {
        using var round = NewRound();
        return round.Candidate();
    }
}
