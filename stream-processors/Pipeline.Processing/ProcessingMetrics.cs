using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Pipeline.Processing;

/// <summary>Counters, histograms and gauges of one processor, on the <see cref="MeterName"/> meter
/// (prometheus-net or OpenTelemetry can export it), plus plain totals for summaries and tests.</summary>
/// <remarks>Thread-safe. Instruments: processing_events, processing_alerts{type},
/// processing_dlq_messages{reason}, processing_lookup_failures, processing_verdicts{decision},
/// processing_batch_latency_ms, processing_end_to_end_latency_ms, processing_lookup_latency_ms{peer}, processing_stage_ms{stage}, processing_consumer_lag{topic,partition},
/// processing_model_version{model}, processing_held_events (blocks awaiting confirmations).</remarks>
public sealed class ProcessingMetrics : IDisposable
{
    public const string MeterName = "Pipeline.Processing";

    private readonly Meter _meter;
    private readonly Counter<long> _events;
    private readonly Counter<long> _alerts;
    private readonly Counter<long> _deadLetters;
    private readonly Counter<long> _lookupFailures;
    private readonly Counter<long> _verdicts;
    private readonly Counter<long> _unscored;
    private readonly Counter<long> _warmup;
    private readonly Counter<long> _retries;
    private readonly Histogram<double> _batchLatency;
    private readonly Histogram<double> _endToEnd;
    private readonly Histogram<double> _stage;
    private readonly Histogram<double> _lookupLatency;
    private readonly ConcurrentDictionary<string, long> _stageTicks = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Topic, int Partition), long> _lag = new();
    private readonly ConcurrentDictionary<string, long> _modelVersions = new();
    private long _eventsTotal;
    private long _alertsTotal;
    private long _deadLettersTotal;
    private long _lookupFailuresTotal;
    private long _unscoredTotal;
    private long _warmupTotal;
    private long _retriesTotal;
    private long _batchesTotal;
    private long _allowed;
    private long _denied;

    public ProcessingMetrics(string processor)
    {
        Processor = processor;
        _meter = new Meter(MeterName);
        var tag = new KeyValuePair<string, object?>("processor", processor);
        _events = _meter.CreateCounter<long>("processing_events", "events", "Input events processed (decoded and handled).");
        _alerts = _meter.CreateCounter<long>("processing_alerts", "alerts", "Alerts emitted, by type.");
        _deadLetters = _meter.CreateCounter<long>("processing_dlq_messages", "messages", "Messages dead-lettered, by reason.");
        _lookupFailures = _meter.CreateCounter<long>("processing_lookup_failures", "lookups", "Whitelist lookups that failed or timed out.");
        _verdicts = _meter.CreateCounter<long>("processing_verdicts", "verdicts", "Execution verdicts, by decision.");
        _unscored = _meter.CreateCounter<long>("processing_unscored", "events", "Events passed through without a model.");
        _warmup = _meter.CreateCounter<long>("processing_warmup_events", "events",
            "Records read again before an assigned partition's committed offset to rebuild context (not processed again).");
        _retries = _meter.CreateCounter<long>("processing_delivery_retries", "messages",
            "Outputs and dead letters produced again after the broker refused or timed out their delivery.");
        _batchLatency = _meter.CreateHistogram<double>("processing_batch_latency_ms", "ms", "Consume of a batch's first message to its commit.");
        _endToEnd = _meter.CreateHistogram<double>("processing_end_to_end_latency_ms", "ms", "Event time to alert detection time.");
        _lookupLatency = _meter.CreateHistogram<double>("processing_lookup_latency_ms", "ms", "Whitelist lookup time (reserve a peer, query it, release), by peer; failed lookups under peer=\"none\".");
        _stage = _meter.CreateHistogram<double>("processing_stage_ms", "ms", "Time one batch spent in a stage (consume, process, decode, score, alerts, deliver, commit).");
        _meter.CreateObservableGauge("processing_consumer_lag", () => _lag.Select(p => new Measurement<long>(
            p.Value, tag, new("topic", p.Key.Topic), new("partition", p.Key.Partition))), "messages", "High watermark minus committed position.");
        _meter.CreateObservableGauge("processing_model_version", () => _modelVersions.Select(p => new Measurement<long>(
            p.Value, tag, new("model", p.Key))), "version", "Version of the model in use, per model key.");
        _meter.CreateObservableGauge("processing_held_events", () => new Measurement<long>(Interlocked.Read(ref _held), tag), "events",
            "Events held until later ones arrive (blocks awaiting their confirmations); the commit stays below the oldest.");
        _tag = tag;
    }

    private long _held;

    /// <summary>Events held now (blocks awaiting their confirmations).</summary>
    public long Held => Interlocked.Read(ref _held);

    /// <summary>Records how many events are held now.</summary>
    public void Holding(long held) => Interlocked.Exchange(ref _held, held);

    private readonly KeyValuePair<string, object?> _tag;

    /// <summary>Processor name (scoring-chain, whitelist, ...), a tag on every instrument.</summary>
    public string Processor { get; }

    public long Events => Interlocked.Read(ref _eventsTotal);

    public long Alerts => Interlocked.Read(ref _alertsTotal);

    public long DeadLetters => Interlocked.Read(ref _deadLettersTotal);

    public long LookupFailures => Interlocked.Read(ref _lookupFailuresTotal);

    public long Unscored => Interlocked.Read(ref _unscoredTotal);

    public long Batches => Interlocked.Read(ref _batchesTotal);

    /// <summary>Records handed to the processor's warm-up so far.</summary>
    public long WarmupEvents => Interlocked.Read(ref _warmupTotal);

    /// <summary>Outputs and dead letters produced again after a failed delivery.</summary>
    public long DeliveryRetries => Interlocked.Read(ref _retriesTotal);

    public long Allowed => Interlocked.Read(ref _allowed);

    public long Denied => Interlocked.Read(ref _denied);

    /// <summary>Sum of the lag of every partition last seen.</summary>
    public long TotalLag => _lag.Values.Sum();

    /// <summary>Total time spent in each <see cref="ProcessingStages"/> stage so far.</summary>
    public IReadOnlyDictionary<string, TimeSpan> StageTotals =>
        _stageTicks.ToDictionary(p => p.Key, p => Stopwatch.GetElapsedTime(0, p.Value), StringComparer.Ordinal);

    /// <summary>Model versions in use, per model key.</summary>
    public IReadOnlyDictionary<string, long> ModelVersions => _modelVersions;

    public void EventsProcessed(int count)
    {
        Interlocked.Add(ref _eventsTotal, count);
        _events.Add(count, _tag);
    }

    public void AlertEmitted(string alertType)
    {
        Interlocked.Increment(ref _alertsTotal);
        _alerts.Add(1, _tag, new("type", alertType));
    }

    public void DeadLettered(string reason)
    {
        Interlocked.Increment(ref _deadLettersTotal);
        _deadLetters.Add(1, _tag, new("reason", reason));
    }

    public void LookupFailed()
    {
        Interlocked.Increment(ref _lookupFailuresTotal);
        _lookupFailures.Add(1, _tag);
    }

    public void Verdict(bool allowed)
    {
        Interlocked.Increment(ref allowed ? ref _allowed : ref _denied);
        _verdicts.Add(1, _tag, new("decision", allowed ? "allow" : "deny"));
    }

    /// <summary>Records one whitelist lookup's latency against the peer that answered it (null: none did).</summary>
    public void LookupCompleted(string? peerId, long microseconds) =>
        _lookupLatency.Record(microseconds / 1000.0, _tag, new("peer", peerId ?? "none"));

    public void PassedThrough(int count)
    {
        Interlocked.Add(ref _unscoredTotal, count);
        _unscored.Add(count, _tag);
    }

    public void WarmedUp(int count)
    {
        Interlocked.Add(ref _warmupTotal, count);
        _warmup.Add(count, _tag);
    }

    public void DeliveriesRetried(int count)
    {
        Interlocked.Add(ref _retriesTotal, count);
        _retries.Add(count, _tag);
    }

    public void BatchCompleted(double milliseconds)
    {
        Interlocked.Increment(ref _batchesTotal);
        _batchLatency.Record(milliseconds, _tag);
    }

    /// <summary>Records that one batch spent <paramref name="stopwatchTicks"/> (Stopwatch ticks) in <paramref name="stage"/>.</summary>
    public void StageElapsed(string stage, long stopwatchTicks)
    {
        _stageTicks.AddOrUpdate(stage, stopwatchTicks, (_, total) => total + stopwatchTicks);
        _stage.Record(stopwatchTicks * 1000.0 / Stopwatch.Frequency, _tag, new("stage", stage));
    }

    public void EndToEnd(double milliseconds) => _endToEnd.Record(milliseconds, _tag);

    public void Lag(string topic, int partition, long lag) => _lag[(topic, partition)] = Math.Max(0, lag);

    public void ForgetPartition(string topic, int partition) => _lag.TryRemove((topic, partition), out _);

    public void ModelVersion(string model, long version) => _modelVersions[model] = version;

    public void Dispose() => _meter.Dispose();
}
