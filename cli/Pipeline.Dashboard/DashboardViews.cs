namespace Pipeline.Dashboard;

/// <summary>Alerts seen per stream and type.</summary>
public sealed record AlertCount(string Stream, string Type, long Count);

/// <summary>Alerts per second of one stream in the bucket starting at <paramref name="At"/>.</summary>
public sealed record RatePoint(DateTimeOffset At, string Stream, double PerSecond);

/// <summary>Body of /api/rates.</summary>
public sealed record AlertRates(IReadOnlyList<AlertCount> Totals, IReadOnlyList<RatePoint> Series);

/// <summary>One federated round of one model, with its metrics (e.g. auc, loss).</summary>
public sealed record ModelRound(
    string Model, string Stream, string Detector, long Round, long Version, double Threshold, int Participants, DateTimeOffset CreatedAt,
    IReadOnlyDictionary<string, double> Metrics);

/// <summary>A peer as the index sees it now.</summary>
public sealed record PeerRow(string PeerId, string MspId, string Endpoint, double CpuPercent, double RamPercent, int InFlight, double EffectiveLoadPercent, string Status);

/// <summary>One load reading of one peer.</summary>
public sealed record PeerSample(DateTimeOffset At, string PeerId, double LoadPercent, string Status);

/// <summary>Body of /api/peers.</summary>
public sealed record PeerView(IReadOnlyList<PeerRow> Peers, IReadOnlyList<PeerSample> History);
