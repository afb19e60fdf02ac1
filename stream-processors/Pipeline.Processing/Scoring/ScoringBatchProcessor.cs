using System.Diagnostics;
using System.Runtime.CompilerServices;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Processing.Engine;

namespace Pipeline.Processing.Scoring;

/// <summary>Scoring logic: decode and validate each record, score each topic's events with the
/// current model for that topic, and emit an <see cref="Alert"/> for every score above the model's
/// threshold. Pure apart from the model registry it reads; no Kafka.</summary>
/// <remarks>
/// Not thread-safe (one loop). A scorer (featurizer context) is kept per topic and model version:
/// when the registry holds a newer version, the next batch gets a fresh scorer of it, so every alert
/// of a batch carries the version that scored it. Featurizer context is per entity, not per
/// partition; on revocation it is kept (bounded LRU) and simply goes stale for entities that moved.
/// Events without a model are counted as unscored (pass-through mode).
/// </remarks>
public sealed class ScoringBatchProcessor : IBatchProcessor
{
    private readonly string _stream;
    private readonly IReadOnlyDictionary<string, string> _inputs;
    private readonly string _alertsTopic;
    private readonly ModelRegistry _models;
    private readonly ScoringOptions _options;
    private readonly ProcessingMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, Group> _groups = new(StringComparer.Ordinal);
    private float[] _scores = [];

    /// <param name="stream">Stream name written on alerts (chain, iiot).</param>
    /// <param name="inputs">Full input topic name → catalogue topic name.</param>
    /// <param name="alertsTopic">Full name of the alerts topic.</param>
    /// <param name="models">Current models.</param>
    /// <param name="options">Scoring options.</param>
    /// <param name="metrics">Metrics sink.</param>
    /// <param name="time">Clock for detection times.</param>
    public ScoringBatchProcessor(
        string stream,
        IReadOnlyDictionary<string, string> inputs,
        string alertsTopic,
        ModelRegistry models,
        ScoringOptions options,
        ProcessingMetrics metrics,
        TimeProvider? time = null)
    {
        _stream = stream;
        _inputs = inputs;
        _alertsTopic = alertsTopic;
        _models = models;
        _options = options;
        _metrics = metrics;
        _time = time ?? TimeProvider.System;
        foreach (var catalogue in inputs.Values.Distinct())
        {
            _groups[catalogue] = new Group(catalogue, BundleScoringModel.KindOf(catalogue));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public Task ProcessAsync(IReadOnlyList<InputRecord> batch, BatchResult result, CancellationToken cancellationToken)
    {
        foreach (var group in _groups.Values)
        {
            group.Clear();
        }
        var decoded = 0;
        string? lastTopic = null;
        Group? lastGroup = null;
        var stage = Stopwatch.GetTimestamp();
        for (var i = 0; i < batch.Count; i++)
        {
            var record = batch[i];
            // A batch is mostly one topic: comparing with the previous record's is cheaper than hashing.
            if (!string.Equals(record.Topic, lastTopic, StringComparison.Ordinal))
            {
                lastGroup = _inputs.TryGetValue(record.Topic, out var catalogue) ? _groups[catalogue] : null;
                lastTopic = record.Topic;
            }
            var group = lastGroup;
            if (group is null)
            {
                result.AddPoison(i, "unexpected_topic", $"topic '{record.Topic}' is not an input of the {_stream} scorer");
                continue;
            }
            object? value;
            string? problem;
            try
            {
                (value, problem) = DecodeAndValidate(group.Kind, record.Value);
            }
            catch (AvroContractException e)
            {
                result.AddPoison(i, e.ReasonCode, e.Message);
                continue;
            }
            if (problem is not null)
            {
                result.AddPoison(i, "invalid_value", problem);
                continue;
            }
            group.Add(value!, i);
            decoded++;
        }
        _metrics.StageElapsed(ProcessingStages.Decode, Stopwatch.GetTimestamp() - stage);
        _metrics.EventsProcessed(decoded);
        var now = _time.GetUtcNow();
        foreach (var group in _groups.Values)
        {
            if (group.Events.Count > 0)
            {
                ScoreGroup(group, batch, result, now);
            }
        }
        return Task.CompletedTask;
    }

    public void OnPartitionsReleased(IReadOnlyList<(string Topic, int Partition)> partitions)
    {
        // Featurizer context is keyed by entity and bounded; nothing is tied to a partition.
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ScoreGroup(Group group, IReadOnlyList<InputRecord> batch, BatchResult result, DateTimeOffset now)
    {
        var model = _models.Resolve(group.Catalogue);
        if (model is null)
        {
            _metrics.PassedThrough(group.Events.Count);
            return;
        }
        if (!ReferenceEquals(group.Model, model))
        {
            group.Model = model;
            group.Scorer = model.CreateScorer();
        }
        var count = group.Events.Count;
        if (_scores.Length < count)
        {
            _scores = new float[Math.Max(count, 2 * _scores.Length)];
        }
        var scores = _scores.AsSpan(0, count);
        var started = Stopwatch.GetTimestamp();
        group.Scorer!.Score(group.Events, scores);
        var scored = Stopwatch.GetTimestamp();
        _metrics.StageElapsed(ProcessingStages.Score, scored - started);
        for (var j = 0; j < count; j++)
        {
            var score = scores[j];
            if (!(score > model.Threshold))
            {
                continue;
            }
            var record = batch[group.Indices[j]];
            var (entity, eventTime) = Facts(group.Events[j]);
            var alert = new Alert
            {
                AlertId = AlertIds.Create(record.Topic, record.Partition, record.Offset, model.Version, "anomaly"),
                EntityKey = entity,
                Stream = _stream,
                AlertType = "anomaly",
                Detector = model.Detector,
                Score = score,
                Threshold = model.Threshold,
                ModelVersion = model.Version,
                EventTime = eventTime,
                DetectionTime = now,
                SourceTopic = record.Topic,
                SourcePartition = record.Partition,
                SourceOffset = record.Offset,
                TopFeatures = group.Scorer.Explain(j, _options.TopFeatures),
                Detail = $"{group.Catalogue} score {score:G6} > threshold {model.Threshold:G6}",
            };
            result.AddOutput(_alertsTopic, entity, AvroSingleObject.Encode(alert));
            _metrics.AlertEmitted("anomaly");
            _metrics.EndToEnd((now - eventTime).TotalMilliseconds);
        }
        _metrics.StageElapsed(ProcessingStages.Alerts, Stopwatch.GetTimestamp() - scored);
    }

    /// <summary>Decodes a value of <paramref name="kind"/> and checks what Avro cannot: finite numbers
    /// and non-empty entity ids. Returns the event and null, or null and the problem.</summary>
    /// <exception cref="AvroContractException">The bytes are not a valid message of the kind's schema.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (object? Event, string? Problem) DecodeAndValidate(ScoredEventKind kind, byte[] value)
    {
        switch (kind)
        {
            case ScoredEventKind.Block:
                {
                    var block = AvroSingleObject.Decode<BlockEvent>(value);
                    var problem = Empty("clusterId", block.ClusterId)
                        ?? NonFinite("difficulty", block.Difficulty) ?? NonFinite("totalValue", block.TotalValue)
                        ?? NonFinite("totalFees", block.TotalFees) ?? NonFinite("reward", block.Reward);
                    return problem is null ? (block, null) : (null, problem);
                }
            case ScoredEventKind.Transaction:
                {
                    var tx = AvroSingleObject.Decode<TransactionEvent>(value);
                    var problem = Empty("clusterId", tx.ClusterId) ?? Empty("fromAccount", tx.FromAccount)
                        ?? NonFinite("amount", tx.Amount) ?? NonFinite("fee", tx.Fee);
                    return problem is null ? (tx, null) : (null, problem);
                }
            default:
                {
                    var reading = AvroSingleObject.Decode<DeviceReading>(value);
                    var problem = Empty("deviceId", reading.DeviceId);
                    var measurements = reading.Measurements;
                    for (var i = 0; problem is null && i < measurements.Count; i++)
                    {
                        // The message is built only for a bad value: this runs for every measurement of every reading.
                        var m = measurements[i];
                        if (!double.IsFinite(m.Value))
                        {
                            problem = NonFinite($"measurement '{m.Name}'", m.Value);
                        }
                    }
                    return problem is null ? (reading, null) : (null, problem);
                }
        }
    }

    /// <summary>Entity key and event time of a decoded event.</summary>
    public static (string Entity, DateTimeOffset EventTime) Facts(object value) => value switch
    {
        BlockEvent b => (b.ClusterId, b.Timestamp),
        TransactionEvent t => ($"{t.ClusterId}/{t.FromAccount}", t.Timestamp),
        DeviceReading r => (r.DeviceId, r.Timestamp),
        _ => throw new ArgumentException($"not a scored event: {value.GetType().Name}", nameof(value)),
    };

    private static string? NonFinite(string field, double value) =>
        double.IsFinite(value) ? null : $"{field} is {value} (not finite)";

    private static string? Empty(string field, string value) =>
        string.IsNullOrWhiteSpace(value) ? $"{field} is empty" : null;

    private sealed class Group(string catalogue, ScoredEventKind kind)
    {
        public string Catalogue { get; } = catalogue;

        public ScoredEventKind Kind { get; } = kind;

        public List<object> Events { get; } = [];

        public List<int> Indices { get; } = [];

        public IScoringModel? Model { get; set; }

        public IEventScorer? Scorer { get; set; }

        public void Add(object value, int index)
        {
            Events.Add(value);
            Indices.Add(index);
        }

        public void Clear()
        {
            Events.Clear();
            Indices.Clear();
        }
    }
}
