namespace Pipeline.PeerIndex;

/// <summary>How a lookup was answered.</summary>
public enum SelectionOutcome
{
    /// <summary>Redis selected a peer and reserved the query's cost on it.</summary>
    Reserved = 0,

    /// <summary>
    /// D_THROTTLE found no ready or available peer (the paper's -1), or no peer is known at all;
    /// the caller should wait, retry, or shed the query. A scale-up request was signalled.
    /// </summary>
    NoCapacity = 1,

    /// <summary>Redis was unreachable; the peer came from client-side round robin over the last known peers.</summary>
    Fallback = 2,
}
