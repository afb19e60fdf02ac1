using Pipeline.Ledger;
using IndexLoad = Pipeline.PeerIndex.PeerLoad;

namespace Pipeline.Bench.PeerIndex;

/// <summary>
/// The index's view of an embedded ledger peer. CPU is the peer's worker-slot occupancy right now
/// (running + queued requests over slots, at most 100 %), not the ledger's one-second busy-time
/// average: the average lags a burst by up to a second, and when it stays above the instantaneous
/// value it keeps freed slots idle. RAM is the peer's memory share of its budget.
/// </summary>
internal sealed class LedgerLoadSource(LedgerPeer peer) : Pipeline.PeerIndex.IPeerLoadSource
{
    public LedgerPeer Peer => peer;

    public IndexLoad ReadLoad()
    {
        var load = peer.GetLoad();
        var occupancy = 100.0 * (load.InFlight + load.Waiting) / Math.Max(1, load.WorkerSlots);
        return new IndexLoad(Math.Min(100, occupancy), Math.Min(100, load.RamPercent), load.InFlight + load.Waiting);
    }
}
