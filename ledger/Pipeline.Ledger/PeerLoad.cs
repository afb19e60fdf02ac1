namespace Pipeline.Ledger;

/// <summary>
/// A peer's load at one instant, as reported to the peer index.
/// </summary>
/// <param name="PeerId">Peer id.</param>
/// <param name="CpuPercent">Busy time of the worker slots over the load window ÷ (slots × window) × 100.</param>
/// <param name="RamPercent">Held bytes ÷ memory budget × 100.</param>
/// <param name="InFlight">Requests holding a worker slot.</param>
/// <param name="Waiting">Requests queued for a worker slot.</param>
/// <param name="WorkerSlots">Slot capacity.</param>
/// <param name="MemoryBytes">Held bytes: RocksDB memtables, block cache, table readers, plus in-flight request/response bytes.</param>
/// <param name="CompletedRequests">Evaluations and endorsements finished since the peer opened.</param>
/// <param name="Height">Committed blocks.</param>
/// <param name="SampledAt">When it was measured.</param>
public sealed record PeerLoad(
    string PeerId,
    double CpuPercent,
    double RamPercent,
    int InFlight,
    int Waiting,
    int WorkerSlots,
    long MemoryBytes,
    long CompletedRequests,
    long Height,
    DateTimeOffset SampledAt);
