using System.Security.Cryptography;
using Pipeline.Contracts;
using Pipeline.Detection;

namespace Pipeline.Federation.Tests;

/// <summary>The calibration phase of a round: participants score the aggregated candidate and the threshold follows their reports.</summary>
public sealed class CalibrationUnitTests : IDisposable
{
    private static readonly Dictionary<string, List<DeviceReading>> Windows =
        ScenarioData.Telemetry(clusters: 3, count: 600, seed: 5).ToDictionary(p => p.Key, p => p.Value.Select(r => r.Reading).ToList());

    private readonly Dictionary<string, ECDsa> _keys = Windows.Keys.ToDictionary(FederationOptions.ParticipantIdFor, _ => ECDsa.Create(ECCurve.NamedCurves.nistP256));
    private readonly FederationOptions _options = new() { ModelName = "calibration", Detector = "pca", Contamination = 0.02 };

    [Fact]
    public void Calibrate_ReportsOfTheCandidate_ThresholdIsTheirWeightedMedianAndTheVersionIsNew()
    {
        var (candidate, bundle) = Candidate();
        var reports = Collector(candidate);
        var expected = new List<(double, double)>();
        foreach (var (cluster, readings) in Windows)
        {
            var id = FederationOptions.ParticipantIdFor(cluster);
            var report = ParticipantTrainer.Calibrate(reports.Announcement, bundle, BundleTrainer.Featurize(bundle.Layout, readings), _options, id, cluster, _keys[id], DateTimeOffset.UnixEpoch);
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
        var (candidate, bundle) = Candidate();
        var reports = Collector(candidate);
        var (cluster, readings) = Windows.First();
        var id = FederationOptions.ParticipantIdFor(cluster);
        var report = ParticipantTrainer.Calibrate(reports.Announcement, bundle, BundleTrainer.Featurize(bundle.Layout, readings), _options, id, cluster, _keys[id], DateTimeOffset.UnixEpoch);
        var withParameters = UpdateSigner.Sign(report with { Parameters = [1, 2, 3], Nonce = "other", Signature = [] }, _keys[id]);

        var rejection = reports.Offer(withParameters, 100);

        Assert.Equal(RejectionReason.Malformed, rejection?.Reason);
        Assert.Empty(reports.Accepted);
    }

    [Fact]
    public void Calibrate_NoReports_KeepsTheCandidateThreshold()
    {
        var (candidate, bundle) = Candidate();

        var (model, _) = RoundAggregator.Calibrate(candidate, bundle, Collector(candidate), candidate.Version + 1, DateTimeOffset.UnixEpoch);

        Assert.Equal(candidate.Threshold, model.Threshold);
        Assert.Contains(model.Metrics, m => m.Name == "calibration_reports" && m.Value == 0);
    }

    [Fact]
    public void Calibrate_TrainingRound_Throws()
    {
        var (candidate, bundle) = Candidate();
        var training = new RoundCollector(Announcement(round: 3, baseVersion: candidate.Version, epochs: 4), bundle, bundle.Layout, null, id => _keys.GetValueOrDefault(id), new NonceLedger(), 0);

        var error = Assert.Throws<ArgumentException>(() => RoundAggregator.Calibrate(candidate, bundle, training, candidate.Version + 1, DateTimeOffset.UnixEpoch));
        Assert.Contains("training round", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        foreach (var key in _keys.Values) key.Dispose();
    }

    // One bootstrap round of PCA over the three windows: the candidate as the coordinator would publish it.
    private (GlobalModel Candidate, ModelBundle Bundle) Candidate()
    {
        var announcement = Announcement(round: 1, baseVersion: 0, epochs: 4);
        var collector = new RoundCollector(announcement, null, _options.Layout(), null, id => _keys.GetValueOrDefault(id), new NonceLedger(), 0);
        foreach (var (cluster, readings) in Windows)
        {
            var id = FederationOptions.ParticipantIdFor(cluster);
            var (update, _) = ParticipantTrainer.Train(announcement, null, BundleTrainer.Featurize(_options.Layout(), readings), _options, id, cluster, _keys[id], DateTimeOffset.UnixEpoch, CancellationToken.None);
            Assert.Null(collector.Offer(update, 100));
        }

        var (result, bundle) = RoundAggregator.Close(collector, new FedAvgStrategy(), 1, false, 1, DateTimeOffset.UnixEpoch);
        return (RoundAggregator.AsCandidate(result.Model!), bundle!);
    }

    private RoundCollector Collector(GlobalModel candidate) =>
        new(Announcement(round: 2, baseVersion: candidate.Version, epochs: 0), ModelBundle.Deserialize(candidate.Model), _options.Layout(), null, id => _keys.GetValueOrDefault(id), new NonceLedger(), 0);

    private RoundAnnouncement Announcement(long round, long baseVersion, int epochs) => new()
    {
        ModelName = _options.ModelName,
        Round = round,
        BaseVersion = baseVersion,
        DetectorKind = "pca",
        Stream = Topics.IiotTelemetry,
        SelectedParticipants = [.. _keys.Keys.Order(StringComparer.Ordinal)],
        MinParticipants = 1,
        Deadline = DateTimeOffset.UnixEpoch.AddHours(1),
        LocalEpochs = epochs,
        BatchSize = 32,
        LearningRate = 0.03,
        AnnouncedAt = DateTimeOffset.UnixEpoch,
    };
}
