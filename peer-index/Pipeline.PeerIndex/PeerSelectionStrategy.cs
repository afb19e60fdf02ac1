namespace Pipeline.PeerIndex;

/// <summary>How a query is routed to a ledger peer.</summary>
public enum PeerSelectionStrategy
{
    /// <summary>
    /// Fabric's PREFER_MSPID_SCOPE_SINGLE: always the organisation's first live peer (lowest
    /// registration index), however loaded.
    /// </summary>
    Single = 1,

    /// <summary>Fabric's ROUND_ROBIN: live peers in turn, regardless of load.</summary>
    RoundRobin = 2,

    /// <summary>
    /// D_THROTTLE: the first ready peer in index order, else the first available one, else no
    /// capacity (-1) and a scale-up request.
    /// </summary>
    DynamicThrottle = 3,
}
