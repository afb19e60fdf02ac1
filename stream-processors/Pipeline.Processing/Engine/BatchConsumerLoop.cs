using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Pipeline.Platform.Kafka;

namespace Pipeline.Processing.Engine;

/// <summary>The Kafka side of a processor: consume what has arrived (up to N messages or T ms), dead-letter oversize
/// messages, hand the rest to an <see cref="IBatchProcessor"/>, produce its outputs and dead letters,
/// and commit the batch's offsets once every one of them is acknowledged (or, under exactly_once_v2,
/// commit outputs and offsets in one transaction).</summary>
/// <remarks>
/// <para>One thread runs the loop; the consumer is used only from it. Under at_least_once the loop
/// does not stand still while a batch's outputs are on their way: up to
/// <see cref="BatchLoopSettings.MaxBatchesInFlight"/> processed batches await their acknowledgements while the next
/// batch is collected and processed, and offsets are committed in batch order, each batch only after
/// all its outputs are acknowledged — at most every <see cref="CommitInterval"/> while input keeps
/// coming, and once input has paused for <see cref="IdlePoll"/>. Under exactly_once_v2 each batch is one transaction, in turn.</para>
/// <para>Rebalance callbacks run inside Consume on the loop thread, between batches. On revocation
/// the in-flight batches are finished first (their acknowledgements awaited, bounded; the acknowledged
/// ones committed while the partitions are still ours) and records still being collected for the
/// revoked partitions are released unprocessed and uncommitted, so the new owner reads them again
/// from the committed offset. Under incremental (cooperative-sticky) rebalancing the instance keeps its other
/// partitions; those that an unacknowledged in-flight batch touched are rewound like after a failed batch, so none of
/// their records is skipped. Nothing acknowledged is lost and nothing is committed before its
/// outputs are acknowledged.</para>
/// <para>Errors: a fatal Kafka error (Error.IsFatal, a fenced transactional producer, an output over message.max.bytes,
/// which no retry can deliver) or a <see cref="ProcessingFatalException"/> ends <see cref="RunAsync"/> with a
/// <see cref="ProcessingFatalException"/>. A processed batch whose deliveries fail (refused by the broker, timed out)
/// is not processed again: after <see cref="BatchLoopSettings.RetryBackoff"/> its unacknowledged outputs and dead
/// letters are produced again (<see cref="BatchDeliveries"/>), and nothing at or after it is committed before they are
/// acknowledged; under exactly_once_v2 its transaction is tried again with the same outputs, up to
/// <see cref="TransactionAttempts"/> times. A batch the processor could not process (an exception from
/// <see cref="IBatchProcessor.ProcessAsync"/>), or whose transaction failed every attempt, rewinds the consumer to the
/// first uncommitted offsets (dropping the batches after it, whose records are then processed again) and retries after
/// <see cref="BatchLoopSettings.RetryBackoff"/>; a refused commit is logged and covered by the next one. Bad input is
/// never an error of the loop: it is dead-lettered with a reason and committed.</para>
/// <para>Held records (<see cref="IBatchProcessor.HeldFrom"/>): a batch commits, per partition, the offset after
/// its last consumed record capped at the processor's oldest held one, for the partitions of the batch and those
/// whose hold the batch moved (a batch or tick can release records of partitions it has none of). When input has
/// paused the loop calls <see cref="IBatchProcessor.TickAsync"/> at most every <see cref="IdlePoll"/>; a tick is a
/// batch without input records, its outputs produced and its positions committed the same way. A failed batch
/// releases (<see cref="IBatchProcessor.OnPartitionsReleased"/>) the partitions it and the batches after it touched
/// and every held one, and seeks them to the capped position of their last successful batch, so released and held
/// records are read again; revoked or lost partitions are released after the in-flight batches are finished, and
/// their next owner reads the held records from the capped commit.</para>
/// <para>Warm-up (<see cref="IBatchProcessor.WarmupRecords"/> &gt; 0): a partition newly assigned with a committed offset
/// c starts at max(0, c − WarmupRecords) instead (or after the last record this instance handed over, when that is later);
/// its records before c go to <see cref="IBatchProcessor.Warm"/> only, to rebuild the processor's context, and are not
/// processed, produced, dead-lettered or committed again. Nothing is read before a partition's first commit, and a
/// warm-up start before the log's first record falls back to the earliest one (auto.offset.reset=earliest; with another
/// reset policy the loop does not warm up, as an out-of-range start would skip records).</para>
/// </remarks>
public sealed partial class BatchConsumerLoop
{
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan TransactionTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Under exactly_once_v2, how often a processed batch's transaction is tried (<see cref="BatchLoopSettings.RetryBackoff"/>
    /// apart) before the batch is rewound and its records processed again. The loop does not poll its consumer meanwhile.</summary>
    private const int TransactionAttempts = 5;

    /// <summary>How long an assignment waits for the committed offsets it warms up from (inside the rebalance callback).</summary>
    private static readonly TimeSpan WarmupLookupTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Under at_least_once, acknowledged offsets are committed at most this often while input
    /// keeps coming (and once input has paused for <see cref="IdlePoll"/>, on revocation and on stop): a commit is a broker round
    /// trip, and committing every batch cost more than scoring it.</summary>
    public static readonly TimeSpan CommitInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Name of the processing_stage_ms stage that times the offset commit itself (consumer.Commit, a broker
    /// round trip on the loop thread) under at_least_once; it lies inside the batch's <see cref="ProcessingStages.Commit"/>
    /// stage, or between batches when input pauses.</summary>
    public const string OffsetCommitStage = "offset_commit";

    /// <summary>fetch.wait.max.ms of the loop's consumer on the embedded broker, unless Kafka:Consumer:FetchWaitMaxMs is set.
    /// The mock cluster answers a fetch that found no data only after this wait, even when data arrives meanwhile, so it
    /// adds up to its length to every event's latency; an idle consumer sends 1000/this fetches a second. 5 ms against
    /// 10: produce → alert p99 24.2–24.6 ms against 28.3–31.2 at 100k events/s on a quiet machine
    /// (docs/benchmarks-processing.md); 2 ms was worse, the broker's core then serving many more requests.</summary>
    public const int EmbeddedFetchWaitMs = 5;

    private readonly KafkaClientFactory _clients;
    private readonly IBatchProcessor _processor;
    private readonly BatchLoopSettings _settings;
    private readonly ProcessingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly List<ConsumeResult<string?, byte[]>> _pending = [];
    private readonly List<InputRecord> _inputs = [];
    private readonly List<int> _inputIndex = [];
    private readonly BatchResult _result = new();
    private readonly Queue<InFlightBatch> _inFlight = new();
    private readonly Dictionary<TopicPartition, long> _acknowledged = [];
    private readonly Dictionary<TopicPartition, Hold> _holds = [];
    private readonly List<TopicPartition> _heldScratch = [];
    private readonly Dictionary<TopicPartition, long> _rewindTo = [];
    private readonly Dictionary<(string Topic, int Partition), long> _warmUntil = [];
    private readonly Dictionary<TopicPartition, long> _handedOver = [];
    private readonly List<InputRecord> _warm = [];
    private bool _warmupAllowed;
    private long _lastCommit;
    private long _lastTick;
    private long _batchStarted;
    private volatile bool _assigned;

    public BatchConsumerLoop(KafkaClientFactory clients, IBatchProcessor processor, BatchLoopSettings settings, ProcessingMetrics metrics, ILogger logger)
    {
        _clients = clients;
        _processor = processor;
        _settings = settings;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>True while the consumer holds at least one partition.</summary>
    public bool HasAssignment => _assigned;

    /// <summary>Runs until <paramref name="cancellationToken"/> is cancelled (returns normally) or a
    /// fatal error occurs (throws <see cref="ProcessingFatalException"/>).</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => LoopAsync(cancellationToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        var exactlyOnce = _settings.Guarantee == ProcessingGuarantee.ExactlyOnceV2;
        var producerConfig = _clients.ProducerConfig(_settings.ClientId + "-out");
        if (_clients.Options.Producer.LingerMs is null)
        {
            // A batch's outputs are handed over together, so waiting for more only delays them.
            producerConfig.LingerMs = 0;
        }
        if (exactlyOnce)
        {
            producerConfig.TransactionalId = $"{_settings.GroupId}-{_settings.ClientId}";
        }
        using var producer = new ProducerBuilder<string?, byte[]>(producerConfig).Build();
        var deadLetters = new DeadLetterPublisher(producer, DeadLetterPublisher.MessageMaxBytesOf(producerConfig));
        var consumerConfig = _clients.ConsumerConfig(_settings.GroupId, _settings.ClientId);
        if (_clients.Options.UsesEmbeddedBroker && _clients.Options.Consumer.FetchWaitMaxMs is null)
        {
            // The embedded broker (librdkafka's mock cluster) answers a fetch that found no data only
            // after fetch.wait.max.ms, even when data arrives meanwhile; a real broker answers at once.
            consumerConfig.FetchWaitMaxMs = EmbeddedFetchWaitMs;
        }
        _warmupAllowed = _processor.WarmupRecords > 0 && consumerConfig.AutoOffsetReset == AutoOffsetReset.Earliest;
        if (_processor.WarmupRecords > 0 && !_warmupAllowed)
        {
            LogWarmupOff(_logger, _metrics.Processor, consumerConfig.AutoOffsetReset?.ToString() ?? "unset");
        }
        var consumer = new ConsumerBuilder<string?, byte[]>(consumerConfig)
            .SetPartitionsAssignedHandler((c, partitions) => OnAssigned(c, partitions))
            .SetPartitionsRevokedHandler((c, partitions) => OnRevoked(c, partitions.Select(p => p.TopicPartition).ToList(), lost: false))
            .SetPartitionsLostHandler((c, partitions) => OnRevoked(c, partitions.Select(p => p.TopicPartition).ToList(), lost: true))
            .Build();
        var summary = Stopwatch.StartNew();
        long eventsAtSummary = 0;
        try
        {
            if (exactlyOnce)
            {
                producer.InitTransactions(TransactionTimeout);
            }
            consumer.Subscribe(_settings.Topics);
            LogStarted(_logger, _metrics.Processor, string.Join(",", _settings.Topics), _settings.GroupId, _settings.Guarantee);
            while (!cancellationToken.IsCancellationRequested)
            {
                var collecting = Stopwatch.GetTimestamp();
                Collect(consumer, cancellationToken);
                if (_pending.Count > 0)
                {
                    _metrics.StageElapsed(ProcessingStages.Consume, Stopwatch.GetTimestamp() - collecting);
                    await ProcessBatchAsync(consumer, producer, deadLetters, exactlyOnce, tick: false, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    if (!cancellationToken.IsCancellationRequested && Stopwatch.GetElapsedTime(_lastTick) >= IdlePoll)
                    {
                        // Input has paused: the processor may finish held records whose time limit passed.
                        _lastTick = Stopwatch.GetTimestamp();
                        await ProcessBatchAsync(consumer, producer, deadLetters, exactlyOnce, tick: true, cancellationToken).ConfigureAwait(false);
                    }
                    if (_inFlight.Count > 0 || _acknowledged.Count > 0)
                    {
                        // No input right now: finish what is in flight so its offsets are committed promptly.
                        await CompleteInFlightAsync(consumer, InFlightWait.All, cancellationToken).ConfigureAwait(false);
                    }
                }
                if (_settings.SummaryInterval > TimeSpan.Zero && summary.Elapsed >= _settings.SummaryInterval)
                {
                    var events = _metrics.Events;
                    var rate = (events - eventsAtSummary) / summary.Elapsed.TotalSeconds;
                    LogSummary(_logger, _metrics.Processor, events, rate, _metrics.Alerts, _metrics.DeadLetters, _metrics.TotalLag,
                        string.Join(",", _metrics.ModelVersions.Select(m => $"{m.Key}=v{m.Value}")));
                    eventsAtSummary = events;
                    summary.Restart();
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the pending batch (if any) is uncommitted and will be read again by the next owner.
        }
        catch (ConsumeException e) when (e.Error.IsFatal)
        {
            throw new ProcessingFatalException($"fatal consumer error on {e.ConsumerRecord?.Topic}: {e.Error.Reason}", e);
        }
        finally
        {
            _pending.Clear();
            // Outputs already handed to the producer: commit the batches whose outputs are acknowledged.
            DrainInFlight(consumer, commit: true);
            try
            {
                consumer.Close();
            }
            catch (KafkaException e)
            {
                LogCloseFailed(_logger, _metrics.Processor, e.Error.Reason);
            }
            consumer.Dispose();
            producer.Flush(TimeSpan.FromSeconds(5));
            LogStopped(_logger, _metrics.Processor, _metrics.Events);
        }
    }

    /// <summary>Fills <see cref="_pending"/>: waits up to <see cref="IdlePoll"/> for a first message, then
    /// takes what follows until the batch is full, its age reaches the batch timeout, or nothing more
    /// arrives within the linger (zero: nothing more is buffered right now).</summary>
    /// <remarks>The clock is read once per record, when it arrives; the age and the linger are measured from
    /// that reading (a virtualised clock read cost about as much as the rest of taking a buffered record).</remarks>
    private void Collect(IConsumer<string?, byte[]> consumer, CancellationToken cancellationToken)
    {
        long lastArrival = 0, now = 0;
        while (_pending.Count < _settings.BatchSize && !cancellationToken.IsCancellationRequested)
        {
            TimeSpan wait;
            if (_pending.Count == 0)
            {
                wait = IdlePoll;
            }
            else
            {
                var left = _settings.BatchTimeout - Stopwatch.GetElapsedTime(_batchStarted, now);
                if (left <= TimeSpan.Zero)
                {
                    return;
                }
                var linger = _settings.BatchLinger - Stopwatch.GetElapsedTime(lastArrival, now);
                wait = linger < left ? linger : left;
                if (wait < TimeSpan.Zero)
                {
                    wait = TimeSpan.Zero;
                }
            }
            ConsumeResult<string?, byte[]>? record;
            try
            {
                record = consumer.Consume(wait);
            }
            catch (ConsumeException e) when (!e.Error.IsFatal)
            {
                // A transient fetch error (broker down, leader moving) is retried by the next Consume.
                LogConsumeError(_logger, _metrics.Processor, e.Error.Code, e.Error.Reason);
                return;
            }
            if (record is null || record.IsPartitionEOF)
            {
                if (_pending.Count == 0 || wait == TimeSpan.Zero)
                {
                    return;
                }
                // Consume may return early (a rebalance callback ran): the next round recomputes what is left.
                now = Stopwatch.GetTimestamp();
                continue;
            }
            lastArrival = now = Stopwatch.GetTimestamp();
            if (_pending.Count == 0)
            {
                _batchStarted = lastArrival;
            }
            _pending.Add(record);
        }
    }

    /// <summary>Processes the pending records (or, for a tick, none: <see cref="IBatchProcessor.TickAsync"/>), produces
    /// the outputs and dead letters, and commits the offsets the batch allows (<see cref="CommitPositions"/>): in
    /// flight under at_least_once, in the batch's transaction under exactly_once_v2. A tick that changes nothing
    /// produces and commits nothing.</summary>
    private async Task ProcessBatchAsync(
        IConsumer<string?, byte[]> consumer,
        IProducer<string?, byte[]> producer,
        DeadLetterPublisher deadLetters,
        bool exactlyOnce,
        bool tick,
        CancellationToken cancellationToken)
    {
        if (!tick && _warmUntil.Count > 0)
        {
            WarmUp();
            if (_pending.Count == 0)
            {
                return;
            }
        }
        _inputs.Clear();
        _inputIndex.Clear();
        _result.Clear();
        var ranges = PendingRanges();
        foreach (var range in ranges)
        {
            // A partition's first batch since it was assigned starts where its consumer started: until one of its
            // batches succeeds, a rewind goes back there.
            _rewindTo.TryAdd(range.Partition, range.First);
            if (_warmupAllowed)
            {
                HandedOver(range.Partition, range.Next);
            }
        }
        if (tick)
        {
            _batchStarted = Stopwatch.GetTimestamp();
        }
        var oversize = new List<int>();
        for (var i = 0; i < _pending.Count; i++)
        {
            if (Oversize(_pending[i]))
            {
                oversize.Add(i);
                continue;
            }
            _inputIndex.Add(i);
            _inputs.Add(Input(_pending[i]));
        }
        var inTransaction = false;
        List<TopicPartitionOffset>? offsets = null;
        try
        {
            var stage = Stopwatch.GetTimestamp();
            if (tick)
            {
                await _processor.TickAsync(_result, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await _processor.ProcessAsync(_inputs, _result, cancellationToken).ConfigureAwait(false);
            }
            offsets = CommitPositions(ranges);
            if (tick)
            {
                if (_result.Poison.Count > 0)
                {
                    throw new ProcessingFatalException($"{_metrics.Processor}: a tick gave poison verdicts, but it has no input records to dead-letter");
                }
                if (_result.Outputs.Count == 0 && offsets.Count == 0)
                {
                    return;
                }
            }
            stage = NextStage(ProcessingStages.Process, stage);
            // Under at_least_once the acknowledgements are awaited later (CompleteInFlightAsync), also
            // across a stop, so they do not follow the loop's cancellation.
            var deliveries = new BatchDeliveries(producer, deadLetters, _result.Outputs, DeadLetters(oversize), exactlyOnce ? cancellationToken : CancellationToken.None);
            if (!exactlyOnce)
            {
                deliveries.Produce(all: true);
                _inFlight.Enqueue(new InFlightBatch(deliveries, offsets, _batchStarted));
                _pending.Clear();
                stage = NextStage(ProcessingStages.Deliver, stage);
                await CompleteInFlightAsync(consumer, _inFlight.Count >= _settings.MaxBatchesInFlight ? InFlightWait.Oldest : InFlightWait.None, cancellationToken).ConfigureAwait(false);
                NextStage(ProcessingStages.Commit, stage);
                return;
            }
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    producer.BeginTransaction();
                    inTransaction = true;
                    var produced = deliveries.Produce(all: true);
                    if (attempt > 1)
                    {
                        _metrics.DeliveriesRetried(produced);
                    }
                    await deliveries.Acknowledged.ConfigureAwait(false);
                    stage = NextStage(ProcessingStages.Deliver, stage);
                    if (offsets.Count > 0)
                    {
                        producer.SendOffsetsToTransaction(offsets, consumer.ConsumerGroupMetadata, TransactionTimeout);
                    }
                    producer.CommitTransaction(TransactionTimeout);
                    inTransaction = false;
                    break;
                }
                catch (Exception e) when (attempt < TransactionAttempts && Transient(e, cancellationToken))
                {
                    // The batch's outputs are made: try them in a new transaction rather than processing its records
                    // again (a short outage). After the last attempt the batch is rewound as any failed one.
                    AbortQuietly(producer, inTransaction);
                    inTransaction = false;
                    LogTransactionRetry(_logger, _metrics.Processor, attempt, TransactionAttempts, e.GetType().Name, e.Message);
                    await Task.Delay(_settings.RetryBackoff, cancellationToken).ConfigureAwait(false);
                }
            }
            NextStage(ProcessingStages.Commit, stage);
            Completed(deliveries, offsets, _batchStarted);
            RecordLag(consumer, offsets);
            _pending.Clear();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            AbortQuietly(producer, inTransaction);
            throw;
        }
        catch (ProcessingFatalException)
        {
            throw;
        }
        catch (KafkaException e) when (Fatal(e))
        {
            throw FatalError(e);
        }
        catch (Exception e)
        {
            // Transient: nothing of this batch was committed. Rewind and try again after a pause.
            AbortQuietly(producer, inTransaction);
            LogBatchRetry(_logger, _metrics.Processor, _pending.Count, e.GetType().Name, e.Message);
            Rewind(consumer, ranges, offsets?.Select(next => next.TopicPartition));
            _pending.Clear();
            await Task.Delay(_settings.RetryBackoff, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The batch's dead letters: its oversize records, then the processor's poison verdicts.</summary>
    private List<DeadLetter> DeadLetters(List<int> oversize)
    {
        var letters = new List<DeadLetter>(oversize.Count + _result.Poison.Count);
        foreach (var index in oversize)
        {
            var size = _pending[index].Message.Value?.Length ?? 0;
            letters.Add(new DeadLetter(_pending[index], "oversize", $"value of {size} bytes exceeds Kafka:MaxMessageBytes={_settings.MaxMessageBytes}"));
        }
        foreach (var poison in _result.Poison)
        {
            letters.Add(new DeadLetter(_pending[_inputIndex[poison.Index]], poison.Reason, poison.Detail));
        }
        return letters;
    }

    /// <summary>Whether a failed delivery or transaction may be tried again: not when stopping, and not after a fatal
    /// error (those end the loop).</summary>
    private static bool Transient(Exception e, CancellationToken cancellationToken) => e switch
    {
        OperationCanceledException when cancellationToken.IsCancellationRequested => false,
        ProcessingFatalException => false,
        KafkaException k => !Fatal(k),
        _ => true,
    };

    /// <summary>A Kafka error that ends the loop: fatal for the client, a fenced transactional producer, or a message
    /// larger than message.max.bytes (the producer's, or the topic's on the broker), which every retry would meet again.</summary>
    private static bool Fatal(KafkaException e) =>
        e.Error.IsFatal || e is KafkaTxnRequiresAbortException { Error.Code: ErrorCode.ProducerFenced } || e.Error.Code == ErrorCode.MsgSizeTooLarge;

    private ProcessingFatalException FatalError(KafkaException e) => e switch
    {
        ProduceException<string?, byte[]> { Error.Code: ErrorCode.MsgSizeTooLarge } p => new ProcessingFatalException(
            $"{_metrics.Processor}: an output of {p.DeliveryResult?.Message?.Value?.Length ?? 0} bytes for {p.DeliveryResult?.Topic} is over " +
            "message.max.bytes and no retry can deliver it: raise Kafka:Producer:MessageMaxBytes (and the topic's max.message.bytes) " +
            "or make the processor's outputs smaller. Nothing from its batch on was committed.", e),
        _ => new ProcessingFatalException($"{_metrics.Processor}: fatal Kafka error ({e.Error.Code}): {e.Error.Reason}", e),
    };

    /// <summary>The offsets a processed batch (or tick) lets the loop commit, updating <see cref="_holds"/>: for each
    /// partition of the batch, the offset after its last record capped at the processor's oldest held record
    /// (<see cref="IBatchProcessor.HeldFrom"/>); for each partition held before and not in the batch whose hold moved,
    /// the new cap, or the offset after its last consumed record once nothing of it is held.</summary>
    /// <remarks>One HeldFrom call per partition of the batch and per held partition; no work per record.</remarks>
    private List<TopicPartitionOffset> CommitPositions(List<PartitionRange> ranges)
    {
        var offsets = new List<TopicPartitionOffset>(ranges.Count + _holds.Count);
        if (_holds.Count > 0)
        {
            _heldScratch.Clear();
            _heldScratch.AddRange(_holds.Keys);
            foreach (var tp in _heldScratch)
            {
                if (Covers(ranges, tp))
                {
                    continue;
                }
                var hold = _holds[tp];
                var from = _processor.HeldFrom(tp.Topic, tp.Partition.Value);
                if (from == hold.From)
                {
                    continue;
                }
                if (from is { } held)
                {
                    _holds[tp] = hold with { From = held };
                    offsets.Add(new TopicPartitionOffset(tp, Math.Min(held, hold.Consumed)));
                }
                else
                {
                    _holds.Remove(tp);
                    offsets.Add(new TopicPartitionOffset(tp, hold.Consumed));
                }
            }
        }
        foreach (var range in ranges)
        {
            var from = _processor.HeldFrom(range.Partition.Topic, range.Partition.Partition.Value);
            if (from is { } held)
            {
                _holds[range.Partition] = new Hold(range.Next, held);
                offsets.Add(new TopicPartitionOffset(range.Partition, Math.Min(held, range.Next)));
            }
            else
            {
                _holds.Remove(range.Partition);
                offsets.Add(new TopicPartitionOffset(range.Partition, range.Next));
            }
        }
        return offsets;
    }

    /// <summary>Commits, in batch order, the offsets of in-flight batches whose outputs are all
    /// acknowledged; waits for none, the oldest, or all of them first. A batch whose outputs failed
    /// rewinds the consumer to it (and drops the batches after it) and pauses for the retry backoff.</summary>
    private async Task CompleteInFlightAsync(IConsumer<string?, byte[]> consumer, InFlightWait wait, CancellationToken cancellationToken)
    {
        var mustWait = wait switch
        {
            InFlightWait.All => _inFlight.Count,
            InFlightWait.Oldest => 1,
            _ => 0,
        };
        while (_inFlight.Count > 0)
        {
            var head = _inFlight.Peek();
            var acknowledged = head.Deliveries.Acknowledged;
            if (!acknowledged.IsCompleted)
            {
                if (mustWait <= 0)
                {
                    break;
                }
                try
                {
                    await acknowledged.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception) when (acknowledged.IsCompleted)
                {
                    // Examined below.
                }
            }
            mustWait--;
            if (!acknowledged.IsCompletedSuccessfully)
            {
                CommitAcknowledged(consumer, force: true);
                var error = acknowledged.Exception?.GetBaseException() ?? new OperationCanceledException("delivery cancelled");
                if (error is KafkaException fatal && Fatal(fatal))
                {
                    throw FatalError(fatal);
                }
                // The batch's outputs are made: produce the unacknowledged ones again rather than processing its records
                // again. The loop goes on consuming meanwhile; the batch stays at the head and nothing after it is committed.
                LogDeliveryRetry(_logger, _metrics.Processor, head.Deliveries.Failed, error.GetType().Name, error.Message);
                await Task.Delay(_settings.RetryBackoff, cancellationToken).ConfigureAwait(false);
                _metrics.DeliveriesRetried(head.Deliveries.Produce(all: false));
                return;
            }
            Acknowledged(_inFlight.Dequeue());
        }
        CommitAcknowledged(consumer, force: wait == InFlightWait.All);
    }

    /// <summary>Synchronous end of the in-flight batches (revocation, stop): waits a bounded time for
    /// their acknowledgements, commits the acknowledged prefix (unless the partitions were lost) and
    /// forgets the rest, whose records the partitions' next owner reads again. Returns the partitions of the
    /// forgotten batches.</summary>
    private HashSet<TopicPartition> DrainInFlight(IConsumer<string?, byte[]> consumer, bool commit)
    {
        var forgotten = new HashSet<TopicPartition>();
        if (_inFlight.Count > 0)
        {
            try
            {
                Task.WaitAll([.. _inFlight.Select(b => b.Deliveries.Acknowledged)], DrainTimeout);
            }
            catch (AggregateException)
            {
                // Failed batches stay uncommitted; examined below.
            }
            while (_inFlight.Count > 0 && _inFlight.Peek().Deliveries.Acknowledged.IsCompletedSuccessfully)
            {
                Acknowledged(_inFlight.Dequeue());
            }
            foreach (var batch in _inFlight)
            {
                forgotten.UnionWith(batch.Next.Select(next => next.TopicPartition));
            }
            _inFlight.Clear();
        }
        if (commit)
        {
            CommitAcknowledged(consumer, force: true);
        }
        else
        {
            _acknowledged.Clear();
        }
        return forgotten;
    }

    private void Acknowledged(InFlightBatch batch)
    {
        foreach (var next in batch.Next)
        {
            // Batches complete in order, so a later batch's offset for a partition is the larger one.
            _acknowledged[next.TopicPartition] = next.Offset.Value;
        }
        Completed(batch.Deliveries, batch.Next, batch.Started);
    }

    /// <summary>A batch whose outputs are on the broker (acknowledged, or committed in its transaction): a rewind no
    /// longer goes before it, and its dead letters and latency are counted.</summary>
    private void Completed(BatchDeliveries deliveries, List<TopicPartitionOffset> next, long started)
    {
        foreach (var offset in next)
        {
            _rewindTo[offset.TopicPartition] = offset.Offset.Value;
        }
        foreach (var letter in deliveries.DeadLetters)
        {
            _metrics.DeadLettered(letter.Reason);
        }
        _metrics.BatchCompleted(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    private void CommitAcknowledged(IConsumer<string?, byte[]> consumer, bool force)
    {
        if (_acknowledged.Count == 0 || (!force && Stopwatch.GetElapsedTime(_lastCommit) < CommitInterval))
        {
            return;
        }
        List<TopicPartitionOffset> list = [.. _acknowledged.Select(p => new TopicPartitionOffset(p.Key, p.Value))];
        _acknowledged.Clear();
        _lastCommit = Stopwatch.GetTimestamp();
        try
        {
            consumer.Commit(list);
            _metrics.StageElapsed(OffsetCommitStage, Stopwatch.GetTimestamp() - _lastCommit);
        }
        catch (KafkaException e) when (!e.Error.IsFatal)
        {
            // A later commit of the same partition covers these offsets; otherwise the partition's next
            // owner reads the records again (at-least-once).
            LogConsumeError(_logger, _metrics.Processor, e.Error.Code, e.Error.Reason);
            return;
        }
        catch (KafkaException e)
        {
            throw FatalError(e);
        }
        RecordLag(consumer, list);
    }

    /// <summary>Each partition of the pending records with its first offset and the offset after its last, in one
    /// pass. Records come in runs of one partition, so a record is compared with the current run before the list is
    /// searched, and a <see cref="TopicPartition"/> is built once per partition instead of once per record.</summary>
    private List<PartitionRange> PendingRanges()
    {
        var ranges = new List<PartitionRange>();
        var current = -1;
        foreach (var record in _pending)
        {
            var partition = record.Partition.Value;
            var offset = record.Offset.Value;
            if (current < 0 || !ranges[current].Holds(record.Topic, partition))
            {
                current = ranges.FindIndex(r => r.Holds(record.Topic, partition));
                if (current < 0)
                {
                    ranges.Add(new PartitionRange(new TopicPartition(record.Topic, partition), offset, offset + 1));
                    current = ranges.Count - 1;
                    continue;
                }
            }
            var range = ranges[current];
            ranges[current] = range with { First = Math.Min(range.First, offset), Next = Math.Max(range.Next, offset + 1) };
        }
        return ranges;
    }

    private long NextStage(string finished, long started)
    {
        var now = Stopwatch.GetTimestamp();
        _metrics.StageElapsed(finished, now - started);
        return now;
    }

    private static bool Covers(List<PartitionRange> ranges, TopicPartition partition)
    {
        foreach (var range in ranges)
        {
            if (range.Holds(partition.Topic, partition.Partition.Value))
            {
                return true;
            }
        }
        return false;
    }

    private void RecordLag(IConsumer<string?, byte[]> consumer, List<TopicPartitionOffset> committed)
    {
        foreach (var offset in committed)
        {
            var watermarks = consumer.GetWatermarkOffsets(offset.TopicPartition);
            if (watermarks.High != Offset.Unset)
            {
                _metrics.Lag(offset.Topic, offset.Partition.Value, watermarks.High.Value - offset.Offset.Value);
            }
        }
    }

    /// <summary>After a failed batch (or batches forgotten at a revocation): releases to the processor every partition
    /// of the failed batch (<paramref name="ranges"/>, and <paramref name="current"/>: those it would have committed, which
    /// name the holds it released, or the forgotten batches' kept partitions), of the in-flight batches (forgotten here)
    /// and every partition with held records, drops their pending records, then seeks each back to
    /// <see cref="_rewindTo"/>: the capped position of its last successful batch. Their records, held ones included, are
    /// read again.</summary>
    /// <remarks>Held partitions are released even when the failed batch did not name them: a processor may have
    /// finished one of their records without its oldest held offset moving. Without holds the seek target is the
    /// first offset of the failed batch, as offsets are contiguous.</remarks>
    private void Rewind(IConsumer<string?, byte[]> consumer, List<PartitionRange> ranges, IEnumerable<TopicPartition>? current)
    {
        var affected = new HashSet<TopicPartition>(_holds.Keys);
        foreach (var range in ranges)
        {
            affected.Add(range.Partition);
        }
        affected.UnionWith(current ?? []);
        foreach (var batch in _inFlight)
        {
            foreach (var next in batch.Next)
            {
                affected.Add(next.TopicPartition);
            }
        }
        _inFlight.Clear();
        if (affected.Count == 0)
        {
            return;
        }
        _holds.Clear();
        _pending.RemoveAll(r => affected.Contains(r.TopicPartition));
        _processor.OnPartitionsReleased([.. affected.Select(tp => (tp.Topic, tp.Partition.Value))]);
        var assignment = consumer.Assignment.ToHashSet();
        foreach (var tp in affected)
        {
            if (assignment.Contains(tp) && _rewindTo.TryGetValue(tp, out var position))
            {
                try
                {
                    consumer.Seek(new TopicPartitionOffset(tp, position));
                }
                catch (KafkaException e)
                {
                    LogConsumeError(_logger, _metrics.Processor, e.Error.Code, e.Error.Reason);
                }
            }
        }
    }

    private void AbortQuietly(IProducer<string?, byte[]> producer, bool inTransaction)
    {
        if (!inTransaction)
        {
            return;
        }
        try
        {
            producer.AbortTransaction(TransactionTimeout);
        }
        catch (KafkaException e)
        {
            LogConsumeError(_logger, _metrics.Processor, e.Error.Code, e.Error.Reason);
        }
    }

    private List<TopicPartitionOffset> OnAssigned(IConsumer<string?, byte[]> consumer, List<TopicPartition> partitions)
    {
        _assigned = consumer.Assignment.Count + partitions.Count > 0;
        var starts = WarmupStarts(consumer, partitions);
        LogAssigned(_logger, _metrics.Processor, string.Join(",", starts.Select(s =>
            s.Offset == Offset.Unset ? $"{s.Topic}[{s.Partition.Value}]" : $"{s.Topic}[{s.Partition.Value}] (warm-up from {s.Offset.Value} to {_warmUntil[(s.Topic, s.Partition.Value)]})")));
        return starts;
    }

    /// <summary>Where each newly assigned partition starts: at its committed offset (<see cref="Offset.Unset"/>), or up to
    /// <see cref="IBatchProcessor.WarmupRecords"/> records before it, recording in <see cref="_warmUntil"/> the offset
    /// where the warm-up ends. No warm-up for a partition without a commit, nor for one whose records up to the commit
    /// this instance already handed to its processor.</summary>
    private List<TopicPartitionOffset> WarmupStarts(IConsumer<string?, byte[]> consumer, List<TopicPartition> partitions)
    {
        var starts = partitions.ConvertAll(p => new TopicPartitionOffset(p, Offset.Unset));
        if (!_warmupAllowed || partitions.Count == 0)
        {
            return starts;
        }
        Dictionary<TopicPartition, long> committed;
        try
        {
            committed = consumer.Committed(partitions, WarmupLookupTimeout).ToDictionary(c => c.TopicPartition, c => c.Offset.Value);
        }
        catch (KafkaException e)
        {
            // The warm-up only spares false alerts: without the committed offsets the partitions start cold.
            LogWarmupFailed(_logger, _metrics.Processor, e.Error.Code, e.Error.Reason);
            return starts;
        }
        for (var i = 0; i < starts.Count; i++)
        {
            var tp = partitions[i];
            if (!committed.TryGetValue(tp, out var until) || until <= 0)
            {
                continue;
            }
            var from = Math.Max(0, until - _processor.WarmupRecords);
            if (_handedOver.TryGetValue(tp, out var handed))
            {
                // Records after the commit that were handed over already are read again and handed over again, as
                // after any rewind; their context is there.
                from = handed > until ? until : Math.Max(from, handed);
            }
            if (from < until)
            {
                _warmUntil[(tp.Topic, tp.Partition.Value)] = until;
                starts[i] = new TopicPartitionOffset(tp, from);
            }
        }
        return starts;
    }

    /// <summary>Moves the pending records of partitions still warming up (offsets before <see cref="_warmUntil"/>) out of
    /// <see cref="_pending"/> and hands them to <see cref="IBatchProcessor.Warm"/>; a partition's warm-up ends with its
    /// last record before the commit or its first record at or after it. Oversize records are skipped (they were
    /// dead-lettered when processed).</summary>
    private void WarmUp()
    {
        _warm.Clear();
        var kept = 0;
        string? topic = null;
        var partition = -1;
        long until = -1;
        for (var i = 0; i < _pending.Count; i++)
        {
            var record = _pending[i];
            var offset = record.Offset.Value;
            if (record.Partition.Value != partition || !string.Equals(record.Topic, topic, StringComparison.Ordinal))
            {
                topic = record.Topic;
                partition = record.Partition.Value;
                until = _warmUntil.TryGetValue((topic, partition), out var end) ? end : -1;
            }
            if (offset < until)
            {
                if (!Oversize(record))
                {
                    _warm.Add(Input(record));
                }
                HandedOver(record.TopicPartition, offset + 1);
                if (offset + 1 == until)
                {
                    // The last record before the commit: the partition's warm-up is over.
                    _warmUntil.Remove((topic!, partition));
                    until = -1;
                }
                continue;
            }
            if (until >= 0)
            {
                // The first record at or after the commit (the one before it was a transaction marker or compacted away).
                _warmUntil.Remove((topic!, partition));
                until = -1;
            }
            _pending[kept++] = record;
        }
        _pending.RemoveRange(kept, _pending.Count - kept);
        if (_warm.Count == 0)
        {
            return;
        }
        try
        {
            _processor.Warm(_warm);
        }
        catch (Exception e) when (e is not ProcessingFatalException and not OperationCanceledException)
        {
            // Only context is lost: the partitions' next records are processed from a colder context.
            LogWarmupFailed(_logger, _metrics.Processor, ErrorCode.Unknown, $"{e.GetType().Name}: {e.Message}");
        }
        _metrics.WarmedUp(_warm.Count);
    }

    private void HandedOver(TopicPartition partition, long next)
    {
        if (!_handedOver.TryGetValue(partition, out var handed) || handed < next)
        {
            _handedOver[partition] = next;
        }
    }

    private bool Oversize(ConsumeResult<string?, byte[]> record) => (record.Message.Value?.Length ?? 0) > _settings.MaxMessageBytes;

    private static InputRecord Input(ConsumeResult<string?, byte[]> record) =>
        new(record.Topic, record.Partition.Value, record.Offset.Value, record.Message.Key, record.Message.Value ?? [],
            DateTimeOffset.FromUnixTimeMilliseconds(record.Message.Timestamp.UnixTimestampMs));

    private void OnRevoked(IConsumer<string?, byte[]> consumer, List<TopicPartition> partitions, bool lost)
    {
        var revoked = partitions.ToHashSet();
        // Records of revoked partitions still being collected are released: they were neither
        // processed nor committed, so the partition's next owner reads them again.
        var released = _pending.RemoveAll(r => revoked.Contains(r.TopicPartition));
        // Batches already processed finish here: acknowledged ones are committed (while the partitions
        // are still ours), the others are released like pending records.
        var forgotten = DrainInFlight(consumer, commit: !lost);
        foreach (var tp in revoked)
        {
            _metrics.ForgetPartition(tp.Topic, tp.Partition.Value);
            _holds.Remove(tp);
            _rewindTo.Remove(tp);
            _warmUntil.Remove((tp.Topic, tp.Partition.Value));
        }
        // Their held records were not committed past: the next owner reads them again.
        _processor.OnPartitionsReleased([.. partitions.Select(p => (p.Topic, p.Partition.Value))]);
        // An incremental (cooperative) revocation keeps the other partitions: the forgotten batches' records of those
        // are read again, as after a failed batch. An eager one revokes every partition, so none is kept.
        forgotten.ExceptWith(revoked);
        if (forgotten.Count > 0)
        {
            Rewind(consumer, [], forgotten);
        }
        _assigned = consumer.Assignment.Count > revoked.Count;
        LogRevoked(_logger, _metrics.Processor, lost ? "lost" : "revoked", string.Join(",", partitions.Select(p => $"{p.Topic}[{p.Partition.Value}]")), released);
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "{Processor}: consuming {Topics} in group {Group} ({Guarantee})")]
    private static partial void LogStarted(ILogger logger, string processor, string topics, string group, ProcessingGuarantee guarantee);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "{Processor}: {Events} events ({Rate:0} /s), {Alerts} alerts, {DeadLetters} dead-lettered, lag {Lag}, models [{Models}]")]
    private static partial void LogSummary(ILogger logger, string processor, long events, double rate, long alerts, long deadLetters, long lag, string models);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "{Processor}: assigned {Partitions}")]
    private static partial void LogAssigned(ILogger logger, string processor, string partitions);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Information, Message = "{Processor}: partitions {How}: {Partitions}; released {Released} uncommitted records to the next owner")]
    private static partial void LogRevoked(ILogger logger, string processor, string how, string partitions, int released);

    [LoggerMessage(EventId = 5005, Level = LogLevel.Warning, Message = "{Processor}: batch of {Count} failed ({Error}: {Detail}); rewound, will retry")]
    private static partial void LogBatchRetry(ILogger logger, string processor, int count, string error, string detail);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "{Processor}: {Count} deliveries of a processed batch failed ({Error}: {Detail}); producing them again")]
    private static partial void LogDeliveryRetry(ILogger logger, string processor, int count, string error, string detail);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Warning, Message = "{Processor}: transaction of a processed batch failed, attempt {Attempt} of {Attempts} ({Error}: {Detail}); trying its outputs again")]
    private static partial void LogTransactionRetry(ILogger logger, string processor, int attempt, int attempts, string error, string detail);

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "{Processor}: Kafka error {Code}: {Reason}")]
    private static partial void LogConsumeError(ILogger logger, string processor, ErrorCode code, string reason);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Information, Message = "{Processor}: stopped after {Events} events")]
    private static partial void LogStopped(ILogger logger, string processor, long events);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Warning, Message = "{Processor}: closing the consumer failed: {Reason}")]
    private static partial void LogCloseFailed(ILogger logger, string processor, string reason);

    [LoggerMessage(EventId = 5009, Level = LogLevel.Warning, Message = "{Processor}: warm-up of assigned partitions skipped ({Code}: {Reason}); their next records are processed from a cold context")]
    private static partial void LogWarmupFailed(ILogger logger, string processor, ErrorCode code, string reason);

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "{Processor}: no warm-up of assigned partitions: it needs Kafka:Consumer:AutoOffsetReset=Earliest, got {Reset}")]
    private static partial void LogWarmupOff(ILogger logger, string processor, string reset);

    private enum InFlightWait
    {
        None,
        Oldest,
        All,
    }

    /// <summary>The pending records of one partition: the first offset and the one after the last.</summary>
    private readonly record struct PartitionRange(TopicPartition Partition, long First, long Next)
    {
        public bool Holds(string topic, int partition) =>
            Partition.Partition.Value == partition && string.Equals(Partition.Topic, topic, StringComparison.Ordinal);
    }

    /// <summary>A processed batch whose outputs were handed to the producer; <paramref name="Next"/> are the offsets it
    /// lets the loop commit (<see cref="CommitPositions"/>).</summary>
    private sealed record InFlightBatch(
        BatchDeliveries Deliveries,
        List<TopicPartitionOffset> Next,
        long Started);

    /// <summary>A partition whose records the processor held after the last batch or tick: the offset after its last
    /// consumed record, and the oldest held offset.</summary>
    private readonly record struct Hold(long Consumed, long From);
}
