using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Detection;
using Pipeline.Platform.Kafka;

namespace Pipeline.Processing.Scoring;

/// <summary>Follows the compacted fl.global-model topic from its beginning and offers every model
/// for this processor's topics to a <see cref="ModelRegistry"/> (which keeps the newest version). Uncalibrated
/// federation candidates are skipped: their calibrated version follows.</summary>
/// <remarks>Uses its own consumer in a group of its own (a fresh id per instance, never committed),
/// so every instance reads the whole topic. A record that does not decode, or whose bundle is
/// invalid, is logged and skipped: the previous model stays in use and the processor never crashes
/// for a bad model.</remarks>
public sealed partial class GlobalModelFollower
{
    private readonly KafkaClientFactory _clients;
    private readonly string _topic;
    private readonly IReadOnlyCollection<string> _keys;
    private readonly ModelRegistry _registry;
    private readonly ProcessingMetrics _metrics;
    private readonly ILogger _logger;
    private long _rejected;

    public GlobalModelFollower(KafkaClientFactory clients, string topic, IReadOnlyCollection<string> keys, ModelRegistry registry, ProcessingMetrics metrics, ILogger logger)
    {
        _clients = clients;
        _topic = topic;
        _keys = keys;
        _registry = registry;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Model records skipped because they did not decode.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Follows the topic until cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Follow(cancellationToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Follow(CancellationToken cancellationToken)
    {
        var group = $"pipeline-model-follower-{Guid.NewGuid():N}";
        using var consumer = _clients.CreateConsumer(group, group, b => b.SetErrorHandler((_, e) =>
        {
            if (e.IsFatal)
            {
                LogFatal(_logger, _topic, e.Reason);
            }
        }));
        consumer.Subscribe(_topic);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                ConsumeResult<string?, byte[]>? record;
                try
                {
                    record = consumer.Consume(cancellationToken);
                }
                catch (ConsumeException e) when (!e.Error.IsFatal)
                {
                    LogRejected(_logger, _topic, e.ConsumerRecord?.Offset.Value ?? -1, e.Error.Reason);
                    continue;
                }
                if (record?.Message?.Value is not { } value)
                {
                    continue;
                }
                Offer(value, record.Offset.Value);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            consumer.Close();
        }
    }

    /// <summary>Decodes one fl.global-model value and offers it; public so the logic is testable without Kafka.</summary>
    /// <returns>True when a model was installed.</returns>
    public bool Offer(byte[] value, long offset)
    {
        GlobalModel record;
        try
        {
            record = AvroSingleObject.Decode<GlobalModel>(value);
        }
        catch (AvroContractException e)
        {
            Interlocked.Increment(ref _rejected);
            LogRejected(_logger, _topic, offset, $"{e.ReasonCode}: {e.Message}");
            return false;
        }
        var key = _keys.FirstOrDefault(k => ScoringModelDecoder.Applies(record.Stream, k));
        if (key is null || ScoringModelDecoder.IsUncalibratedCandidate(record))
        {
            return false;
        }
        IScoringModel model;
        try
        {
            model = ScoringModelDecoder.Decode(record);
        }
        catch (ModelFormatException e)
        {
            Interlocked.Increment(ref _rejected);
            LogRejected(_logger, _topic, offset, $"{record.ModelName} v{record.Version}: {e.Message}");
            return false;
        }
        if (!_keys.Contains(model.Key))
        {
            return false;
        }
        if (!_registry.Offer(model))
        {
            return false;
        }
        _metrics.ModelVersion(model.Key, model.Version);
        LogSwapped(_logger, model.Key, record.ModelName, model.Version, model.Detector, model.Threshold);
        return true;
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "model for {Key} is now {Name} v{Version} ({Detector}, threshold {Threshold:G6})")]
    private static partial void LogSwapped(ILogger logger, string key, string name, long version, string detector, double threshold);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "skipped the record at {Topic} offset {Offset}: {Reason}; the previous model stays in use")]
    private static partial void LogRejected(ILogger logger, string topic, long offset, string reason);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Error, Message = "fatal error following {Topic}: {Reason}")]
    private static partial void LogFatal(ILogger logger, string topic, string reason);
}
