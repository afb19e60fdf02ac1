using Pipeline.Ledger;
using IndexLoad = Pipeline.PeerIndex.PeerLoad;

namespace Pipeline.Processing.Whitelist;

/// <summary>An embedded ledger peer's load as the peer index wants it: CPU = worker-slot occupancy
/// (running + queued over slots, capped at 100 %), RAM = the peer's share of its memory budget.</summary>
/// <remarks>Thread-safe and cheap; used by the peer's load reporter and for release updates.</remarks>
public sealed class LedgerPeerLoadSource(LedgerPeer peer) : Pipeline.PeerIndex.IPeerLoadSource
{
    public LedgerPeer Peer => peer;

    public IndexLoad ReadLoad() => Read(peer);

    /// <summary>The load of <paramref name="peer"/> now.</summary>
    public static IndexLoad Read(LedgerPeer peer)
    {
        ArgumentNullException.ThrowIfNull(peer);
        var load = peer.GetLoad();
        var busy = load.InFlight + load.Waiting;
        return new IndexLoad(Math.Min(100, 100.0 * busy / Math.Max(1, load.WorkerSlots)), Math.Min(100, load.RamPercent), busy);
    }
}
