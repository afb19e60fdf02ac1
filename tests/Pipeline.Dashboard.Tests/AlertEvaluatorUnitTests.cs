using Pipeline.Contracts;
using Pipeline.Dashboard;

namespace Pipeline.Dashboard.Tests;

public sealed class AlertEvaluatorUnitTests
{
    private static Alert AlertOn(string topic, int partition, long offset, double score) => new()
    {
        AlertId = $"{topic}-{partition}-{offset}-{score}",
        EntityKey = "e",
        Stream = "s",
        AlertType = "anomaly",
        Detector = "d",
        Score = score,
        Threshold = 0.5,
        ModelVersion = 1,
        EventTime = DateTimeOffset.UnixEpoch,
        DetectionTime = DateTimeOffset.UnixEpoch,
        SourceTopic = topic,
        SourcePartition = partition,
        SourceOffset = offset,
    };

    [Fact]
    public void Evaluate_MixedOutcomes_CountsConfusionMatrixPerStream()
    {
        var events = new[]
        {
            new LabelledEvent("a", 0, 0, "normal"),
            new LabelledEvent("a", 0, 1, "replay"),
            new LabelledEvent("a", 0, 2, "replay"),
            new LabelledEvent("a", 1, 0, "normal"),
            new LabelledEvent("b", 0, 0, "double-spend"),
        };
        var alerts = new[] { AlertOn("a", 0, 1, 0.9), AlertOn("a", 1, 0, 0.7), AlertOn("a", 1, 0, 0.6), AlertOn("b", 0, 0, 0.8), AlertOn("c", 0, 0, 1.0) };

        var report = AlertEvaluator.Evaluate(events, alerts);

        Assert.Equal(1, report.UnmatchedAlerts);
        var a = Assert.Single(report.Streams, s => s.Stream == "a");
        Assert.Equal((4L, 2L, 1L, 1L, 1L, 1L), (a.Events, a.Attacks, a.TruePositives, a.FalsePositives, a.FalseNegatives, a.TrueNegatives));
        Assert.Equal(0.5, a.Precision, 12);
        Assert.Equal(0.5, a.Recall, 12);
        Assert.Equal(0.5, a.F1, 12);
        Assert.Equal([new AttackDetection("replay", 2, 1)], a.ByAttack);
        Assert.Equal(0.5, a.ByAttack[0].Recall, 12);
        var b = Assert.Single(report.Streams, s => s.Stream == "b");
        Assert.Equal(1.0, b.Precision);
        Assert.True(double.IsNaN(b.FalsePositiveRate));
    }

    [Fact]
    public void Evaluate_FalsePositiveRate_IsAlertedShareOfNormalEventsCountingEachEventOnce()
    {
        // Three normal events, one alerted twice; one attack alerted.
        var events = new[]
        {
            new LabelledEvent("a", 0, 0, "attack"),
            new LabelledEvent("a", 0, 1, "normal"),
            new LabelledEvent("a", 0, 2, "normal"),
            new LabelledEvent("a", 0, 3, "normal"),
        };
        var alerts = new[] { AlertOn("a", 0, 0, 0.9), AlertOn("a", 0, 1, 0.2), AlertOn("a", 0, 1, 0.7) };

        var a = Assert.Single(AlertEvaluator.Evaluate(events, alerts).Streams);

        Assert.Equal(1, a.FalsePositives);
        Assert.Equal(1.0 / 3, a.FalsePositiveRate, 12);
    }

    [Fact]
    public void Evaluate_SeveralAttackTypes_CountsEachTypeAndItsAlertedEventsInTypeOrder()
    {
        var events = new[]
        {
            new LabelledEvent("a", 0, 0, "spoofing"),
            new LabelledEvent("a", 0, 1, "drift"),
            new LabelledEvent("a", 0, 2, "drift"),
            new LabelledEvent("a", 0, 3, "drift"),
            new LabelledEvent("a", 0, 4, "normal"),
        };
        var alerts = new[] { AlertOn("a", 0, 1, 0.9), AlertOn("a", 0, 1, 0.8), AlertOn("a", 0, 3, 0.7), AlertOn("a", 0, 4, 0.6) };

        var a = Assert.Single(AlertEvaluator.Evaluate(events, alerts).Streams);

        Assert.Equal([new AttackDetection("drift", 3, 2), new AttackDetection("spoofing", 1, 0)], a.ByAttack);
        Assert.Equal(a.TruePositives, a.ByAttack.Sum(x => x.Detected));
        Assert.Equal(a.Attacks, a.ByAttack.Sum(x => x.Events));
    }

    [Fact]
    public void Evaluate_AlertBelowTheFirstRecordRead_CountsAsExpiredNotUnmatched()
    {
        // Partition 0 was read from offset 10 on (retention removed 0-9); partition 1 from 0.
        var events = new[] { new LabelledEvent("a", 0, 10, "normal"), new LabelledEvent("a", 0, 11, "attack"), new LabelledEvent("a", 1, 0, "normal") };
        var alerts = new[] { AlertOn("a", 0, 3, 0.9), AlertOn("a", 0, 11, 0.9), AlertOn("a", 0, 12, 0.9), AlertOn("b", 0, 0, 0.9) };

        var report = AlertEvaluator.Evaluate(events, alerts);
        // An unlabelled record at offset 2 was read too: only offsets below 2 are gone.
        var unlabelledFirst = AlertEvaluator.Evaluate(events, alerts, new Dictionary<(string, int), long> { [("a", 0)] = 2 });

        Assert.Equal((1L, 2L), (report.AlertsOnExpiredRecords, report.UnmatchedAlerts));
        Assert.Equal((0L, 3L), (unlabelledFirst.AlertsOnExpiredRecords, unlabelledFirst.UnmatchedAlerts));
        var a = Assert.Single(report.Streams);
        Assert.Equal((1L, 0L), (a.TruePositives, a.FalsePositives));
    }

    [Fact]
    public void Evaluate_DuplicateLabel_ThrowsNamingTheEvent()
    {
        var e = Assert.Throws<ArgumentException>(() => AlertEvaluator.Evaluate([new("a", 0, 5, "normal"), new("a", 0, 5, "normal")], []));
        Assert.Contains("a/0@5", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_NoAlerts_PrecisionUndefinedRecallZero()
    {
        var s = Assert.Single(AlertEvaluator.Evaluate([new("a", 0, 0, "attack"), new("a", 0, 1, "normal")], []).Streams);
        Assert.True(double.IsNaN(s.Precision));
        Assert.Equal(0.0, s.Recall);
        Assert.Equal(0.0, s.FalsePositiveRate);
    }
}
