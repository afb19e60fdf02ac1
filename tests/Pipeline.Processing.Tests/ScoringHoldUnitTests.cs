using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Processing.Engine;
using Pipeline.Processing.Scoring;
using Pipeline.Producers.Simulation;

namespace Pipeline.Processing.Tests;

/// <summary>Scoring with a block model that holds each block for its confirmations: alerts come later and carry the
/// block's own position, the processor reports what it holds, and nothing held is lost on a swap, a time limit or a
/// release.</summary>
public sealed class ScoringHoldUnitTests : IDisposable
{
    private static readonly Dictionary<string, string> Inputs = new()
    {
        ["in.blocks"] = Topics.ChainBlocks,
        ["in.transactions"] = Topics.ChainTransactions,
    };

    // Blocks only (their partition is the cluster's), offsets per partition as a producer would give them.
    private static readonly List<InputRecord> Blocks = BlockRecords(clusters: 4, partitions: 2, count: 200);

    private readonly ProcessingMetrics _metrics = new("scoring-hold-test");
    private readonly ModelRegistry _models = new();
    private readonly ManualClock _clock = new();

    public void Dispose() => _metrics.Dispose();

    private ScoringBatchProcessor Processor(double timeoutSeconds = 600) =>
        new("chain", Inputs, "out.alerts", _models, new ScoringOptions { ConfirmationTimeoutSeconds = timeoutSeconds }, _metrics, _clock);

    private void Install(long version, bool holdBlocks = true)
    {
        foreach (var record in ChainData.Models(version, threshold: -1, holdBlocks))
        {
            Assert.True(_models.Offer(ScoringModelDecoder.Decode(record)));
        }
    }

    private static List<InputRecord> BlockRecords(int clusters, int partitions, int count)
    {
        var next = new long[partitions];
        return
        [
            .. new ScenarioWorld(ChainData.Scenario(clusters), 23).Stream(ProducerDomains.Chain).Where(m => m.Topic == Topics.ChainBlocks).Take(count).Select(m =>
            {
                var partition = ChainData.PartitionOf(m, partitions);
                return new InputRecord("in.blocks", partition, next[partition]++, m.Key, m.Value, DateTimeOffset.FromUnixTimeMilliseconds(m.TimestampMs));
            }),
        ];
    }

    private static List<Alert> Alerts(BatchResult result) => [.. result.Outputs.Select(o => AvroSingleObject.Decode<Alert>(o.Value))];

    private static string Cluster(InputRecord record) => AvroSingleObject.Decode<BlockEvent>(record.Value).ClusterId;

    [Fact]
    public async Task ProcessAsync_HoldingModel_AlertsABlockOnlyAfterKLaterBlocksOfItsChainWithItsOwnPosition()
    {
        Install(version: 1);
        var processor = Processor();
        var alerted = new List<Alert>();
        var seen = new List<InputRecord>();
        foreach (var record in Blocks)
        {
            var result = new BatchResult();
            await processor.ProcessAsync([record], result, CancellationToken.None);
            seen.Add(record);
            alerted.AddRange(Alerts(result));

            // Every block with k later blocks of its chain has its alert; none of the last k of a chain has.
            var expected = seen.Where(r => seen.Count(later => later.Partition == r.Partition && later.Offset > r.Offset && Cluster(later) == Cluster(r)) >= ChainData.Confirmations);
            Assert.Equal(
                expected.Select(r => (r.Partition, r.Offset)).Order(),
                alerted.Select(a => (a.SourcePartition, a.SourceOffset)).Order());
        }

        Assert.All(alerted, a => Assert.Equal("in.blocks", a.SourceTopic));
        Assert.Equal(Blocks.Count - alerted.Count, _metrics.Held);
        foreach (var partition in new[] { 0, 1 })
        {
            var held = Blocks.Where(r => r.Partition == partition && !alerted.Any(a => a.SourcePartition == partition && a.SourceOffset == r.Offset));
            Assert.Equal(held.Min(r => r.Offset), processor.HeldFrom("in.blocks", partition));
        }
        Assert.Null(processor.HeldFrom("in.transactions", 0));
    }

    [Fact]
    public async Task TickAsync_BlocksHeldPastTheTimeLimit_AreScoredThenAndNothingStaysHeld()
    {
        Install(version: 1);
        var processor = Processor(timeoutSeconds: 30);
        var first = new BatchResult();
        await processor.ProcessAsync(Blocks, first, CancellationToken.None);
        var tick = new BatchResult();
        _clock.Advance(TimeSpan.FromSeconds(29));
        await processor.TickAsync(tick, CancellationToken.None);
        Assert.Empty(tick.Outputs);

        _clock.Advance(TimeSpan.FromSeconds(2));
        await processor.TickAsync(tick, CancellationToken.None);

        var ids = Alerts(first).Concat(Alerts(tick)).Select(a => a.AlertId).ToHashSet();
        Assert.True(Blocks.Select(r => AlertIds.Create(r.Topic, r.Partition, r.Offset, 1, "anomaly")).ToHashSet().SetEquals(ids));
        Assert.Equal(0, _metrics.Held);
        Assert.Null(processor.HeldFrom("in.blocks", 0));
    }

    [Fact]
    public async Task ProcessAsync_NewerModelWhileBlocksAreHeld_TheyAreScoredByItAndCarryItsVersion()
    {
        Install(version: 1);
        var processor = Processor(timeoutSeconds: 30);
        var before = new BatchResult();
        Assert.Equal(200, Blocks.Count);
        await processor.ProcessAsync(Blocks[..100], before, CancellationToken.None);
        var heldBefore = Blocks[..100].Where(r => !Alerts(before).Any(a => a.SourcePartition == r.Partition && a.SourceOffset == r.Offset)).ToList();
        Assert.NotEmpty(heldBefore);

        Install(version: 2);
        var after = new BatchResult();
        await processor.ProcessAsync(Blocks[100..], after, CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(31));
        await processor.TickAsync(after, CancellationToken.None);

        Assert.All(Alerts(before), a => Assert.Equal(1, a.ModelVersion));
        Assert.All(Alerts(after), a => Assert.Equal(2, a.ModelVersion));
        var positions = Alerts(before).Concat(Alerts(after)).Select(a => (a.SourcePartition, a.SourceOffset)).ToList();
        Assert.Equal(Blocks.Count, positions.Distinct().Count());
        Assert.Equal(Blocks.Count, positions.Count);
    }

    [Fact]
    public async Task OnPartitionsReleased_DropsTheHeldBlocksOfThosePartitionsOnly()
    {
        Install(version: 1);
        var processor = Processor();
        await processor.ProcessAsync(Blocks, new BatchResult(), CancellationToken.None);
        var heldOfOne = processor.HeldFrom("in.blocks", 1);
        Assert.NotNull(processor.HeldFrom("in.blocks", 0));

        processor.OnPartitionsReleased([("in.blocks", 0)]);

        Assert.Null(processor.HeldFrom("in.blocks", 0));
        Assert.Equal(heldOfOne, processor.HeldFrom("in.blocks", 1));
        // Read again from the old commit, partition 0's blocks are held again (its chains start cold).
        var again = Blocks.Where(r => r.Partition == 0).ToList();
        await processor.ProcessAsync(again, new BatchResult(), CancellationToken.None);
        Assert.NotNull(processor.HeldFrom("in.blocks", 0));
    }

    [Fact]
    public async Task OnPartitionsReleased_ChainSpanningPartitions_KeepsItsBlocksOfTheOtherPartitionHeldAndScoresThemLater()
    {
        Install(version: 1);
        var processor = Processor(timeoutSeconds: 30);
        // One chain's blocks alternate between two partitions (keyed other than by cluster).
        var cluster = Cluster(Blocks[0]);
        var chain = Blocks.Where(r => Cluster(r) == cluster).Select((r, i) => r with { Partition = i % 2, Offset = i / 2 }).ToList();
        var first = new BatchResult();
        await processor.ProcessAsync(chain, first, CancellationToken.None);
        var heldInOne = processor.HeldFrom("in.blocks", 1);
        Assert.NotNull(heldInOne);

        processor.OnPartitionsReleased([("in.blocks", 0)]);

        Assert.Null(processor.HeldFrom("in.blocks", 0));
        Assert.Equal(heldInOne, processor.HeldFrom("in.blocks", 1));
        var tick = new BatchResult();
        _clock.Advance(TimeSpan.FromSeconds(31));
        await processor.TickAsync(tick, CancellationToken.None);
        Assert.Null(processor.HeldFrom("in.blocks", 1));
        var alerted = Alerts(first).Concat(Alerts(tick)).Where(a => a.SourcePartition == 1).Select(a => a.SourceOffset).Order();
        Assert.Equal(chain.Where(r => r.Partition == 1).Select(r => r.Offset), alerted);
    }

    [Fact]
    public async Task ProcessAsync_ModelScoringOnArrival_HoldsNothing()
    {
        Install(version: 1, holdBlocks: false);
        var processor = Processor();
        var result = new BatchResult();

        await processor.ProcessAsync(Blocks, result, CancellationToken.None);

        Assert.Equal(Blocks.Count, result.Outputs.Count);
        Assert.Null(processor.HeldFrom("in.blocks", 0));
        Assert.Equal(0, _metrics.Held);
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 11, 24, 0, 0, 0, TimeSpan.Zero);

        public void Advance(TimeSpan by) => _now += by;

        public override DateTimeOffset GetUtcNow() => _now;
    }
}
