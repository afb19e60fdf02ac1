using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Contracts;
using Pipeline.Processing.Engine;
using Pipeline.Testing;

namespace Pipeline.Processing.Tests;

/// <summary><see cref="BatchConsumerLoop"/> with a processor that asks for a warm-up
/// (<see cref="IBatchProcessor.WarmupRecords"/>): a newly assigned partition's records before its commit go to
/// <see cref="IBatchProcessor.Warm"/> only, the records from the commit on are processed, and no commit moves back.</summary>
public sealed class BatchWarmupTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    private const int Warmup = 30;

    // A commit closer to the start than the warm-up window (10 records): the warm-up starts at the partition's first record.
    [Theory]
    [InlineData(ProcessingGuarantee.AtLeastOnce, 100, 50)]
    [InlineData(ProcessingGuarantee.ExactlyOnceV2, 100, 50)]
    [InlineData(ProcessingGuarantee.AtLeastOnce, 10, 5)]
    public async Task RunAsync_PartitionsWithACommit_WarmsUpOnTheRecordsBeforeItAndProcessesTheRestOnce(ProcessingGuarantee guarantee, int committed, int after)
    {
        var topics = new KafkaTestTopics(kafka);
        var group = $"warm-{Guid.NewGuid():N}";
        Publish(topics, perPartition: committed);
        // A first instance processes everything and commits it (at_least_once: the embedded broker does not store the
        // offsets of a transaction).
        var first = new RecordingProcessor(warmupRecords: 0);
        await RunUntilCommittedAsync(topics, first, group, ProcessingGuarantee.AtLeastOnce, Ends(committed));
        Assert.Empty(first.Warmed);

        Publish(topics, perPartition: after);
        var second = new RecordingProcessor(Warmup);
        var metrics = await RunUntilProcessedAsync(topics, second, group, guarantee, Ends(committed + after));

        var warmedUp = Math.Min(committed, Warmup);
        foreach (var partition in Enumerable.Range(0, KafkaTestTopics.InputPartitions))
        {
            Assert.Equal(Enumerable.Range(committed - warmedUp, warmedUp).Select(o => (long)o), second.Warmed.Where(w => w.Partition == partition).Select(w => w.Offset));
            Assert.Equal(Enumerable.Range(committed, after).Select(o => (long)o), second.Processed.Where(p => p.Partition == partition).Select(p => p.Offset).Order());
        }
        Assert.Equal(KafkaTestTopics.InputPartitions * warmedUp, metrics.WarmupEvents);
        if (guarantee == ProcessingGuarantee.AtLeastOnce)
        {
            Assert.Equal(Ends(committed + after), Committed(topics, group));
        }
    }

    [Fact]
    public async Task RunAsync_PartitionsWithoutACommit_NoWarmUpAndEveryRecordProcessed()
    {
        var topics = new KafkaTestTopics(kafka);
        Publish(topics, perPartition: 40);
        var processor = new RecordingProcessor(Warmup);

        var metrics = await RunUntilProcessedAsync(topics, processor, $"cold-{Guid.NewGuid():N}", ProcessingGuarantee.AtLeastOnce, Ends(40));

        Assert.Empty(processor.Warmed);
        Assert.Equal(0, metrics.WarmupEvents);
        Assert.Equal(KafkaTestTopics.InputPartitions * 40, processor.Processed.Count);
    }

    // An eager rebalance (a second instance joins) revokes every partition of the first and gives some back: the first
    // has handed those over up to their commit already, so it warms up none of them; the second warms up the ones it takes.
    [Fact]
    public async Task RunAsync_SecondInstanceJoins_OnlyThePartitionsThatChangedOwnerAreWarmedUp()
    {
        var topics = new KafkaTestTopics(kafka);
        var group = $"join-{Guid.NewGuid():N}";
        Publish(topics, perPartition: 100);
        var first = new RecordingProcessor(Warmup);
        using var stopFirst = new CancellationTokenSource();
        using var firstMetrics = new ProcessingMetrics("warm-first");
        var firstRun = StartLoop(topics, first, group, ProcessingGuarantee.AtLeastOnce, firstMetrics, stopFirst.Token);
        await Polling.UntilAsync(() => Committed(topics, group).SequenceEqual(Ends(100)) || firstRun.IsCompleted, TimeSpan.FromSeconds(60), () => "first instance did not commit the input");

        var second = new RecordingProcessor(Warmup);
        using var stopSecond = new CancellationTokenSource();
        using var secondMetrics = new ProcessingMetrics("warm-second");
        var secondRun = StartLoop(topics, second, group, ProcessingGuarantee.AtLeastOnce, secondMetrics, stopSecond.Token);
        // Both hold partitions once the second has warmed up; new records then show who processes what.
        await Polling.UntilAsync(() => second.Warmed.Count >= Warmup || secondRun.IsCompleted, TimeSpan.FromSeconds(60), () => "second instance warmed nothing up");
        Publish(topics, perPartition: 20);
        await Polling.UntilAsync(() => Committed(topics, group).SequenceEqual(Ends(120)) || firstRun.IsCompleted || secondRun.IsCompleted,
            TimeSpan.FromSeconds(60), () => $"committed {string.Join(",", Committed(topics, group))}");
        await stopSecond.CancelAsync();
        await stopFirst.CancelAsync();
        await Task.WhenAll(firstRun, secondRun);

        Assert.Empty(first.Warmed);
        var taken = second.Processed.Select(p => p.Partition).Distinct().Order().ToList();
        Assert.NotEmpty(taken);
        Assert.Equal(taken, second.Warmed.Select(w => w.Partition).Distinct().Order());
        Assert.All(taken, partition =>
            Assert.Equal(Enumerable.Range(100 - Warmup, Warmup).Select(o => (long)o), second.Warmed.Where(w => w.Partition == partition).Select(w => w.Offset)));
        Assert.All(second.Processed, p => Assert.True(p.Offset >= 100, $"the second instance processed {p.Partition}/{p.Offset}, committed by the first"));
    }

    private static long[] Ends(int perPartition) => [.. Enumerable.Repeat((long)perPartition, KafkaTestTopics.InputPartitions)];

    private static void Publish(KafkaTestTopics topics, int perPartition) =>
        topics.PublishRaw([.. Enumerable.Range(0, perPartition * KafkaTestTopics.InputPartitions)
            .Select(i => (Topics.ChainBlocks, (string?)$"k{i}", Encoding.UTF8.GetBytes($"v{i}"), i % KafkaTestTopics.InputPartitions))]);

    private static async Task RunUntilCommittedAsync(KafkaTestTopics topics, RecordingProcessor processor, string group, ProcessingGuarantee guarantee, long[] ends)
    {
        using var metrics = new ProcessingMetrics("warm-test");
        using var stop = new CancellationTokenSource();
        var run = StartLoop(topics, processor, group, guarantee, metrics, stop.Token);
        await Polling.UntilAsync(() => Committed(topics, group).SequenceEqual(ends) || run.IsCompleted, TimeSpan.FromSeconds(60),
            () => $"committed {string.Join(",", Committed(topics, group))} of {string.Join(",", ends)}");
        await stop.CancelAsync();
        await run;
    }

    /// <summary>Runs a loop until the processor has processed every record below <paramref name="ends"/> (and the loop has
    /// committed, under at_least_once); returns its metrics.</summary>
    private static async Task<ProcessingMetrics> RunUntilProcessedAsync(KafkaTestTopics topics, RecordingProcessor processor, string group, ProcessingGuarantee guarantee, long[] ends)
    {
        var metrics = new ProcessingMetrics("warm-test");
        using var stop = new CancellationTokenSource();
        var run = StartLoop(topics, processor, group, guarantee, metrics, stop.Token);
        await Polling.UntilAsync(() => processor.ProcessedEnds().SequenceEqual(ends) || run.IsCompleted, TimeSpan.FromSeconds(60),
            () => $"processed up to {string.Join(",", processor.ProcessedEnds())} of {string.Join(",", ends)}");
        if (guarantee == ProcessingGuarantee.AtLeastOnce)
        {
            await Polling.UntilAsync(() => Committed(topics, group).SequenceEqual(ends) || run.IsCompleted, TimeSpan.FromSeconds(30),
                () => $"committed {string.Join(",", Committed(topics, group))} of {string.Join(",", ends)}");
        }
        await stop.CancelAsync();
        await run;
        metrics.Dispose();
        return metrics;
    }

    private static Task StartLoop(KafkaTestTopics topics, RecordingProcessor processor, string group, ProcessingGuarantee guarantee, ProcessingMetrics metrics, CancellationToken cancellationToken)
    {
        var settings = new BatchLoopSettings(
            [topics.Topic(Topics.ChainBlocks)], group, $"warm-{Guid.NewGuid():N}", BatchSize: 16, BatchTimeout: TimeSpan.FromMilliseconds(50),
            guarantee, MaxMessageBytes: 1_000_000, RetryBackoff: TimeSpan.FromMilliseconds(50), SummaryInterval: TimeSpan.Zero,
            BatchLinger: TimeSpan.Zero, MaxBatchesInFlight: 8);
        return new BatchConsumerLoop(topics.Clients, processor, settings, metrics, NullLogger.Instance).RunAsync(cancellationToken);
    }

    /// <summary>Committed offset of each input partition of the group, in partition order (-1001 when none).</summary>
    private static long[] Committed(KafkaTestTopics topics, string group)
    {
        using var probe = topics.Clients.CreateConsumer(group, "warm-probe");
        var partitions = Enumerable.Range(0, KafkaTestTopics.InputPartitions).Select(p => new TopicPartition(topics.Topic(Topics.ChainBlocks), p));
        return [.. probe.Committed(partitions, TimeSpan.FromSeconds(10)).OrderBy(c => c.Partition.Value).Select(c => c.Offset.Value)];
    }

    /// <summary>Records what it is given to warm up on and to process; produces nothing.</summary>
    private sealed class RecordingProcessor(int warmupRecords) : IBatchProcessor
    {
        public int WarmupRecords => warmupRecords;

        public ConcurrentQueue<(int Partition, long Offset)> Warmed { get; } = new();

        public ConcurrentQueue<(int Partition, long Offset)> Processed { get; } = new();

        /// <summary>Per partition, the offset after the last record processed (0 when none).</summary>
        public long[] ProcessedEnds() =>
            [.. Enumerable.Range(0, KafkaTestTopics.InputPartitions).Select(p => Processed.Where(r => r.Partition == p).Select(r => r.Offset + 1).DefaultIfEmpty(0).Max())];

        public void Warm(IReadOnlyList<InputRecord> records)
        {
            foreach (var record in records)
            {
                Warmed.Enqueue((record.Partition, record.Offset));
            }
        }

        public Task ProcessAsync(IReadOnlyList<InputRecord> batch, BatchResult result, CancellationToken cancellationToken)
        {
            foreach (var record in batch)
            {
                Processed.Enqueue((record.Partition, record.Offset));
            }
            return Task.CompletedTask;
        }

        public void OnPartitionsReleased(IReadOnlyList<(string Topic, int Partition)> partitions)
        {
        }
    }
}
