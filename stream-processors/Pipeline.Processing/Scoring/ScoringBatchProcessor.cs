using System.Diagnostics;
using System.Runtime.CompilerServices;
using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Detection;
using Pipeline.Processing.Engine;

namespace Pipeline.Processing.Scoring;

/// <summary>Scoring logic: decode and validate each record, score each topic's events with the
/// current model for that topic, and emit an <see cref="Alert"/> for every score above the model's
/// threshold. Pure apart from the model registry it reads; no Kafka.</summary>
/// <remarks>
/// Not thread-safe (one loop). A scorer (featurizer context) is kept per topic and model version:
/// when the registry holds a newer version, the next batch gets a scorer of it, so every alert
/// of a batch carries the version that scored it; that scorer goes on from the previous one's entity context
/// when the new version featurizes events the same way (a federation publishes a version per round, seconds apart,
/// and a context started cold at each would never warm up). Featurizer context is per entity, not per
/// partition; on revocation it is kept (bounded LRU) and simply goes stale for entities that moved. A newly assigned
/// partition's entities get their context from the records before its commit (<see cref="Warm"/>).
/// Events without a model are counted as unscored (pass-through mode).
/// <para>A block model with confirmations holds each block until k more blocks of its chain have
/// arrived (<see cref="BundleLayout.Confirmations"/>): its alert comes in a later batch and carries the
/// block's own position, and <see cref="HeldFrom"/> keeps the loop from committing past it. A block
/// held longer than <see cref="ScoringOptions.ConfirmationTimeoutSeconds"/> is scored with the
/// blocks that have arrived (checked every batch and tick). When a newer model arrives, the held
/// blocks move to its scorer (featurized afresh only if the featurization changed); when partitions are released, their held blocks are dropped with their
/// chains' context and read again from the commit.</para>
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
    private readonly Dictionary<(string Topic, int Partition), SortedSet<long>> _held = [];
    private readonly List<HeldScore> _released = [];
    private readonly List<(Group Group, HeldScore Held)> _deferred = [];
    private readonly List<HeldSource> _sources = [];
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
        var stage = Stopwatch.GetTimestamp();
        var decoded = Decode(batch, result);
        _metrics.StageElapsed(ProcessingStages.Decode, Stopwatch.GetTimestamp() - stage);
        _metrics.EventsProcessed(decoded);
        var now = _time.GetUtcNow();
        EmitDeferred(result, now);
        foreach (var group in _groups.Values)
        {
            if (group.Events.Count > 0)
            {
                ScoreGroup(group, batch, result, now);
            }
        }
        ReleaseOverdue(result, now);
        return Task.CompletedTask;
    }

    /// <summary>Records before a newly assigned partition's commit read again to rebuild entity context
    /// (<see cref="ScoringOptions.WarmupRecords"/>).</summary>
    public int WarmupRecords => _options.WarmupRecords;

    /// <summary>Featurizes and scores <paramref name="records"/> with the current model only to rebuild entity context;
    /// the scores are dropped. Bad records are skipped (they were dead-lettered when processed), as are topics without a
    /// model and block models that hold blocks for their confirmations: those rebuild context from their oldest held
    /// block, which the loop reads again anyway.</summary>
    public void Warm(IReadOnlyList<InputRecord> records)
    {
        Decode(records, result: null);
        foreach (var group in _groups.Values)
        {
            if (group.Events.Count == 0 || _models.Resolve(group.Catalogue) is not { } model)
            {
                continue;
            }
            if (!ReferenceEquals(group.Model, model))
            {
                if (group.Scorer is { Holds: true, Held: > 0 })
                {
                    // The swap carries the held blocks and emits their alerts: left to the next batch.
                    continue;
                }
                Adopt(group, model);
            }
            if (group.Scorer!.Holds)
            {
                continue;
            }
            group.Scorer.Score(group.Events, Scores(group.Events.Count));
        }
    }

    /// <summary>Sorts the decodable records of <paramref name="batch"/> into their topic's group; a record that does not
    /// decode gets a poison verdict in <paramref name="result"/> (skipped when null). Returns how many decoded.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Decode(IReadOnlyList<InputRecord> batch, BatchResult? result)
    {
        foreach (var group in _groups.Values)
        {
            group.Clear();
        }
        var decoded = 0;
        string? lastTopic = null;
        Group? lastGroup = null;
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
                result?.AddPoison(i, "unexpected_topic", $"topic '{record.Topic}' is not an input of the {_stream} scorer");
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
                result?.AddPoison(i, e.ReasonCode, e.Message);
                continue;
            }
            if (problem is not null)
            {
                result?.AddPoison(i, "invalid_value", problem);
                continue;
            }
            group.Add(value!, i);
            decoded++;
        }
        return decoded;
    }

    /// <summary>The oldest offset of a held block of this partition, or null.</summary>
    public long? HeldFrom(string topic, int partition) =>
        _held.Count > 0 && _held.TryGetValue((topic, partition), out var offsets) && offsets.Count > 0 ? offsets.Min : null;

    /// <summary>Scores the blocks held past the time limit (input has paused).</summary>
    public Task TickAsync(BatchResult result, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        EmitDeferred(result, now);
        ReleaseOverdue(result, now);
        return Task.CompletedTask;
    }

    /// <summary>Drops the blocks held for these partitions, with their chains' context: they are read again from the
    /// commit. Other featurizer context is keyed by entity and bounded; it is kept and goes stale for entities that moved.</summary>
    public void OnPartitionsReleased(IReadOnlyList<(string Topic, int Partition)> partitions)
    {
        if (_held.Count == 0)
        {
            return;
        }
        var released = partitions.ToHashSet();
        foreach (var partition in released)
        {
            _held.Remove(partition);
        }
        foreach (var group in _groups.Values)
        {
            if (group.Scorer is not { Holds: true, Held: > 0 } scorer)
            {
                continue;
            }
            var dropped = scorer.Drop(source => released.Contains((source.Topic, source.Partition)));
            // A chain whose blocks span partitions (keyed other than by cluster) is forgotten whole; its blocks of the
            // partitions kept are not read again, so they are held again (still tracked). Holding at most k blocks of a
            // fresh chain releases none, unless it evicts another chain: those are emitted with the next batch or tick.
            var kept = dropped.Where(d => !released.Contains((d.Source.Topic, d.Source.Partition))).ToList();
            if (kept.Count > 0)
            {
                HoldAgain(scorer, kept);
                _deferred.AddRange(_released.Select(r => (group, r)));
            }
        }
        _metrics.Holding(HeldCount());
    }

    // Blocks taken out of a scorer (still tracked) handed to one again, in order; what that releases is in _released.
    private void HoldAgain(IEventScorer scorer, IReadOnlyList<(BlockEvent Event, HeldSource Source)> blocks)
    {
        _released.Clear();
        scorer.Hold([.. blocks.Select(b => (object)b.Event)], [.. blocks.Select(b => b.Source)], _released);
    }

    private void EmitDeferred(BatchResult result, DateTimeOffset now)
    {
        foreach (var (group, held) in _deferred)
        {
            EmitHeld(group, held, explainIndex: -1, result, now);
        }
        _deferred.Clear();
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
        if (!ReferenceEquals(group.Model, model) && Adopt(group, model) is { Holds: true, Held: > 0 } previous)
        {
            CarryHeld(group, previous, result, now);
        }
        if (group.Scorer!.Holds)
        {
            HoldGroup(group, batch, result, now);
            return;
        }
        var count = group.Events.Count;
        var scores = Scores(count);
        var started = Stopwatch.GetTimestamp();
        group.Scorer!.Score(group.Events, scores);
        var scored = Stopwatch.GetTimestamp();
        _metrics.StageElapsed(ProcessingStages.Score, scored - started);
        for (var j = 0; j < count; j++)
        {
            var score = scores[j];
            if (score > model.Threshold)
            {
                var record = batch[group.Indices[j]];
                Emit(group, group.Events[j], record.Topic, record.Partition, record.Offset, score, j, result, now);
            }
        }
        _metrics.StageElapsed(ProcessingStages.Alerts, Stopwatch.GetTimestamp() - scored);
    }

    // A newer model for the group: its scorer goes on from the previous scorer's entity context, held blocks included,
    // unless the featurization changed. Returns the previous scorer.
    private static IEventScorer? Adopt(Group group, IScoringModel model)
    {
        var previous = group.Scorer;
        group.Model = model;
        group.Scorer = model.CreateScorer(previous);
        return previous;
    }

    private Span<float> Scores(int count)
    {
        if (_scores.Length < count)
        {
            _scores = new float[Math.Max(count, 2 * _scores.Length)];
        }
        return _scores.AsSpan(0, count);
    }

    private void Emit(Group group, object @event, string topic, int partition, long offset, float score, int explainIndex, BatchResult result, DateTimeOffset now)
    {
        var model = group.Model!;
        var (entity, eventTime) = Facts(@event);
        var alert = new Alert
        {
            AlertId = AlertIds.Create(topic, partition, offset, model.Version, "anomaly"),
            EntityKey = entity,
            Stream = _stream,
            AlertType = "anomaly",
            Detector = model.Detector,
            Score = score,
            Threshold = model.Threshold,
            ModelVersion = model.Version,
            EventTime = eventTime,
            DetectionTime = now,
            SourceTopic = topic,
            SourcePartition = partition,
            SourceOffset = offset,
            TopFeatures = explainIndex < 0 ? [] : group.Scorer!.Explain(explainIndex, _options.TopFeatures),
            Detail = $"{group.Catalogue} score {score:G6} > threshold {model.Threshold:G6}",
        };
        result.AddOutput(_alertsTopic, entity, AvroSingleObject.Encode(alert));
        _metrics.AlertEmitted("anomaly");
        _metrics.EndToEnd((now - eventTime).TotalMilliseconds);
    }

    // Blocks awaiting confirmations: each is held with its position; the alerts of the blocks released now (this batch's
    // or earlier ones) carry theirs.
    private void HoldGroup(Group group, IReadOnlyList<InputRecord> batch, BatchResult result, DateTimeOffset now)
    {
        _sources.Clear();
        foreach (var index in group.Indices)
        {
            var record = batch[index];
            _sources.Add(new HeldSource(record.Topic, record.Partition, record.Offset, now));
            Track(record.Topic, record.Partition, record.Offset);
        }
        var started = Stopwatch.GetTimestamp();
        _released.Clear();
        group.Scorer!.Hold(group.Events, _sources, _released);
        _metrics.StageElapsed(ProcessingStages.Score, Stopwatch.GetTimestamp() - started);
        EmitReleased(group, result, now);
    }

    // A newer model with another featurization arrived while the old scorer held blocks: they move to the new scorer
    // (featurized afresh, as everything after such a swap) and are scored by the new model, whose version their alerts
    // carry. With the same featurization the new scorer took them over with the rest of the context.
    private void CarryHeld(Group group, IEventScorer previous, BatchResult result, DateTimeOffset now)
    {
        var carried = previous.Drop(static _ => true);
        if (group.Scorer!.Holds)
        {
            HoldAgain(group.Scorer, carried);
        }
        else
        {
            _released.Clear();
            var scores = new float[carried.Count];
            group.Scorer.Score([.. carried.Select(c => (object)c.Event)], scores);
            for (var j = 0; j < scores.Length; j++)
            {
                _released.Add(new HeldScore(carried[j].Event, carried[j].Source, scores[j]));
            }
        }
        EmitReleased(group, result, now);
    }

    private void ReleaseOverdue(BatchResult result, DateTimeOffset now)
    {
        if (_held.Count == 0)
        {
            return;
        }
        var cutoff = now - TimeSpan.FromSeconds(_options.ConfirmationTimeoutSeconds);
        foreach (var group in _groups.Values)
        {
            if (group.Scorer is { Holds: true, Held: > 0 } scorer)
            {
                _released.Clear();
                scorer.Release(source => source.Since <= cutoff, _released);
                EmitReleased(group, result, now);
            }
        }
    }

    private void EmitReleased(Group group, BatchResult result, DateTimeOffset now)
    {
        for (var j = 0; j < _released.Count; j++)
        {
            EmitHeld(group, _released[j], j, result, now);
        }
        _metrics.Holding(HeldCount());
    }

    // A held block is scored: it is no longer held, and it alerts like any event, at its own position.
    private void EmitHeld(Group group, HeldScore held, int explainIndex, BatchResult result, DateTimeOffset now)
    {
        var (block, tag, score) = held;
        var source = (HeldSource)tag!;
        Untrack(source.Topic, source.Partition, source.Offset);
        if (score > group.Model!.Threshold)
        {
            Emit(group, block, source.Topic, source.Partition, source.Offset, score, explainIndex, result, now);
        }
    }

    private void Track(string topic, int partition, long offset)
    {
        if (!_held.TryGetValue((topic, partition), out var offsets))
        {
            offsets = [];
            _held[(topic, partition)] = offsets;
        }
        offsets.Add(offset);
    }

    private void Untrack(string topic, int partition, long offset)
    {
        if (_held.TryGetValue((topic, partition), out var offsets) && offsets.Remove(offset) && offsets.Count == 0)
        {
            _held.Remove((topic, partition));
        }
    }

    private int HeldCount()
    {
        var held = 0;
        foreach (var offsets in _held.Values)
        {
            held += offsets.Count;
        }
        return held;
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
