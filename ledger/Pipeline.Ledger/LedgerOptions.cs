namespace Pipeline.Ledger;

/// <summary>Configuration of the embedded ledger network (section <c>Ledger</c>).</summary>
public sealed class LedgerOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Ledger";

    /// <summary>Directory holding one sub-directory per peer (<c>peer0</c>, <c>peer1</c>, ...).</summary>
    public string DataDirectory { get; set; } = Path.Combine("data", "ledger");

    /// <summary>Peers started by <see cref="LedgerNetwork.StartAsync"/>.</summary>
    public int Peers { get; set; } = 4;

    /// <summary>Channel (ledger) name written into every transaction.</summary>
    public string ChannelName { get; set; } = "whitelist";

    /// <summary>Concurrent evaluations/endorsements one peer runs; further requests wait for a slot.</summary>
    public int WorkerSlots { get; set; } = 4;

    /// <summary>Memory budget of one peer; RAM % is the peer's held bytes over this.</summary>
    public long MemoryBudgetBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>RocksDB block cache of one peer.</summary>
    public long BlockCacheBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>RocksDB memtable size of one peer.</summary>
    public long WriteBufferBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>Sliding window over which CPU % (worker-slot busy time) is measured.</summary>
    public TimeSpan LoadWindow { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The orderer cuts a block when it holds this many transactions ...</summary>
    public int BatchMaxTransactions { get; set; } = 200;

    /// <summary>... or when its first transaction has waited this long.</summary>
    public TimeSpan BatchTimeout { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Fsync the block file and the state write of every block (off only for throw-away data).</summary>
    public bool SyncWrites { get; set; } = true;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        Require(!string.IsNullOrWhiteSpace(DataDirectory), nameof(DataDirectory), "must be set");
        Require(Peers is >= 1 and <= 64, nameof(Peers), $"must be 1..64, got {Peers}");
        Require(!string.IsNullOrWhiteSpace(ChannelName), nameof(ChannelName), "must be set");
        Require(WorkerSlots is >= 1 and <= 1024, nameof(WorkerSlots), $"must be 1..1024, got {WorkerSlots}");
        Require(MemoryBudgetBytes > 0, nameof(MemoryBudgetBytes), $"must be positive, got {MemoryBudgetBytes}");
        Require(BlockCacheBytes > 0, nameof(BlockCacheBytes), $"must be positive, got {BlockCacheBytes}");
        Require(WriteBufferBytes >= 64 * 1024, nameof(WriteBufferBytes), $"must be at least 64 KiB, got {WriteBufferBytes}");
        Require(LoadWindow > TimeSpan.Zero, nameof(LoadWindow), $"must be positive, got {LoadWindow}");
        Require(BatchMaxTransactions is >= 1 and <= 100_000, nameof(BatchMaxTransactions), $"must be 1..100000, got {BatchMaxTransactions}");
        Require(BatchTimeout > TimeSpan.Zero, nameof(BatchTimeout), $"must be positive, got {BatchTimeout}");
    }

    private static void Require(bool condition, string name, string problem)
    {
        if (!condition)
        {
            throw new ArgumentException($"{SectionName}:{name} {problem}", name);
        }
    }
}
