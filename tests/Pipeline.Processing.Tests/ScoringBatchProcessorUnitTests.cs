using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Processing.Engine;
using Pipeline.Processing.Scoring;
using Pipeline.Producers.Simulation;
using Pipeline.Testing;

namespace Pipeline.Processing.Tests;

public sealed class ScoringBatchProcessorUnitTests : IDisposable
{
    private static readonly Dictionary<string, string> Inputs = new()
    {
        ["in.blocks"] = Topics.ChainBlocks,
        ["in.transactions"] = Topics.ChainTransactions,
    };

    private readonly ProcessingMetrics _metrics = new("scoring-test");
    private readonly ModelRegistry _models = new();

    public void Dispose() => _metrics.Dispose();

    private ScoringBatchProcessor Processor() => new("chain", Inputs, "out.alerts", _models, new ScoringOptions { TopFeatures = 3 }, _metrics);

    private static List<InputRecord> Records(IEnumerable<SimulatedMessage> messages, long firstOffset = 0) =>
        [.. messages.Select((m, i) => new InputRecord(
            m.Topic == Topics.ChainBlocks ? "in.blocks" : "in.transactions", 0, firstOffset + i, m.Key, m.Value, DateTimeOffset.FromUnixTimeMilliseconds(m.TimestampMs)))];

    private void Install(long version, double? threshold)
    {
        foreach (var record in ChainData.Models(version, threshold))
        {
            Assert.True(_models.Offer(ScoringModelDecoder.Decode(record)));
        }
    }

    private static List<Alert> Alerts(BatchResult result) =>
        [.. result.Outputs.Select(o => AvroSingleObject.Decode<Alert>(o.Value))];

    [Fact]
    public async Task ProcessAsync_BatchWithAlerts_RecordsDecodeScoreAndAlertsStageTimes()
    {
        Install(version: 1, threshold: -1);
        var records = Records(ChainData.Take(clusters: 2, seed: 12, count: 200));

        await Processor().ProcessAsync(records, new BatchResult(), CancellationToken.None);

        var stages = _metrics.StageTotals;
        Assert.Equal([ProcessingStages.Alerts, ProcessingStages.Decode, ProcessingStages.Score], stages.Keys.Order(StringComparer.Ordinal));
        Assert.All(stages.Values, t => Assert.True(t > TimeSpan.Zero));
    }

    [Fact]
    public async Task ProcessAsync_ThresholdBelowEveryScore_OneAlertPerEventWithDeterministicIdAndVersion()
    {
        Install(version: 4, threshold: -1);
        var records = Records(ChainData.Take(clusters: 2, seed: 11, count: 300));
        var result = new BatchResult();

        await Processor().ProcessAsync(records, result, CancellationToken.None);

        var alerts = Alerts(result);
        Assert.Equal(records.Count, alerts.Count);
        Assert.Empty(result.Poison);
        Assert.All(result.Outputs, o => Assert.Equal("out.alerts", o.Topic));
        var expectedIds = records.Select(r => AlertIds.Create(r.Topic, r.Partition, r.Offset, 4, "anomaly")).ToHashSet();
        Assert.True(expectedIds.SetEquals(alerts.Select(a => a.AlertId)));
        Assert.All(alerts, a =>
        {
            Assert.Equal(4, a.ModelVersion);
            Assert.Equal("chain", a.Stream);
            Assert.Equal("isolation_forest", a.Detector);
            Assert.Equal(-1, a.Threshold);
            Assert.True(a.Score > a.Threshold);
            Assert.False(string.IsNullOrEmpty(a.EntityKey));
            Assert.InRange(a.TopFeatures.Count, 1, 3);
        });
        Assert.Equal(records.Count, _metrics.Events);
    }

    [Fact]
    public async Task ProcessAsync_CalibratedThreshold_AlertsExactlyWhereTheReferenceScorerPassesIt()
    {
        Install(version: 1, threshold: null);
        var messages = ChainData.Take(clusters: 3, seed: 12, count: 3_000);
        var records = Records(messages);
        var result = new BatchResult();

        await Processor().ProcessAsync(records, result, CancellationToken.None);

        // Reference: the bundles' own scorers over each topic's events in order.
        var expected = new HashSet<long>();
        foreach (var (topic, bundle) in new[] { (Topics.ChainBlocks, ChainData.BlockBundle), (Topics.ChainTransactions, ChainData.TransactionBundle) })
        {
            var indices = messages.Select((m, i) => (m, i)).Where(x => x.m.Topic == topic).Select(x => x.i).ToList();
            var scores = new float[indices.Count];
            var scorer = bundle.CreateScorer();
            if (topic == Topics.ChainBlocks)
            {
                scorer.Score(indices.Select(i => AvroSingleObject.Decode<BlockEvent>(messages[i].Value)).ToList(), scores);
            }
            else
            {
                scorer.Score(indices.Select(i => AvroSingleObject.Decode<TransactionEvent>(messages[i].Value)).ToList(), scores);
            }
            for (var k = 0; k < indices.Count; k++)
            {
                if (scores[k] > bundle.Threshold)
                {
                    expected.Add(indices[k]);
                }
            }
        }
        var alerted = Alerts(result).Select(a => a.SourceOffset).ToHashSet();
        Assert.NotEmpty(expected);
        Assert.True(expected.SetEquals(alerted), $"expected {expected.Count} alerts, got {alerted.Count}");
    }

    [Fact]
    public async Task ProcessAsync_BadValues_DeadLetteredWithReasonWhileTheRestIsScored()
    {
        Install(version: 1, threshold: -1);
        var good = Records(ChainData.Take(clusters: 2, seed: 13, count: 20));
        var tx = ContractSamples.Transaction;
        var bad = new List<(byte[] Value, string Reason)>
        {
            ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], "bad_magic"),
            ([0xC3, 0x01, 0x00], "truncated"),
            (AvroSingleObject.Encode(ContractSamples.Alert), "unexpected_schema"),
            (AvroSingleObject.Encode(tx with { Amount = double.NaN }), "invalid_value"),
            (AvroSingleObject.Encode(tx with { Fee = double.PositiveInfinity }), "invalid_value"),
        };
        var records = good.Concat(bad.Select((b, i) => new InputRecord("in.transactions", 1, 1000 + i, "c01", b.Value, DateTimeOffset.UnixEpoch))).ToList();
        var result = new BatchResult();

        await Processor().ProcessAsync(records, result, CancellationToken.None);

        Assert.Equal(good.Count, result.Outputs.Count);
        Assert.Equal(bad.Select(b => b.Reason), result.Poison.Select(p => p.Reason));
        Assert.Equal(Enumerable.Range(good.Count, bad.Count), result.Poison.Select(p => p.Index));
        Assert.Contains("amount", result.Poison[3].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProcessAsync_NewerModelInstalledBetweenBatches_NextBatchCarriesTheNewVersion()
    {
        Install(version: 1, threshold: -1);
        var processor = Processor();
        var messages = ChainData.Take(clusters: 2, seed: 14, count: 200);
        var first = new BatchResult();
        await processor.ProcessAsync(Records(messages.Take(100)), first, CancellationToken.None);

        Install(version: 2, threshold: -1);
        Assert.False(_models.Offer(ScoringModelDecoder.Decode(ChainData.Models(1, -1)[0])), "an older version must not replace a newer one");
        var second = new BatchResult();
        await processor.ProcessAsync(Records(messages.Skip(100), firstOffset: 100), second, CancellationToken.None);

        Assert.All(Alerts(first), a => Assert.Equal(1, a.ModelVersion));
        Assert.All(Alerts(second), a => Assert.Equal(2, a.ModelVersion));
        Assert.Equal(100, second.Outputs.Count);
    }

    // A federation publishes a version per round: the scorer of the newer version goes on from the entity context the
    // older one built (per account: time since the last transaction, nonces, rolling amounts), so after the swap every
    // event scores as in a processor that had the newer version from the start.
    [Fact]
    public async Task ProcessAsync_NewerModelWithTheSameLayout_ScoresAsIfItHadScoredTheWholeStream()
    {
        var messages = ChainData.Take(clusters: 2, seed: 14, count: 200);
        var (first, second) = (Records(messages.Take(100)), Records(messages.Skip(100), firstOffset: 100));
        Install(version: 2, threshold: -1);
        var throughout = Processor();
        await throughout.ProcessAsync(first, new BatchResult(), CancellationToken.None);
        var expected = new BatchResult();
        await throughout.ProcessAsync(second, expected, CancellationToken.None);

        var registry = new ModelRegistry();
        var swapping = new ScoringBatchProcessor("chain", Inputs, "out.alerts", registry, new ScoringOptions { TopFeatures = 3 }, _metrics);
        Assert.All(ChainData.Models(1, -1), m => registry.Offer(ScoringModelDecoder.Decode(m)));
        await swapping.ProcessAsync(first, new BatchResult(), CancellationToken.None);
        Assert.All(ChainData.Models(2, -1), m => registry.Offer(ScoringModelDecoder.Decode(m)));
        var actual = new BatchResult();
        await swapping.ProcessAsync(second, actual, CancellationToken.None);

        Assert.Equal(100, Alerts(actual).Count);
        Assert.Equal(Alerts(expected).Select(a => (a.SourceOffset, a.Score, a.ModelVersion)), Alerts(actual).Select(a => (a.SourceOffset, a.Score, a.ModelVersion)));
    }

    // A partition changes owner: the new owner warms up on the records before the commit (Warm) and then scores the
    // records after it as the previous owner would have, where a cold one scores each account's first transaction
    // without its context.
    [Fact]
    public async Task Warm_RecordsBeforeTheCommit_NextRecordsAlertAsInTheProcessorThatScoredTheWholeStream()
    {
        Install(version: 1, threshold: null);
        var messages = ChainData.Take(clusters: 3, seed: 16, count: 3_000);
        var (before, after) = (Records(messages.Take(2_000)), Records(messages.Skip(2_000), firstOffset: 2_000));
        var throughout = Processor();
        await throughout.ProcessAsync(before, new BatchResult(), CancellationToken.None);
        var expected = new BatchResult();
        await throughout.ProcessAsync(after, expected, CancellationToken.None);

        var warmed = Processor();
        var events = _metrics.Events;
        warmed.Warm(before[^warmed.WarmupRecords..]);
        Assert.Equal(events, _metrics.Events);
        var actual = new BatchResult();
        await warmed.ProcessAsync(after, actual, CancellationToken.None);
        var cold = new BatchResult();
        await Processor().ProcessAsync(after, cold, CancellationToken.None);

        static List<(long, double)> Scored(BatchResult result) => [.. Alerts(result).Select(a => (a.SourceOffset, a.Score)).Order()];
        Assert.NotEmpty(Scored(expected));
        Assert.Equal(Scored(expected), Scored(actual));
        Assert.NotEqual(Scored(expected), Scored(cold));
        Assert.True(Scored(cold).Count > Scored(expected).Count, $"cold start: {Scored(cold).Count} alerts, continuous: {Scored(expected).Count}");
        Assert.Empty(actual.Poison);
    }

    [Fact]
    public async Task Warm_BadRecordsAndNoModel_SkippedWithoutOutputsOrErrors()
    {
        var processor = Processor();
        var good = Records(ChainData.Take(clusters: 2, seed: 17, count: 50));
        List<InputRecord> bad = [new("in.transactions", 0, 50, "c01", [1, 2, 3], DateTimeOffset.UnixEpoch), new("elsewhere", 0, 0, null, [], DateTimeOffset.UnixEpoch)];

        processor.Warm([.. good, .. bad]);
        Install(version: 1, threshold: -1);
        processor.Warm([.. good, .. bad]);

        Assert.Equal(0, _metrics.Events);
        Assert.Equal(0, _metrics.Unscored);
        var result = new BatchResult();
        await processor.ProcessAsync(good, result, CancellationToken.None);
        Assert.Equal(good.Count, Alerts(result).Count);
    }

    [Fact]
    public async Task ProcessAsync_NoModelYet_EventsPassThroughUnscoredAndCounted()
    {
        var records = Records(ChainData.Take(clusters: 2, seed: 15, count: 50));
        var result = new BatchResult();

        await Processor().ProcessAsync(records, result, CancellationToken.None);

        Assert.Empty(result.Outputs);
        Assert.Empty(result.Poison);
        Assert.Equal(50, _metrics.Unscored);
    }

    [Fact]
    public void Decode_BundleForAnotherStreamThanDeclared_IsRejectedWithTheReason()
    {
        var record = ChainData.Record("mislabelled", Topics.ChainTransactions, ChainData.BlockBundle, 1, null);

        var error = Assert.Throws<Pipeline.Detection.ModelFormatException>(() => ScoringModelDecoder.Decode(record));

        Assert.Contains("chain.blocks", error.Message, StringComparison.Ordinal);
    }
}
