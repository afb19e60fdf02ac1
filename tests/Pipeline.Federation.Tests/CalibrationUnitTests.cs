using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Federation.Tests;

/// <summary>The calibration phase of a round: participants score the aggregated candidate and the threshold follows their reports.</summary>
public sealed class CalibrationUnitTests : IDisposable
{
    private static readonly Dictionary<string, List<DeviceReading>> Windows =
        ScenarioData.Telemetry(clusters: 3, count: 600, seed: 5).ToDictionary(p => p.Key, p => p.Value.Select(r => r.Reading).ToList());

    private readonly CalibrationRound _round = new(Windows, new FederationOptions { ModelName = "calibration", Detector = "pca", Contamination = 0.02 });

    [Fact]
    public void Calibrate_ReportsOfTheCandidate_ThresholdIsTheirWeightedMedianAndTheVersionIsNew()
    {
        var (candidate, bundle) = _round.Candidate();
        var reports = _round.Collector(candidate);
        var expected = new List<(double, double)>();
        foreach (var (cluster, readings) in Windows)
        {
            var id = FederationOptions.ParticipantIdFor(cluster);
            var report = ParticipantTrainer.Calibrate(reports.Announcement, bundle, BundleTrainer.Featurize(bundle.Layout, readings), _round.Options, id, cluster, _round.Keys[id], DateTimeOffset.UnixEpoch);
            Assert.Null(reports.Offer(report, 100));
            expected.Add((report.LocalMetrics.Single(m => m.Name == RoundAggregator.ThresholdMetric).Value, report.SampleCount));
        }

        var (model, calibrated) = RoundAggregator.Calibrate(candidate, bundle, reports, candidate.Version + 1, DateTimeOffset.UnixEpoch);

        Assert.Equal(RoundAggregator.WeightedMedian(expected), model.Threshold);
        Assert.Equal(model.Threshold, calibrated.Threshold);
        Assert.Equal(model.Threshold, ModelBundle.Deserialize(model.Model).Threshold);
        Assert.Equal(candidate.Version + 1, model.Version);
        Assert.Contains(model.Metrics, m => m.Name == RoundAggregator.CalibratedMetric && m.Value == 1);
        Assert.Contains(candidate.Metrics, m => m.Name == RoundAggregator.CalibratedMetric && m.Value == 0);
    }

    [Fact]
    public void Offer_ReportCarryingParameters_IsRejectedAsMalformed()
    {
        var (candidate, bundle) = _round.Candidate();
        var reports = _round.Collector(candidate);
        var (cluster, readings) = Windows.First();
        var id = FederationOptions.ParticipantIdFor(cluster);
        var report = ParticipantTrainer.Calibrate(reports.Announcement, bundle, BundleTrainer.Featurize(bundle.Layout, readings), _round.Options, id, cluster, _round.Keys[id], DateTimeOffset.UnixEpoch);
        var withParameters = UpdateSigner.Sign(report with { Parameters = [1, 2, 3], Nonce = "other", Signature = [] }, _round.Keys[id]);

        var rejection = reports.Offer(withParameters, 100);

        Assert.Equal(RejectionReason.Malformed, rejection?.Reason);
        Assert.Empty(reports.Accepted);
    }

    [Fact]
    public void Calibrate_TrainingUpdateArrivingDuringCalibration_CountsItLateAndRejectedOnTheCalibratedModel()
    {
        var (candidate, bundle) = _round.Candidate();
        var reports = _round.Collector(candidate);
        var (cluster, readings) = Windows.First();
        var id = FederationOptions.ParticipantIdFor(cluster);
        var (late, _) = ParticipantTrainer.Train(_round.Announcement(round: 1, baseVersion: 0, epochs: 4), null, BundleTrainer.Featurize(_round.Options.Layout(), readings), _round.Options, id, cluster, _round.Keys[id], DateTimeOffset.UnixEpoch, CancellationToken.None);

        Assert.Equal(RejectionReason.StaleRound, reports.Offer(late, 100)?.Reason);
        var (model, _) = RoundAggregator.Calibrate(candidate, bundle, reports, candidate.Version + 1, DateTimeOffset.UnixEpoch);

        Assert.Contains(new NamedValue(RoundAggregator.LateMetric, 0), candidate.Metrics);
        Assert.Contains(new NamedValue(RoundAggregator.LateMetric, 1), model.Metrics);
        Assert.Contains(new NamedValue(RoundAggregator.RejectedMetric, 1), model.Metrics);
    }

    [Fact]
    public void Calibrate_NoReports_KeepsTheCandidateThreshold()
    {
        var (candidate, bundle) = _round.Candidate();

        var (model, _) = RoundAggregator.Calibrate(candidate, bundle, _round.Collector(candidate), candidate.Version + 1, DateTimeOffset.UnixEpoch);

        Assert.Equal(candidate.Threshold, model.Threshold);
        Assert.Contains(model.Metrics, m => m.Name == "calibration_reports" && m.Value == 0);
    }

    [Fact]
    public void Calibrate_TrainingRound_Throws()
    {
        var (candidate, bundle) = _round.Candidate();
        var training = new RoundCollector(_round.Announcement(round: 3, baseVersion: candidate.Version, epochs: 4), bundle, bundle.Layout, null, id => _round.Keys.GetValueOrDefault(id), new NonceLedger(), 0);

        var error = Assert.Throws<ArgumentException>(() => RoundAggregator.Calibrate(candidate, bundle, training, candidate.Version + 1, DateTimeOffset.UnixEpoch));
        Assert.Contains("training round", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _round.Dispose();
}
