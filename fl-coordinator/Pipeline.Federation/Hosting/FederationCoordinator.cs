using System.Security.Cryptography;
using Confluent.Kafka;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Detection;
using Pipeline.Platform.Kafka;

namespace Pipeline.Federation;

/// <summary>
/// The parameter server of one model: announces rounds on fl.rounds, collects and validates updates from
/// fl.model-updates until every selected participant answered or the deadline passed, aggregates, and publishes the
/// new version on the compacted fl.global-model.
/// </summary>
/// <remarks>
/// On start it resumes from the topics: the latest GlobalModel of its model name gives the next version and the base
/// model, the highest announced round on fl.rounds the next round number, so a restarted coordinator never reuses a
/// version or a round. One instance per model name. Runs its loop on a dedicated thread; stops on cancellation or a
/// fatal Kafka error and closes its consumer in <c>finally</c>.
/// </remarks>
public sealed partial class FederationCoordinator : BackgroundService
{
    private readonly KafkaClientFactory _clients;
    private readonly FederationOptions _options;
    private readonly ParticipantKeyDirectory _keyDirectory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly List<RoundResult> _history = [];
    private readonly NonceLedger _nonces = new();
    private Dictionary<string, ECDsa> _keys = new(StringComparer.Ordinal);
    private DateTimeOffset _keysLoadedAt = DateTimeOffset.MinValue;

    /// <summary>Creates the coordinator; <paramref name="options"/> are validated here.</summary>
    public FederationCoordinator(KafkaClientFactory clients, FederationOptions options, ParticipantKeyDirectory keys, ILogger<FederationCoordinator> logger, TimeProvider? time = null)
    {
        _clients = clients ?? throw new ArgumentNullException(nameof(clients));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _options.Validate();
        _keyDirectory = keys ?? throw new ArgumentNullException(nameof(keys));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Raised on the coordinator thread after each round.</summary>
    public event Action<RoundResult>? RoundCompleted;

    /// <summary>Results of the rounds run by this instance.</summary>
    public IReadOnlyList<RoundResult> History
    {
        get
        {
            lock (_gate) return [.. _history];
        }
    }

    /// <summary>Latest published (or resumed) global version.</summary>
    public long CurrentVersion { get; private set; }

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Run(stoppingToken), stoppingToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken ct)
    {
        var model = _options.ModelName;
        var (baseModel, lastRound) = Resume(ct);
        var baseBundle = baseModel is null ? null : ModelBundle.Deserialize(baseModel.Model);
        CurrentVersion = baseModel?.Version ?? 0;
        LogResumed(_logger, model, CurrentVersion, lastRound);
        var strategy = _options.CreateStrategy();
        var kind = _options.Kind;
        var layout = _options.Layout();
        using var producer = _clients.CreateProducer($"fl-coordinator-{model}");
        var consumer = _clients.CreateConsumer($"fl-coordinator-{model}", $"fl-coordinator-{model}");
        try
        {
            consumer.Subscribe(_clients.Topic(Topics.FlModelUpdates));
            var rounds = 0;
            var round = lastRound;
            while (!ct.IsCancellationRequested && (_options.MaxRounds == 0 || rounds < _options.MaxRounds))
            {
                var candidates = Candidates();
                if (candidates.Count == 0)
                {
                    LogNoParticipants(_logger, model, _keyDirectory.Path);
                    ct.WaitHandle.WaitOne(TimeSpan.FromSeconds(Math.Max(1, _options.RoundIntervalSeconds)));
                    continue;
                }

                round++;
                var now = _time.GetUtcNow();
                var announcement = new RoundAnnouncement
                {
                    ModelName = model,
                    Round = round,
                    BaseVersion = CurrentVersion,
                    DetectorKind = DetectorKinds.NameOf(kind),
                    Stream = (baseBundle?.Layout ?? layout).Stream,
                    SelectedParticipants = Select(candidates, round),
                    MinParticipants = _options.MinParticipants,
                    Deadline = now.AddSeconds(_options.RoundTimeoutSeconds),
                    LocalEpochs = _options.LocalEpochs,
                    BatchSize = _options.BatchSize,
                    LearningRate = _options.LearningRate,
                    AnnouncedAt = now,
                };
                producer.Produce(_clients.Topic(Topics.FlRounds), new Message<string?, byte[]> { Key = model, Value = AvroSingleObject.Encode(announcement) });
                producer.Flush(ct);
                LogAnnounced(_logger, model, round, CurrentVersion, announcement.SelectedParticipants.Count);

                var nedSizes = kind == DetectorKind.Ned ? _options.NedLayerSizes(layout.InputDimension) : null;
                var collector = new RoundCollector(announcement, baseBundle, layout, nedSizes, Key, _nonces, _options.MaxUpdateNorm);
                Collect(consumer, collector, announcement.Deadline, ct);
                var (result, bundle) = RoundAggregator.Close(collector, strategy, _options.MinParticipants, _options.QuorumPolicy == "skip", CurrentVersion + 1, _time.GetUtcNow(), _options.Seed);
                if (result.Status == RoundStatus.Published)
                {
                    var published = result.Model!;
                    if (_options.Calibration == "global")
                    {
                        // Federated evaluation: the candidate goes out marked uncalibrated (processors skip it), the
                        // participants that trained score it on their windows, and it is published again as the next
                        // version with the threshold their reports give.
                        var candidate = RoundAggregator.AsCandidate(published);
                        producer.Produce(_clients.Topic(Topics.FlGlobalModel), new Message<string?, byte[]> { Key = model, Value = AvroSingleObject.Encode(candidate) });
                        producer.Flush(ct);
                        CurrentVersion = candidate.Version;
                        round++;
                        var announced = _time.GetUtcNow();
                        var calibration = announcement with
                        {
                            Round = round,
                            BaseVersion = CurrentVersion,
                            SelectedParticipants = result.Accepted,
                            MinParticipants = 1,
                            LocalEpochs = 0,
                            Deadline = announced.AddSeconds(_options.RoundTimeoutSeconds),
                            AnnouncedAt = announced,
                        };
                        producer.Produce(_clients.Topic(Topics.FlRounds), new Message<string?, byte[]> { Key = model, Value = AvroSingleObject.Encode(calibration) });
                        producer.Flush(ct);
                        var reports = new RoundCollector(calibration, bundle, layout, nedSizes, Key, _nonces, 0);
                        Collect(consumer, reports, calibration.Deadline, ct);
                        (published, bundle) = RoundAggregator.Calibrate(candidate, bundle!, reports, CurrentVersion + 1, _time.GetUtcNow());
                        LogCalibrated(_logger, model, published.Version, round, reports.Accepted.Count, candidate.Threshold, published.Threshold);
                        if (Metric(published, WindowEvaluation.AucMetric) is { } auc)
                        {
                            LogEvaluated(_logger, model, published.Version, auc, Metric(published, WindowEvaluation.LabelledMetric) ?? 0,
                                Metric(published, WindowEvaluation.PrecisionMetric) ?? double.NaN, Metric(published, WindowEvaluation.RecallMetric) ?? double.NaN);
                        }

                        // A training update that misses the deadline usually arrives while the calibration round
                        // collects: it is this round's late (and rejected) update all the same, logged with the rest below.
                        result = result with { Model = published, Late = result.Late + reports.Late, Rejected = [.. result.Rejected, .. reports.Rejected] };
                    }

                    producer.Produce(_clients.Topic(Topics.FlGlobalModel), new Message<string?, byte[]> { Key = model, Value = AvroSingleObject.Encode(published) });
                    producer.Flush(ct);
                    CurrentVersion = published.Version;
                    baseBundle = bundle;
                    LogPublished(_logger, model, CurrentVersion, round, result.Accepted.Count, result.Rejected.Count, result.Late, result.BytesReceived);
                }
                else
                {
                    LogRoundNotPublished(_logger, model, round, result.Status, result.Reason ?? "");
                }

                foreach (var rejected in result.Rejected) LogRejected(_logger, model, rejected.Round, rejected.ParticipantId, rejected.Reason, rejected.Detail);
                try
                {
                    consumer.Commit();
                }
                catch (KafkaException ex) when (ex.Error.Code == ErrorCode.Local_NoOffset)
                {
                    // Nothing consumed this round.
                }

                lock (_gate) _history.Add(result);
                RoundCompleted?.Invoke(result);
                rounds++;
                if (_options.RoundIntervalSeconds > 0) ct.WaitHandle.WaitOne(TimeSpan.FromSeconds(_options.RoundIntervalSeconds));
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (KafkaException ex) when (ex.Error.IsFatal)
        {
            LogFatal(_logger, ex, model, ex.Error.Reason);
            throw;
        }
        finally
        {
            consumer.Close();
            consumer.Dispose();
        }
    }

    private void Collect(IConsumer<string?, byte[]> consumer, RoundCollector collector, DateTimeOffset deadline, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested && !collector.AllAnswered)
        {
            var left = deadline - _time.GetUtcNow();
            if (left <= TimeSpan.Zero) break;
            var result = consumer.Consume(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
            if (result?.Message?.Value is null) continue;
            ModelUpdate update;
            try
            {
                update = AvroSingleObject.Decode<ModelUpdate>(result.Message.Value);
            }
            catch (AvroContractException ex)
            {
                LogUndecodable(_logger, result.TopicPartitionOffset.ToString(), ex.Message);
                continue;
            }

            if (update.ModelName != collector.Announcement.ModelName) continue; // another model's coordinator owns it
            collector.Offer(update, result.Message.Value.Length);
        }

        ct.ThrowIfCancellationRequested();
    }

    private (GlobalModel? Latest, long LastRound) Resume(CancellationToken ct)
    {
        GlobalModel? latest = null;
        long lastRound = 0;
        var timeout = TimeSpan.FromSeconds(30);
        TopicSnapshot.ReadToEnd(_clients, _clients.Topic(Topics.FlGlobalModel), $"fl-coordinator-{_options.ModelName}", r =>
        {
            if (r.Message.Key != _options.ModelName || r.Message.Value is null) return;
            try
            {
                var model = AvroSingleObject.Decode<GlobalModel>(r.Message.Value);
                if (model.ModelName == _options.ModelName && (latest is null || model.Version > latest.Version)) latest = model;
            }
            catch (AvroContractException ex)
            {
                LogUndecodable(_logger, r.TopicPartitionOffset.ToString(), ex.Message);
            }
        }, timeout, ct);
        TopicSnapshot.ReadToEnd(_clients, _clients.Topic(Topics.FlRounds), $"fl-coordinator-{_options.ModelName}", r =>
        {
            if (r.Message.Key != _options.ModelName || r.Message.Value is null) return;
            try
            {
                lastRound = Math.Max(lastRound, AvroSingleObject.Decode<RoundAnnouncement>(r.Message.Value).Round);
            }
            catch (AvroContractException ex)
            {
                LogUndecodable(_logger, r.TopicPartitionOffset.ToString(), ex.Message);
            }
        }, timeout, ct);
        return (latest, Math.Max(lastRound, latest?.Round ?? 0));
    }

    private List<string> Candidates()
    {
        ReloadKeys(force: true);
        var explicitIds = _options.ParticipantIds;
        return explicitIds.Count > 0 ? [.. explicitIds] : [.. _keys.Keys.Order(StringComparer.Ordinal)];
    }

    private List<string> Select(List<string> candidates, long round)
    {
        var count = Math.Min(candidates.Count, Math.Max((int)Math.Ceiling(_options.FractionFit * candidates.Count), _options.MinParticipants));
        if (count >= candidates.Count) return candidates;
        var random = new Random(HashCode.Combine(_options.Seed, round));
        return [.. candidates.OrderBy(_ => random.Next()).Take(count).Order(StringComparer.Ordinal)];
    }

    private ECDsa? Key(string participantId)
    {
        if (_keys.TryGetValue(participantId, out var key)) return key;
        ReloadKeys(force: false); // a cluster that joined after the round opened
        return _keys.GetValueOrDefault(participantId);
    }

    private void ReloadKeys(bool force)
    {
        var now = _time.GetUtcNow();
        if (!force && now - _keysLoadedAt < TimeSpan.FromSeconds(1)) return;
        _keysLoadedAt = now;
        var fresh = _keyDirectory.LoadPublicKeys();
        foreach (var old in _keys.Values) old.Dispose();
        _keys = new Dictionary<string, ECDsa>(fresh, StringComparer.Ordinal);
    }

    private static double? Metric(GlobalModel model, string name) => NamedValue.Find(model.Metrics, name);

    /// <inheritdoc />
    public override void Dispose()
    {
        foreach (var key in _keys.Values) key.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Coordinator for {Model} resumed at version {Version}, last round {Round}")]
    private static partial void LogResumed(ILogger logger, string model, long version, long round);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No participants registered for {Model}: put <id>.pub.pem files in {Directory}")]
    private static partial void LogNoParticipants(ILogger logger, string model, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Model} round {Round} announced from version {BaseVersion} to {Selected} participant(s)")]
    private static partial void LogAnnounced(ILogger logger, string model, long round, long baseVersion, int selected);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Model} version {Version} published (round {Round}): {Accepted} accepted, {Rejected} rejected, {Late} late, {Bytes} bytes received")]
    private static partial void LogPublished(ILogger logger, string model, long version, long round, int accepted, int rejected, int late, long bytes);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Model} version {Version} calibrated in round {Round} from {Reports} report(s): threshold {LocalThreshold:G4} (local models) -> {Threshold:G4} (aggregated model)")]
    private static partial void LogCalibrated(ILogger logger, string model, long version, long round, int reports, double localThreshold, double threshold);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Model} version {Version} on the participants' labelled windows (in-sample): AUC {Auc:F3} on {Labelled} events, precision {Precision:F3}, recall {Recall:F3}")]
    private static partial void LogEvaluated(ILogger logger, string model, long version, double auc, double labelled, double precision, double recall);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Model} round {Round} {Status}: {Reason}")]
    private static partial void LogRoundNotPublished(ILogger logger, string model, long round, RoundStatus status, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Model} round {Round}: update from {Participant} rejected ({Reason}): {Detail}")]
    private static partial void LogRejected(ILogger logger, string model, long round, string participant, RejectionReason reason, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Undecodable message at {Position}: {Error}")]
    private static partial void LogUndecodable(ILogger logger, string position, string error);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Coordinator for {Model} stops on a fatal Kafka error: {Reason}")]
    private static partial void LogFatal(ILogger logger, Exception exception, string model, string reason);
}
