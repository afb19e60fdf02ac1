using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Contracts;
using Pipeline.Platform.Kafka;
using Pipeline.Processing.Engine;
using Pipeline.Testing;

namespace Pipeline.Processing.Tests;

/// <summary><see cref="BatchConsumerLoop"/> with a processor that holds records past their batch: commits are capped at
/// the oldest held record, ticks release held records once input pauses, and a rewind or a hand-over reads held and
/// released records again, so every input record gets an output.</summary>
public sealed class BatchHoldTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    private const int HoldBack = 7;

    // at_least_once only: the embedded broker acknowledges the offsets of a transaction but does not store them
    // (its TxnOffsetCommit handler reads and drops them), so a capped exactly_once_v2 commit cannot be read back here.
    [Fact]
    public async Task RunAsync_StoppedMidStreamWhileHolding_CommitsTheOldestHeldOffsetAndTheNextInstanceOutputsEveryRecord()
    {
        const ProcessingGuarantee guarantee = ProcessingGuarantee.AtLeastOnce;
        var topics = new KafkaTestTopics(kafka);
        var group = $"hold-{Guid.NewGuid():N}";
        var positions = PublishInput(topics, perPartition: 150);
        var first = new HoldingProcessor(topics.Topic(Topics.Alerts), HoldBack, releaseOnTick: false) { PauseAfter = positions.Count / 2 };
        using (var stop = new CancellationTokenSource())
        {
            var run = StartLoop(topics, first, group, guarantee, stop.Token);
            // The processor blocks at the batch after half the input, with the rest of the stream still to consume.
            await first.Paused.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await stop.CancelAsync();
            await run;
        }

        var committed = Committed(topics, group);
        Assert.NotEmpty(first.HeldWhenReleased);
        Assert.All(Enumerable.Range(0, KafkaTestTopics.InputPartitions), p =>
            Assert.Equal(first.HeldWhenReleased.TryGetValue(p, out var held) ? held : Offset.Unset.Value, committed[p]));

        // The rest of the stream arrives; a second instance of the group takes over and releases what it holds once
        // input pauses.
        positions.AddRange(PublishInput(topics, perPartition: 100));
        var second = new HoldingProcessor(topics.Topic(Topics.Alerts), HoldBack, releaseOnTick: true);
        using (var stop = new CancellationTokenSource())
        {
            var run = StartLoop(topics, second, group, guarantee, stop.Token);
            var missing = await MissingOutputsAsync(topics, positions, TimeSpan.FromSeconds(60));
            await stop.CancelAsync();
            await run;
            Assert.True(missing.Count == 0, $"{missing.Count} of {positions.Count} records without an output, e.g. {string.Join(", ", missing.Take(5))}");
        }
        // The second instance started each partition at the first instance's capped commit: the held records were read again.
        Assert.All(Enumerable.Range(0, KafkaTestTopics.InputPartitions), p =>
            Assert.Equal(committed[p] >= 0 ? committed[p] : 0, second.FirstSeen[p]));
    }

    [Fact]
    public async Task RunAsync_ProcessorReleasesOnlyOnTick_AllOutputsArriveAndCommitsReachTheEnd()
    {
        var topics = new KafkaTestTopics(kafka);
        var group = $"tick-{Guid.NewGuid():N}";
        var positions = PublishInput(topics, perPartition: 100);
        var ends = positions.GroupBy(p => p.Partition.Value).ToDictionary(g => g.Key, g => g.Max(p => p.Offset.Value) + 1);
        // Nothing is released by a batch: only ticks, once input has paused, produce outputs and move the commits.
        var processor = new HoldingProcessor(topics.Topic(Topics.Alerts), holdBack: int.MaxValue, releaseOnTick: true);
        using var stop = new CancellationTokenSource();
        var run = StartLoop(topics, processor, group, ProcessingGuarantee.AtLeastOnce, stop.Token);

        await Polling.UntilAsync(() => ends.All(e => Committed(topics, group)[e.Key] == e.Value) || run.IsCompleted, TimeSpan.FromSeconds(60),
            () => $"committed {string.Join(", ", Committed(topics, group).Select(c => $"{c.Key}:{c.Value}"))} of ends {string.Join(", ", ends.Select(e => $"{e.Key}:{e.Value}"))}");
        var missing = await MissingOutputsAsync(topics, positions, TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await run;

        Assert.True(missing.Count == 0, $"{missing.Count} of {positions.Count} records without an output");
        Assert.True(processor.Ticks > 0, "no tick released anything");
    }

    // A batch fails after the processor released held records (outputs of records before the batch's first offset):
    // the rewind must read those again, not only the batch.
    [Theory]
    [InlineData(Failure.ProcessThrows, ProcessingGuarantee.AtLeastOnce)]
    [InlineData(Failure.DeliveryFails, ProcessingGuarantee.AtLeastOnce)]
    [InlineData(Failure.ProcessThrows, ProcessingGuarantee.ExactlyOnceV2)]
    [InlineData(Failure.DeliveryFails, ProcessingGuarantee.ExactlyOnceV2)]
    public async Task RunAsync_BatchFailsAfterReleasingHeldRecords_EveryRecordStillGetsAnOutput(Failure failure, ProcessingGuarantee guarantee)
    {
        var topics = new KafkaTestTopics(kafka);
        var group = $"rewind-{Guid.NewGuid():N}";
        var positions = PublishInput(topics, perPartition: 150);
        var processor = new HoldingProcessor(topics.Topic(Topics.Alerts), HoldBack, releaseOnTick: true)
        {
            FailOnce = failure,
            RefuseNextProduce = () => kafka.Broker.PushRequestErrors(0, ErrorCode.TopicAuthorizationFailed),
        };
        using var stop = new CancellationTokenSource();
        var run = StartLoop(topics, processor, group, guarantee, stop.Token, tune: s => s with { RetryBackoff = TimeSpan.FromMilliseconds(500) });

        var missing = await MissingOutputsAsync(topics, positions, TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await run;

        Assert.True(processor.Failed, "the injected failure did not happen");
        Assert.True(missing.Count == 0, $"{missing.Count} of {positions.Count} records without an output, e.g. {string.Join(", ", missing.Take(5))}");
        if (failure == Failure.DeliveryFails)
        {
            // The refused outputs are produced again; no record is handed to the processor a second time.
            Assert.Equal(positions.Count, processor.Consumed);
        }
    }

    // Incremental (cooperative-sticky) rebalancing: a second instance joins while the first holds records of every
    // partition. The first gives up only some partitions, keeps its place and its held records in the others (reading
    // none of their records twice), and every record still gets an output.
    [Fact]
    public async Task RunAsync_CooperativeStickyInstanceJoinsMidStream_FirstKeepsItsOtherPartitionsAndEveryRecordGetsAnOutput()
    {
        var topics = new KafkaTestTopics(kafka);
        var clients = CooperativeClients(topics);
        var group = $"coop-{Guid.NewGuid():N}";
        var positions = PublishInput(topics, perPartition: 150);
        var first = new HoldingProcessor(topics.Topic(Topics.Alerts), HoldBack, releaseOnTick: true) { PauseAfter = positions.Count / 2, Resume = new() };
        var second = new HoldingProcessor(topics.Topic(Topics.Alerts), HoldBack, releaseOnTick: true);
        using var stop = new CancellationTokenSource();
        var runFirst = StartLoop(topics, first, group, ProcessingGuarantee.AtLeastOnce, stop.Token, clients);
        await first.Paused.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var runSecond = StartLoop(topics, second, group, ProcessingGuarantee.AtLeastOnce, stop.Token, clients);
        first.Resume.SetResult();
        // The stream goes on until the second instance is given partitions, so the first holds records when it gives
        // some up; then a last stretch for both.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (second.FirstSeen.IsEmpty && clock.Elapsed < TimeSpan.FromSeconds(60) && !runFirst.IsCompleted && !runSecond.IsCompleted)
        {
            positions.AddRange(PublishInput(topics, perPartition: 2));
            await Task.Delay(20);
        }
        positions.AddRange(PublishInput(topics, perPartition: 50));
        var missing = await MissingOutputsAsync(topics, positions, TimeSpan.FromSeconds(60));
        // Stopping releases the rest.
        var releases = first.Releases.ToArray();
        await stop.CancelAsync();
        await Task.WhenAll(runFirst, runSecond);

        Assert.NotEmpty(second.FirstSeen);
        Assert.True(missing.Count == 0, $"{missing.Count} of {positions.Count} records without an output, e.g. {string.Join(", ", missing.Take(5))}");
        var revoked = releases.SelectMany(r => r).ToHashSet();
        Assert.True(releases.All(r => r.Length < KafkaTestTopics.InputPartitions),
            $"the first instance gave up all its partitions at once: {string.Join(" | ", releases.Select(r => string.Join(",", r)))}");
        Assert.NotEmpty(revoked);
        var kept = Enumerable.Range(0, KafkaTestTopics.InputPartitions).Except(revoked).ToList();
        Assert.NotEmpty(kept);
        Assert.True(first.ReadTwice.IsEmpty, $"records of partitions the first instance kept read again: {string.Join(", ", first.ReadTwice.Take(5))}");
        Assert.All(second.FirstSeen.Keys, p => Assert.Contains(p, revoked));
    }

    // A cooperative revocation arrives while batches whose outputs failed are still in flight (the loop had not looked at
    // them yet): the revocation forgets them, and the partitions the instance keeps are read again from before them (a
    // seek inside the revocation callback). Without that seek their records would be skipped: the instance's position is
    // past them and its later commits would cover them.
    [Fact]
    public async Task RunAsync_CooperativeRevocationForgetsUnacknowledgedBatches_KeptPartitionsAreReadAgainAndEveryRecordGetsAnOutput()
    {
        var topics = new KafkaTestTopics(kafka);
        var outputs = topics.Topic(Topics.Alerts);
        var group = $"coop-forget-{Guid.NewGuid():N}";
        // No leader for the output partitions: the first instance's outputs wait until its producer gives up on them.
        var outputPartitions = Enumerable.Range(0, 3).ToList();
        outputPartitions.ForEach(p => kafka.Broker.SetPartitionLeader(outputs, p, -1));
        // Six full batches of 16 records and six more: batches close only when full or 30 s old, so after the six the
        // first instance keeps polling to fill the seventh (an idle loop would wait for the acknowledgements instead),
        // and that is where it takes part in the rebalance.
        var positions = PublishInput(topics, perPartition: 16);
        positions.AddRange(PublishInput(topics, perPartition: 1));
        var first = new HoldingProcessor(outputs, holdBack: 0, releaseOnTick: true);
        using var stop = new CancellationTokenSource();
        var runFirst = StartLoop(topics, first, group, ProcessingGuarantee.AtLeastOnce, stop.Token, CooperativeClients(topics, messageTimeoutMs: 3_000),
            settings => settings with { BatchTimeout = TimeSpan.FromSeconds(30), BatchLinger = TimeSpan.FromSeconds(30) });
        await Polling.UntilAsync(() => first.Consumed == 6 * 16 || runFirst.IsCompleted, TimeSpan.FromSeconds(60),
            () => $"the first instance took {first.Consumed} of {6 * 16} records");

        var second = new HoldingProcessor(outputs, holdBack: 0, releaseOnTick: true);
        var runSecond = StartLoop(topics, second, group, ProcessingGuarantee.AtLeastOnce, stop.Token, CooperativeClients(topics));
        // The revocation first finishes the in-flight batches: their deliveries timed out, so they are forgotten.
        await Polling.UntilAsync(() => !first.Releases.IsEmpty || runFirst.IsCompleted || runSecond.IsCompleted, TimeSpan.FromSeconds(90),
            () => "the first instance gave up no partition");
        outputPartitions.ForEach(p => kafka.Broker.SetPartitionLeader(outputs, p, 1));
        // More input: with three partitions each, 3 x (17 + 31) records fill whole batches, so no batch waits for its timeout.
        positions.AddRange(PublishInput(topics, perPartition: 31));
        var missing = await MissingOutputsAsync(topics, positions, TimeSpan.FromSeconds(90));
        var releases = first.Releases.ToArray();
        await stop.CancelAsync();
        await Task.WhenAll(runFirst, runSecond);

        Assert.True(missing.Count == 0, $"{missing.Count} of {positions.Count} records without an output, e.g. {string.Join(", ", missing.Take(5))}");
        // The path taken: the revocation came first and gave up some partitions only (a failure handled before it would
        // have released all six, which every batch touched); then the forgotten batches' partitions that the first
        // instance kept were released and read again.
        var revoked = releases[0].ToHashSet();
        Assert.True(revoked.Count < KafkaTestTopics.InputPartitions, $"first release: {string.Join(",", releases[0])}");
        var kept = Enumerable.Range(0, KafkaTestTopics.InputPartitions).Except(revoked).ToList();
        Assert.Contains(releases.Skip(1), r => r.Any(p => kept.Contains(p)));
    }

    // What the loop relies on when a cooperative revocation forgets an in-flight batch: inside the revocation callback
    // it seeks a partition the instance keeps, and that seek takes effect (here: records already read come again).
    [Fact]
    public async Task CooperativeRevocation_SeekOfAKeptPartitionInsideTheCallback_ReadsItAgainFromThere()
    {
        var topics = new KafkaTestTopics(kafka);
        var clients = CooperativeClients(topics);
        var group = $"coop-seek-{Guid.NewGuid():N}";
        var positions = PublishInput(topics, perPartition: 20);
        TopicPartition? sought = null;
        using var first = clients.CreateConsumer(group, "coop-seek-first", b => b.SetPartitionsRevokedHandler((c, revoked) =>
        {
            var kept = c.Assignment.Except(revoked.Select(r => r.TopicPartition)).ToList();
            if (sought is null && kept.Count > 0)
            {
                sought = kept[0];
                c.Seek(new TopicPartitionOffset(sought, 0));
            }
        }));
        first.Subscribe(topics.Topic(Topics.ChainBlocks));
        var read = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (read < positions.Count && clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            read += first.Consume(TimeSpan.FromMilliseconds(100)) is { Message: not null } ? 1 : 0;
        }
        Assert.Equal(positions.Count, read);

        using var stopSecond = new CancellationTokenSource();
        var second = Task.Run(() =>
        {
            using var consumer = clients.CreateConsumer(group, "coop-seek-second");
            consumer.Subscribe(topics.Topic(Topics.ChainBlocks));
            while (!stopSecond.IsCancellationRequested)
            {
                consumer.Consume(TimeSpan.FromMilliseconds(100));
            }
            consumer.Close();
        });
        ConsumeResult<string?, byte[]>? again = null;
        while (again is null && clock.Elapsed < TimeSpan.FromSeconds(120))
        {
            if (first.Consume(TimeSpan.FromMilliseconds(100)) is { Message: not null } record && sought is not null && record.TopicPartition == sought)
            {
                again = record;
            }
        }
        await stopSecond.CancelAsync();
        await second;
        first.Close();

        Assert.NotNull(sought);
        Assert.NotNull(again);
        Assert.Equal(0, again.Offset.Value);
    }

    public enum Failure
    {
        None,

        /// <summary>ProcessAsync throws a transient exception once, after releasing held records from before the batch.</summary>
        ProcessThrows,

        /// <summary>The broker refuses the next produce request after one batch released held records from before it.</summary>
        DeliveryFails,
    }

    private KafkaClientFactory CooperativeClients(KafkaTestTopics topics, int? messageTimeoutMs = null) => new(kafka.BootstrapServers, new KafkaOptions
    {
        BootstrapServers = kafka.BootstrapServers,
        TopicPrefix = topics.Prefix,
        Consumer = new ConsumerConfig { PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky },
        Producer = new ProducerConfig { MessageTimeoutMs = messageTimeoutMs },
    });

    private static List<TopicPartitionOffset> PublishInput(KafkaTestTopics topics, int perPartition) =>
        topics.PublishRaw([.. Enumerable.Range(0, perPartition * KafkaTestTopics.InputPartitions)
            .Select(i => (Topics.ChainBlocks, (string?)$"k{i}", Encoding.UTF8.GetBytes($"v{i}"), i % KafkaTestTopics.InputPartitions))]);

    private static Task StartLoop(
        KafkaTestTopics topics,
        HoldingProcessor processor,
        string group,
        ProcessingGuarantee guarantee,
        CancellationToken cancellationToken,
        KafkaClientFactory? clients = null,
        Func<BatchLoopSettings, BatchLoopSettings>? tune = null)
    {
        var settings = new BatchLoopSettings(
            [topics.Topic(Topics.ChainBlocks)], group, $"hold-{Guid.NewGuid():N}", BatchSize: 16, BatchTimeout: TimeSpan.FromMilliseconds(50),
            guarantee, MaxMessageBytes: 1_000_000, RetryBackoff: TimeSpan.FromMilliseconds(50), SummaryInterval: TimeSpan.Zero,
            BatchLinger: TimeSpan.Zero, MaxBatchesInFlight: 8);
        settings = tune?.Invoke(settings) ?? settings;
        var metrics = new ProcessingMetrics("hold-test");
        var loop = new BatchConsumerLoop(clients ?? topics.Clients, processor, settings, metrics, NullLogger.Instance);
        return loop.RunAsync(cancellationToken).ContinueWith(t =>
        {
            metrics.Dispose();
            t.GetAwaiter().GetResult();
        }, TaskScheduler.Default);
    }

    /// <summary>Committed offset of each input partition of the group (<see cref="Offset.Unset"/> when none).</summary>
    private static Dictionary<int, long> Committed(KafkaTestTopics topics, string group)
    {
        using var probe = topics.Clients.CreateConsumer(group, "hold-probe");
        var partitions = Enumerable.Range(0, KafkaTestTopics.InputPartitions).Select(p => new TopicPartition(topics.Topic(Topics.ChainBlocks), p));
        return probe.Committed(partitions, TimeSpan.FromSeconds(10)).ToDictionary(c => c.Partition.Value, c => c.Offset.Value);
    }

    /// <summary>Reads the outputs until every input position has one (or the deadline passes); returns those without.</summary>
    private static async Task<List<string>> MissingOutputsAsync(KafkaTestTopics topics, List<TopicPartitionOffset> inputs, TimeSpan within)
    {
        var missing = inputs.Select(p => HoldingProcessor.OutputKey(p.Partition.Value, p.Offset.Value)).ToHashSet();
        await Task.Run(() =>
        {
            using var consumer = topics.Clients.CreateConsumer($"outputs-{Guid.NewGuid():N}", "outputs-reader");
            consumer.Subscribe(topics.Topic(Topics.Alerts));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (missing.Count > 0 && clock.Elapsed < within)
            {
                if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { Message.Key: { } key })
                {
                    missing.Remove(key);
                }
            }
            consumer.Close();
        });
        return [.. missing.Order(StringComparer.Ordinal)];
    }

    /// <summary>Holds each record until <c>holdBack</c> more records of its partition have arrived, then outputs one
    /// message for it keyed "partition/offset"; optionally releases everything it holds on a tick.</summary>
    private sealed class HoldingProcessor(string outputTopic, int holdBack, bool releaseOnTick) : IBatchProcessor
    {
        private readonly Dictionary<int, Queue<long>> _held = [];
        private readonly HashSet<(int Partition, long Offset)> _read = [];
        private int _consumed;
        private int _ticks;

        /// <summary>Records consumed after which the next batch blocks until <see cref="Resume"/> completes or, without
        /// it, the loop is cancelled (null: never).</summary>
        public int? PauseAfter { get; init; }

        public TaskCompletionSource? Resume { get; init; }

        public Failure FailOnce { get; init; }

        /// <summary>Makes the broker refuse the next produce request (<see cref="Failure.DeliveryFails"/>).</summary>
        public Action? RefuseNextProduce { get; init; }

        public TaskCompletionSource Paused { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool Failed { get; private set; }

        public int Ticks => Volatile.Read(ref _ticks);

        /// <summary>Records given to this processor so far (read again after a rewind: counted again).</summary>
        public int Consumed => Volatile.Read(ref _consumed);

        /// <summary>Per partition, the oldest offset still held when the loop released the partition.</summary>
        public ConcurrentDictionary<int, long> HeldWhenReleased { get; } = new();

        /// <summary>Per partition, the first offset this processor was given.</summary>
        public ConcurrentDictionary<int, long> FirstSeen { get; } = new();

        /// <summary>The partitions of each <see cref="OnPartitionsReleased"/> call.</summary>
        public ConcurrentQueue<int[]> Releases { get; } = new();

        /// <summary>Records given to this processor a second time without their partition being released in between.</summary>
        public ConcurrentQueue<string> ReadTwice { get; } = new();

        public static string OutputKey(int partition, long offset) => $"{partition}/{offset}";

        public async Task ProcessAsync(IReadOnlyList<InputRecord> batch, BatchResult result, CancellationToken cancellationToken)
        {
            if (_consumed >= PauseAfter && !Paused.Task.IsCompleted)
            {
                Paused.TrySetResult();
                await (Resume?.Task ?? Task.Delay(Timeout.Infinite, cancellationToken)).WaitAsync(cancellationToken);
            }
            // Whether this batch released a record from before its own first record of that partition: a rewind to
            // the batch's first offsets would not read that record again.
            var releasedEarlier = false;
            var firstInBatch = new Dictionary<int, long>();
            foreach (var record in batch)
            {
                FirstSeen.TryAdd(record.Partition, record.Offset);
                if (!_read.Add((record.Partition, record.Offset)))
                {
                    ReadTwice.Enqueue(OutputKey(record.Partition, record.Offset));
                }
                firstInBatch.TryAdd(record.Partition, record.Offset);
                if (!_held.TryGetValue(record.Partition, out var queue))
                {
                    _held[record.Partition] = queue = new Queue<long>();
                }
                queue.Enqueue(record.Offset);
                Interlocked.Increment(ref _consumed);
                while (queue.Count > holdBack)
                {
                    var offset = queue.Dequeue();
                    var earlier = offset < firstInBatch[record.Partition];
                    releasedEarlier |= earlier;
                    result.AddOutput(outputTopic, OutputKey(record.Partition, offset), Value(record.Partition, offset));
                }
            }
            if (releasedEarlier && FailOnce != Failure.None && !Failed)
            {
                Failed = true;
                if (FailOnce == Failure.ProcessThrows)
                {
                    throw new InvalidOperationException("injected failure after releasing held records");
                }
                RefuseNextProduce?.Invoke();
            }
        }

        public long? HeldFrom(string topic, int partition) =>
            _held.TryGetValue(partition, out var queue) && queue.Count > 0 ? queue.Peek() : null;

        public Task TickAsync(BatchResult result, CancellationToken cancellationToken)
        {
            if (!releaseOnTick || _held.Values.All(q => q.Count == 0))
            {
                return Task.CompletedTask;
            }
            foreach (var (partition, queue) in _held)
            {
                while (queue.Count > 0)
                {
                    var offset = queue.Dequeue();
                    result.AddOutput(outputTopic, OutputKey(partition, offset), Value(partition, offset));
                }
            }
            Interlocked.Increment(ref _ticks);
            return Task.CompletedTask;
        }

        public void OnPartitionsReleased(IReadOnlyList<(string Topic, int Partition)> partitions)
        {
            Releases.Enqueue([.. partitions.Select(p => p.Partition)]);
            _read.RemoveWhere(r => partitions.Any(p => p.Partition == r.Partition));
            foreach (var (_, partition) in partitions)
            {
                if (_held.Remove(partition, out var queue) && queue.Count > 0)
                {
                    HeldWhenReleased[partition] = queue.Peek();
                }
            }
        }

        private static byte[] Value(int partition, long offset) => Encoding.UTF8.GetBytes(OutputKey(partition, offset));
    }
}
