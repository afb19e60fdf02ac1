using System.Diagnostics.Metrics;
using Pipeline.Contracts;
using Pipeline.PeerIndex;

namespace Pipeline.Dashboard;

/// <summary>What the background feeds have seen, shaped for the JSON endpoints and the metrics.</summary>
/// <remarks>Thread-safe: feeds write and HTTP requests read under one lock; reads return copies.
/// Publishes the meter <see cref="MeterName"/> (exported by /metrics).</remarks>
public sealed class DashboardState : IDisposable
{
    /// <summary>Name of the meter with the dashboard's own instruments.</summary>
    public const string MeterName = "Pipeline.Dashboard";

    private static readonly TimeSpan Bucket = TimeSpan.FromSeconds(10);
    private readonly Lock _gate = new();
    private readonly DashboardOptions _options;
    private readonly TimeProvider _time;
    private readonly LinkedList<Alert> _alerts = new();
    private readonly Dictionary<(string Stream, string Type), long> _alertCounts = [];
    private readonly SortedDictionary<long, Dictionary<string, long>> _rateBuckets = [];
    private readonly Dictionary<string, List<GlobalModel>> _models = new(StringComparer.Ordinal);
    private readonly List<PeerSample> _peerHistory = [];
    private readonly Meter _meter;
    private IReadOnlyList<PeerSnapshot> _peers = [];
    private IReadOnlyList<PartitionLag> _lag = [];

    /// <summary>Creates the state and its meter.</summary>
    public DashboardState(DashboardOptions options, TimeProvider? time = null)
    {
        _options = options;
        _time = time ?? TimeProvider.System;
        _meter = new Meter(MeterName);
        _meter.CreateObservableCounter("alerts", ObserveAlertCounts, "{alert}", "Alerts seen on the alerts topic by stream and type");
        _meter.CreateObservableGauge("consumer.lag", ObserveLag, "{message}", "Consumer lag per group, topic and partition");
        _meter.CreateObservableGauge("model.version", ObserveModelVersions, "{version}", "Latest global model version per model");
        _meter.CreateObservableGauge("peer.load", ObservePeerLoads, "%", "Effective load percent of each registered peer");
    }

    /// <summary>Records an alert from the alerts topic.</summary>
    public void AddAlert(Alert alert)
    {
        var bucket = _time.GetUtcNow().ToUnixTimeMilliseconds() / (long)Bucket.TotalMilliseconds;
        lock (_gate)
        {
            _alerts.AddFirst(alert);
            while (_alerts.Count > _options.MaxAlerts)
            {
                _alerts.RemoveLast();
            }
            var key = (alert.Stream, alert.AlertType);
            _alertCounts[key] = _alertCounts.GetValueOrDefault(key) + 1;
            if (!_rateBuckets.TryGetValue(bucket, out var perStream))
            {
                _rateBuckets[bucket] = perStream = new Dictionary<string, long>(StringComparer.Ordinal);
            }
            perStream[alert.Stream] = perStream.GetValueOrDefault(alert.Stream) + 1;
            var oldest = bucket - (long)(_options.History / Bucket);
            while (_rateBuckets.Count > 0 && _rateBuckets.First().Key < oldest)
            {
                _rateBuckets.Remove(_rateBuckets.First().Key);
            }
        }
    }

    /// <summary>Records a global model (latest per model name and round wins).</summary>
    public void AddModel(GlobalModel model)
    {
        lock (_gate)
        {
            if (!_models.TryGetValue(model.ModelName, out var rounds))
            {
                _models[model.ModelName] = rounds = [];
            }
            rounds.RemoveAll(m => m.Round == model.Round);
            rounds.Add(model);
            rounds.Sort((a, b) => a.Round.CompareTo(b.Round));
        }
    }

    /// <summary>Replaces the peer view with a fresh snapshot and appends it to the history.</summary>
    public void SetPeers(IReadOnlyList<PeerSnapshot> peers)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            _peers = peers;
            _peerHistory.AddRange(peers.Select(p => new PeerSample(now, p.PeerId, p.EffectiveLoadPercent, p.Status.ToString())));
            _peerHistory.RemoveAll(s => s.At < now - _options.History);
        }
    }

    /// <summary>Replaces the lag view.</summary>
    public void SetLag(IReadOnlyList<PartitionLag> lag)
    {
        lock (_gate)
        {
            _lag = lag;
        }
    }

    /// <summary>The latest alerts, newest first.</summary>
    public IReadOnlyList<Alert> Alerts()
    {
        lock (_gate)
        {
            return [.. _alerts];
        }
    }

    /// <summary>Alert counts by stream and type, and alerts per second per stream in 10 s buckets.</summary>
    public AlertRates Rates()
    {
        lock (_gate)
        {
            var totals = _alertCounts.Select(kv => new AlertCount(kv.Key.Stream, kv.Key.Type, kv.Value)).OrderBy(c => c.Stream).ThenBy(c => c.Type).ToList();
            var series = _rateBuckets.SelectMany(b => b.Value.Select(s => new RatePoint(
                DateTimeOffset.FromUnixTimeMilliseconds(b.Key * (long)Bucket.TotalMilliseconds), s.Key, s.Value / Bucket.TotalSeconds))).ToList();
            return new AlertRates(totals, series);
        }
    }

    /// <summary>Every model's rounds with their metrics (without the model bytes).</summary>
    public IReadOnlyList<ModelRound> Models()
    {
        lock (_gate)
        {
            return _models.Values.SelectMany(r => r).Select(m => new ModelRound(
                m.ModelName, m.Stream, m.DetectorKind, m.Round, m.Version, m.Threshold, m.Participants.Count, m.CreatedAt,
                m.Metrics.ToDictionary(x => x.Name, x => x.Value))).ToList();
        }
    }

    /// <summary>The current peers and their load history.</summary>
    public PeerView Peers()
    {
        lock (_gate)
        {
            return new PeerView(_peers.Select(p => new PeerRow(p.PeerId, p.MspId, p.Endpoint, p.Load.CpuPercent, p.Load.RamPercent, p.Load.InFlight, p.EffectiveLoadPercent, p.Status.ToString())).ToList(), [.. _peerHistory]);
        }
    }

    /// <summary>The last lag reading.</summary>
    public IReadOnlyList<PartitionLag> Lag()
    {
        lock (_gate)
        {
            return _lag;
        }
    }

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();

    private IEnumerable<Measurement<long>> ObserveAlertCounts()
    {
        lock (_gate)
        {
            return _alertCounts.Select(kv => new Measurement<long>(kv.Value, new("stream", kv.Key.Stream), new("type", kv.Key.Type))).ToList();
        }
    }

    private IEnumerable<Measurement<long>> ObserveLag()
    {
        lock (_gate)
        {
            return _lag.Select(l => new Measurement<long>(l.Lag, new("group", l.Group), new("topic", l.Topic), new("partition", l.Partition))).ToList();
        }
    }

    private IEnumerable<Measurement<long>> ObserveModelVersions()
    {
        lock (_gate)
        {
            return _models.Select(kv => new Measurement<long>(kv.Value[^1].Version, new KeyValuePair<string, object?>("model", kv.Key))).ToList();
        }
    }

    private IEnumerable<Measurement<double>> ObservePeerLoads()
    {
        lock (_gate)
        {
            return _peers.Select(p => new Measurement<double>(p.EffectiveLoadPercent, new("peer", p.PeerId), new("status", p.Status.ToString()))).ToList();
        }
    }
}
