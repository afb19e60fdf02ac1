using System.Security.Cryptography;
using System.Text;
using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Detection;
using Pipeline.Platform.Kafka;
using Pipeline.Producers.Simulation;

namespace Pipeline.Federation;

/// <summary>
/// One cluster's federated participant: keeps a bounded window of its own cluster's events from the input topic, and
/// for every round that selects it trains from the announced global version and publishes a signed ModelUpdate.
/// </summary>
/// <remarks>
/// Two loops on dedicated threads: the data loop (consumer group <c>fl-participant-&lt;model&gt;-&lt;id&gt;</c>, committed, so a
/// restart continues where it stopped) and the control loop (fl.rounds and fl.global-model read from the beginning by a
/// throw-away group, so a restarted or newly joined participant starts from the latest global model). Announcements
/// whose deadline has passed are ignored. Raw events never leave the participant; only parameters do. An event's
/// <c>label</c> header, when present (simulators), is kept with it so calibration reports can carry in-sample
/// detection quality (<see cref="WindowEvaluation"/>).
/// </remarks>
public sealed partial class FederationParticipant : BackgroundService
{
    private readonly KafkaClientFactory _clients;
    private readonly FederationOptions _options;
    private readonly ECDsa _key;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SortedDictionary<long, GlobalModel> _globals = [];
    private long _undecodable;
    private long _published;

    /// <summary>Creates the participant of <paramref name="clusterId"/>, signing with <paramref name="key"/>.</summary>
    public FederationParticipant(KafkaClientFactory clients, FederationOptions options, string clusterId, ECDsa key, ILogger<FederationParticipant> logger, TimeProvider? time = null)
    {
        _clients = clients ?? throw new ArgumentNullException(nameof(clients));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _options.Validate();
        ArgumentException.ThrowIfNullOrWhiteSpace(clusterId);
        ClusterId = clusterId;
        ParticipantId = FederationOptions.ParticipantIdFor(clusterId);
        ParticipantKeyDirectory.ValidateId(ParticipantId);
        _key = key ?? throw new ArgumentNullException(nameof(key));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _time = time ?? TimeProvider.System;
        Window = new LocalWindow(_options.Stream, _options.LocalWindow);
    }

    /// <summary>The cluster whose events this participant trains on.</summary>
    public string ClusterId { get; }

    /// <summary>Participant id (<c>fl-&lt;cluster&gt;</c>), the name of its key files.</summary>
    public string ParticipantId { get; }

    /// <summary>The local event window.</summary>
    public LocalWindow Window { get; }

    /// <summary>Updates published so far.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Input messages that did not decode (skipped).</summary>
    public long Undecodable => Interlocked.Read(ref _undecodable);

    /// <summary>Raised on the control thread after an update is published.</summary>
    public event Action<ModelUpdate>? UpdatePublished;

    /// <summary>
    /// Test-only hook (internal): rewrites the signed update before it is published, given the base model and the
    /// participant's key — how the federation tests play a Byzantine participant through the real data and control loops.
    /// Set before the service starts.
    /// </summary>
    internal Func<ModelUpdate, ModelBundle?, ECDsa, ModelUpdate>? UpdateInterceptor { get; set; }

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Task.WhenAll(
        Task.Factory.StartNew(() => DataLoop(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default),
        Task.Factory.StartNew(() => ControlLoop(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default));

    private void DataLoop(CancellationToken ct)
    {
        var consumer = _clients.CreateConsumer($"fl-participant-{_options.ModelName}-{ParticipantId}", ParticipantId);
        var lastCommit = _time.GetUtcNow();
        try
        {
            consumer.Subscribe(_clients.Topic(_options.Stream));
            while (!ct.IsCancellationRequested)
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (result?.Message?.Value is { } value)
                {
                    try
                    {
                        var (cluster, @event) = Decode(value);
                        if (cluster == ClusterId) Window.Add(@event, Label(result.Message.Headers));
                    }
                    catch (AvroContractException)
                    {
                        Interlocked.Increment(ref _undecodable); // the processors dead-letter bad input; here it is only skipped
                    }
                }

                if (_time.GetUtcNow() - lastCommit > TimeSpan.FromSeconds(5))
                {
                    CommitQuietly(consumer);
                    lastCommit = _time.GetUtcNow();
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (KafkaException ex) when (ex.Error.IsFatal)
        {
            LogFatal(_logger, ex, ParticipantId, ex.Error.Reason);
            throw;
        }
        finally
        {
            CommitQuietly(consumer);
            consumer.Close();
            consumer.Dispose();
        }
    }

    private void ControlLoop(CancellationToken ct)
    {
        var consumer = _clients.CreateConsumer($"fl-participant-{ParticipantId}-control-{Guid.NewGuid():N}", ParticipantId);
        using var producer = _clients.CreateProducer(ParticipantId);
        RoundAnnouncement? pending = null;
        long answered = 0;
        try
        {
            consumer.Subscribe([_clients.Topic(Topics.FlRounds), _clients.Topic(Topics.FlGlobalModel)]);
            while (!ct.IsCancellationRequested)
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (result?.Message?.Value is { } value && result.Message.Key == _options.ModelName)
                {
                    try
                    {
                        if (result.Topic == _clients.Topic(Topics.FlGlobalModel))
                        {
                            var global = AvroSingleObject.Decode<GlobalModel>(value);
                            if (global.ModelName == _options.ModelName) Remember(global);
                        }
                        else
                        {
                            var round = AvroSingleObject.Decode<RoundAnnouncement>(value);
                            if (round.ModelName == _options.ModelName && round.Round > answered && round.SelectedParticipants.Contains(ParticipantId)
                                && round.Deadline > _time.GetUtcNow())
                            {
                                pending = round;
                            }
                        }
                    }
                    catch (AvroContractException)
                    {
                        Interlocked.Increment(ref _undecodable);
                    }
                }

                if (pending is null) continue;
                if (pending.Deadline <= _time.GetUtcNow())
                {
                    LogMissedDeadline(_logger, ParticipantId, pending.Round, Window.Count, pending.BaseVersion);
                    answered = pending.Round;
                    pending = null;
                    continue;
                }

                if (Window.Count < _options.MinLocalSamples) continue;
                if (pending.BaseVersion == 0 && Window.Count < _options.LocalWindow && !BootstrapWaitOver(pending)) continue;
                GlobalModel? baseModel = null;
                if (pending.BaseVersion > 0 && !_globals.TryGetValue(pending.BaseVersion, out baseModel)) continue; // wait for it
                Answer(producer, pending, baseModel, ct);
                answered = pending.Round;
                pending = null;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (KafkaException ex) when (ex.Error.IsFatal)
        {
            LogFatal(_logger, ex, ParticipantId, ex.Error.Reason);
            throw;
        }
        finally
        {
            producer.Flush(TimeSpan.FromSeconds(5));
            consumer.Close();
            consumer.Dispose();
        }
    }

    private void Answer(IProducer<string?, byte[]> producer, RoundAnnouncement round, GlobalModel? baseModel, CancellationToken ct)
    {
        ModelBundle? baseBundle;
        try
        {
            baseBundle = baseModel is null ? null : ModelBundle.Deserialize(baseModel.Model);
        }
        catch (ModelFormatException ex)
        {
            LogBadGlobal(_logger, ParticipantId, baseModel!.Version, ex.Message);
            return;
        }

        var layout = baseBundle?.Layout ?? _options.Layout();
        var (local, labels) = Window.FeaturizeWithLabels(layout);
        if (round.LocalEpochs == 0)
        {
            if (baseBundle is null) return; // a calibration round always names a published candidate
            var report = ParticipantTrainer.Calibrate(round, baseBundle, local, _options, ParticipantId, ClusterId, _key, _time.GetUtcNow(), labels);
            producer.Produce(_clients.Topic(Topics.FlModelUpdates), new Message<string?, byte[]> { Key = _options.ModelName, Value = AvroSingleObject.Encode(report) });
            producer.Flush(ct);
            LogCalibrated(_logger, ParticipantId, round.Round, round.BaseVersion, report.SampleCount);
            return;
        }

        var (update, _) = ParticipantTrainer.Train(round, baseBundle, local, _options, ParticipantId, ClusterId, _key, _time.GetUtcNow(), ct);
        if (UpdateInterceptor is { } intercept) update = intercept(update, baseBundle, _key);
        var bytes = AvroSingleObject.Encode(update);
        producer.Produce(_clients.Topic(Topics.FlModelUpdates), new Message<string?, byte[]> { Key = _options.ModelName, Value = bytes });
        producer.Flush(ct);
        Interlocked.Increment(ref _published);
        LogPublished(_logger, ParticipantId, round.Round, round.BaseVersion, update.SampleCount, update.Parameters.Length);
        UpdatePublished?.Invoke(update);
    }

    // The bootstrap round fixes the federation's standardizer (and NED's error scale), so it is worth waiting for a full
    // window: a participant answers with less only once two thirds of the round's time have passed.
    private bool BootstrapWaitOver(RoundAnnouncement round) =>
        _time.GetUtcNow() >= round.AnnouncedAt + (round.Deadline - round.AnnouncedAt) * 2 / 3;

    private void Remember(GlobalModel global)
    {
        _globals[global.Version] = global;
        while (_globals.Count > 4) _globals.Remove(_globals.Keys.First());
    }

    // Ground truth travels only in the simulators' header, never in the payload; a real deployment sends none.
    private static string? Label(Headers? headers) =>
        headers is not null && headers.TryGetLastBytes(AttackLabels.HeaderName, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;

    private (string Cluster, object Event) Decode(byte[] value) => _options.Stream switch
    {
        Topics.IiotTelemetry => AvroSingleObject.Decode<DeviceReading>(value) is var r ? (r.ClusterId, r) : default,
        Topics.ChainBlocks => AvroSingleObject.Decode<BlockEvent>(value) is var b ? (b.ClusterId, b) : default,
        _ => AvroSingleObject.Decode<TransactionEvent>(value) is var t ? (t.ClusterId, t) : default,
    };

    private static void CommitQuietly(IConsumer<string?, byte[]> consumer)
    {
        try
        {
            consumer.Commit();
        }
        catch (KafkaException)
        {
            // Nothing to commit yet, or a rebalance: the next commit covers it.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Participant} sent its update for round {Round} (base version {BaseVersion}, {Samples} samples, {Bytes} parameter bytes)")]
    private static partial void LogPublished(ILogger logger, string participant, long round, long baseVersion, long samples, int bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Participant} sent its calibration report for round {Round} (candidate version {BaseVersion}, {Samples} samples)")]
    private static partial void LogCalibrated(ILogger logger, string participant, long round, long baseVersion, long samples);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Participant} missed the deadline of round {Round} ({Events} local events, base version {BaseVersion})")]
    private static partial void LogMissedDeadline(ILogger logger, string participant, long round, int events, long baseVersion);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Participant} cannot read global version {Version}: {Error}")]
    private static partial void LogBadGlobal(ILogger logger, string participant, long version, string error);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Participant {Participant} stops on a fatal Kafka error: {Reason}")]
    private static partial void LogFatal(ILogger logger, Exception exception, string participant, string reason);
}
