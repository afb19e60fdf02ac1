namespace Pipeline.Federation;

/// <summary>How a round ended.</summary>
public enum RoundStatus
{
    /// <summary>A new global model version was published.</summary>
    Published,

    /// <summary>Short of quorum (or with nothing to aggregate) at the deadline; nothing published.</summary>
    Skipped,

    /// <summary>Aggregation failed (e.g. Krum with too few updates); nothing published.</summary>
    Failed,
}
