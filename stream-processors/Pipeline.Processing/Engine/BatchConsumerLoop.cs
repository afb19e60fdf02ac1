using System.Diagnostics;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Pipeline.Platform.Kafka;

namespace Pipeline.Processing.Engine;

/// <summary>The Kafka side of a processor: consume up to N messages or T ms, dead-letter oversize
/// messages, hand the rest to an <see cref="IBatchProcessor"/>, produce its outputs and dead letters,
/// wait for every acknowledgement, then commit the batch's offsets (or, under exactly_once_v2, commit
/// outputs and offsets in one transaction).</summary>
/// <remarks>
/// <para>One thread runs the loop; the consumer is used only from it. Rebalance callbacks run inside
/// Consume on that same thread, between batches: a batch is always either fully processed and
/// committed or, when its partitions are revoked while it is still being collected, the records of
/// the revoked partitions are released unprocessed and uncommitted, so the partition's new owner
/// reads them again from the committed offset. Nothing acknowledged is lost and nothing is committed
/// before its outputs are acknowledged.</para>
/// <para>Errors: a fatal Kafka error (Error.IsFatal, a fenced transactional producer) or a
/// <see cref="ProcessingFatalException"/> ends <see cref="RunAsync"/> with a
/// <see cref="ProcessingFatalException"/>; any other failure of a batch (produce timeout, broker
/// down, commit refused) rewinds the consumer to the batch's first offsets and retries after
/// <see cref="BatchLoopSettings.RetryBackoff"/>. Bad input is never an error of the loop: it is
/// dead-lettered with a reason and committed.</para>
/// </remarks>
public sealed partial class BatchConsumerLoop
{
    private static readonly TimeSpan IdlePoll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan TransactionTimeout = TimeSpan.FromSeconds(30);

    private readonly KafkaClientFactory _clients;
    private readonly IBatchProcessor _processor;
    private readonly BatchLoopSettings _settings;
    private readonly ProcessingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly List<ConsumeResult<string?, byte[]>> _pending = [];
    private readonly List<InputRecord> _inputs = [];
    private readonly List<int> _inputIndex = [];
    private readonly BatchResult _result = new();
    private readonly List<Task> _deliveries = [];
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
        if (exactlyOnce)
        {
            producerConfig.TransactionalId = $"{_settings.GroupId}-{_settings.ClientId}";
        }
        using var producer = new ProducerBuilder<string?, byte[]>(producerConfig).Build();
        var deadLetters = new DeadLetterPublisher(producer);
        var consumer = _clients.CreateConsumer(_settings.GroupId, _settings.ClientId, b => b
            .SetPartitionsAssignedHandler((c, partitions) => OnAssigned(c, partitions))
            .SetPartitionsRevokedHandler((c, partitions) => OnRevoked(c, partitions.Select(p => p.TopicPartition).ToList(), lost: false))
            .SetPartitionsLostHandler((c, partitions) => OnRevoked(c, partitions.Select(p => p.TopicPartition).ToList(), lost: true)));
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
                Collect(consumer, cancellationToken);
                if (_pending.Count > 0)
                {
                    await ProcessPendingAsync(consumer, producer, deadLetters, exactlyOnce, cancellationToken).ConfigureAwait(false);
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

    private void Collect(IConsumer<string?, byte[]> consumer, CancellationToken cancellationToken)
    {
        while (_pending.Count < _settings.BatchSize && !cancellationToken.IsCancellationRequested)
        {
            TimeSpan wait;
            if (_pending.Count == 0)
            {
                wait = IdlePoll;
            }
            else
            {
                var left = _settings.BatchTimeout - Stopwatch.GetElapsedTime(_batchStarted);
                wait = left > TimeSpan.Zero ? left : TimeSpan.Zero;
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
                if (_pending.Count == 0)
                {
                    return;
                }
                if (wait == TimeSpan.Zero)
                {
                    return;
                }
                continue;
            }
            if (_pending.Count == 0)
            {
                _batchStarted = Stopwatch.GetTimestamp();
            }
            _pending.Add(record);
            if (wait == TimeSpan.Zero && _pending.Count > 0 && Stopwatch.GetElapsedTime(_batchStarted) >= _settings.BatchTimeout)
            {
                return;
            }
        }
    }

    private async Task ProcessPendingAsync(
        IConsumer<string?, byte[]> consumer,
        IProducer<string?, byte[]> producer,
        DeadLetterPublisher deadLetters,
        bool exactlyOnce,
        CancellationToken cancellationToken)
    {
        _inputs.Clear();
        _inputIndex.Clear();
        _result.Clear();
        var oversize = new List<int>();
        for (var i = 0; i < _pending.Count; i++)
        {
            var message = _pending[i].Message;
            var value = message.Value ?? [];
            if (value.Length > _settings.MaxMessageBytes)
            {
                oversize.Add(i);
                continue;
            }
            _inputIndex.Add(i);
            _inputs.Add(new InputRecord(_pending[i].Topic, _pending[i].Partition.Value, _pending[i].Offset.Value, message.Key, value,
                DateTimeOffset.FromUnixTimeMilliseconds(message.Timestamp.UnixTimestampMs)));
        }
        var inTransaction = false;
        try
        {
            await _processor.ProcessAsync(_inputs, _result, cancellationToken).ConfigureAwait(false);
            if (exactlyOnce)
            {
                producer.BeginTransaction();
                inTransaction = true;
            }
            _deliveries.Clear();
            foreach (var output in _result.Outputs)
            {
                _deliveries.Add(producer.ProduceAsync(output.Topic, new Message<string?, byte[]> { Key = output.Key, Value = output.Value }, cancellationToken));
            }
            foreach (var index in oversize)
            {
                var size = _pending[index].Message.Value?.Length ?? 0;
                _deliveries.Add(deadLetters.PublishAsync(_pending[index], "oversize", $"value of {size} bytes exceeds Kafka:MaxMessageBytes={_settings.MaxMessageBytes}", cancellationToken));
            }
            foreach (var poison in _result.Poison)
            {
                _deliveries.Add(deadLetters.PublishAsync(_pending[_inputIndex[poison.Index]], poison.Reason, poison.Detail, cancellationToken));
            }
            await Task.WhenAll(_deliveries).ConfigureAwait(false);
            var offsets = NextOffsets();
            if (exactlyOnce)
            {
                producer.SendOffsetsToTransaction(offsets, consumer.ConsumerGroupMetadata, TransactionTimeout);
                producer.CommitTransaction(TransactionTimeout);
                inTransaction = false;
            }
            else
            {
                consumer.Commit(offsets);
            }
            foreach (var _ in oversize)
            {
                _metrics.DeadLettered("oversize");
            }
            foreach (var poison in _result.Poison)
            {
                _metrics.DeadLettered(poison.Reason);
            }
            _metrics.BatchCompleted(Stopwatch.GetElapsedTime(_batchStarted).TotalMilliseconds);
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
        catch (KafkaException e) when (e.Error.IsFatal || e is KafkaTxnRequiresAbortException { Error.Code: ErrorCode.ProducerFenced })
        {
            throw new ProcessingFatalException($"{_metrics.Processor}: fatal Kafka error ({e.Error.Code}): {e.Error.Reason}", e);
        }
        catch (Exception e)
        {
            // Transient: nothing of this batch was committed. Rewind and try again after a pause.
            AbortQuietly(producer, inTransaction);
            LogBatchRetry(_logger, _metrics.Processor, _pending.Count, e.GetType().Name, e.Message);
            Rewind(consumer);
            _pending.Clear();
            await Task.Delay(_settings.RetryBackoff, cancellationToken).ConfigureAwait(false);
        }
    }

    private List<TopicPartitionOffset> NextOffsets()
    {
        var next = new Dictionary<TopicPartition, long>();
        foreach (var record in _pending)
        {
            var tp = record.TopicPartition;
            if (!next.TryGetValue(tp, out var offset) || record.Offset.Value + 1 > offset)
            {
                next[tp] = record.Offset.Value + 1;
            }
        }
        return [.. next.Select(p => new TopicPartitionOffset(p.Key, p.Value))];
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

    private void Rewind(IConsumer<string?, byte[]> consumer)
    {
        var assignment = consumer.Assignment.ToHashSet();
        var first = new Dictionary<TopicPartition, long>();
        foreach (var record in _pending)
        {
            if (!first.TryGetValue(record.TopicPartition, out var offset) || record.Offset.Value < offset)
            {
                first[record.TopicPartition] = record.Offset.Value;
            }
        }
        foreach (var (tp, offset) in first)
        {
            if (assignment.Contains(tp))
            {
                try
                {
                    consumer.Seek(new TopicPartitionOffset(tp, offset));
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

    private void OnAssigned(IConsumer<string?, byte[]> consumer, List<TopicPartition> partitions)
    {
        _assigned = consumer.Assignment.Count + partitions.Count > 0;
        LogAssigned(_logger, _metrics.Processor, string.Join(",", partitions.Select(p => $"{p.Topic}[{p.Partition.Value}]")));
    }

    private void OnRevoked(IConsumer<string?, byte[]> consumer, List<TopicPartition> partitions, bool lost)
    {
        var revoked = partitions.ToHashSet();
        // Records of revoked partitions still being collected are released: they were neither
        // processed nor committed, so the partition's next owner reads them again.
        var released = _pending.RemoveAll(r => revoked.Contains(r.TopicPartition));
        foreach (var tp in revoked)
        {
            _metrics.ForgetPartition(tp.Topic, tp.Partition.Value);
        }
        _processor.OnPartitionsRevoked([.. partitions.Select(p => (p.Topic, p.Partition.Value))]);
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

    [LoggerMessage(EventId = 5006, Level = LogLevel.Warning, Message = "{Processor}: Kafka error {Code}: {Reason}")]
    private static partial void LogConsumeError(ILogger logger, string processor, ErrorCode code, string reason);

    [LoggerMessage(EventId = 5007, Level = LogLevel.Information, Message = "{Processor}: stopped after {Events} events")]
    private static partial void LogStopped(ILogger logger, string processor, long events);

    [LoggerMessage(EventId = 5008, Level = LogLevel.Warning, Message = "{Processor}: closing the consumer failed: {Reason}")]
    private static partial void LogCloseFailed(ILogger logger, string processor, string reason);
}
