using Pipeline.Contracts;

namespace Pipeline.Detection;

/// <summary>
/// Holds each chain's blocks until <see cref="Depth"/> more blocks of that chain have arrived (k confirmations), then
/// releases them with six look-ahead features that only those later blocks reveal: <c>orphaned</c> (no later block in
/// the look-ahead names it as previous), <c>siblings</c> (other blocks at its height among the k blocks before and
/// after it), <c>miner_share_next</c> (its miner's share of the next k blocks), <c>miner_streak_next</c> (blocks in a
/// row by its miner right after it), <c>log_next_height_dt</c> (sign · log10(1 + |seconds|) to the first later block
/// above its height; to the last later block when none is higher, 0 without one) and <c>miner_share_around</c> (its
/// miner's share of the k blocks before, itself and the k after).
/// </summary>
/// <remarks>
/// <para>The first orphan of a fork burst, the block that wins after it and the first blocks of a miner-dominance run
/// look ordinary when they arrive; a few blocks later the orphan is never extended, its height holds several blocks and
/// the dominant miner keeps mining, fast (docs/detection.md, "Blocks after k confirmations").</para>
/// <para>Blocks are released per chain in arrival order. <see cref="Release"/> lets a caller release held blocks
/// earlier (a time limit, the end of a finite sequence) with the look-ahead they have: fewer than k later blocks.
/// Memory is bounded: per chain the held blocks (at most k unless released early) and k blocks of context before them;
/// beyond <c>maxChains</c> chains the least recently active chain is released early and forgotten. Not thread-safe.</para>
/// </remarks>
/// <typeparam name="T">What the caller keeps with a held block (its arrival features, where it came from).</typeparam>
public sealed class BlockConfirmations<T>
{
    /// <summary>Number of look-ahead features.</summary>
    public const int FeatureCount = 6;

    private static readonly string[] Names =
        ["orphaned", "siblings", "miner_share_next", "miner_streak_next", "log_next_height_dt", "miner_share_around"];

    private readonly Dictionary<string, Chain> _chains = new(StringComparer.Ordinal);
    private readonly int _maxChains;
    private long _arrivals;

    /// <summary>Creates the holder.</summary>
    /// <param name="depth">Confirmations k: later blocks of the same chain a block waits for (1–64).</param>
    /// <param name="maxChains">Chains whose blocks are kept.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public BlockConfirmations(int depth, int maxChains = 50_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(depth, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(depth, 64);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChains, 1);
        Depth = depth;
        _maxChains = maxChains;
    }

    /// <summary>Names of the look-ahead features, in vector order.</summary>
    public static IReadOnlyList<string> FeatureNames => Names;

    /// <summary>Confirmations k.</summary>
    public int Depth { get; }

    /// <summary>Blocks held now.</summary>
    public int Held { get; private set; }

    /// <summary>
    /// Adds <paramref name="block"/> to its chain (keyed by cluster) and holds it with <paramref name="payload"/>;
    /// appends the blocks of that chain that now have k later blocks to <paramref name="released"/>, oldest first.
    /// </summary>
    public void Add(BlockEvent block, T payload, List<ConfirmedBlock<T>> released)
    {
        ArgumentNullException.ThrowIfNull(block);
        ArgumentNullException.ThrowIfNull(released);
        if (!_chains.TryGetValue(block.ClusterId, out var chain))
        {
            if (_chains.Count >= _maxChains) EvictLeastRecent(released);
            chain = new Chain();
            _chains[block.ClusterId] = chain;
        }

        chain.LastArrival = ++_arrivals;
        chain.Entries.Add(new Entry(block, payload));
        Held++;
        var entries = chain.Entries;
        for (var i = 0; i < entries.Count && entries.Count - 1 - i >= Depth; i++)
        {
            if (entries[i].Held) ReleaseAt(chain, i, released);
        }

        Trim(chain);
    }

    /// <summary>
    /// Releases, with the look-ahead they have, the held blocks whose payload satisfies <paramref name="due"/> (all of
    /// them for a finished sequence), appending them to <paramref name="released"/> chain by chain, oldest first.
    /// </summary>
    public void Release(Func<T, bool> due, List<ConfirmedBlock<T>> released)
    {
        ArgumentNullException.ThrowIfNull(due);
        ArgumentNullException.ThrowIfNull(released);
        if (Held == 0) return;
        foreach (var chain in _chains.Values)
        {
            var entries = chain.Entries;
            for (var i = 0; i < entries.Count; i++)
            {
                if (entries[i].Held && due(entries[i].Payload)) ReleaseAt(chain, i, released);
            }

            Trim(chain);
        }
    }

    /// <summary>
    /// Forgets every chain holding a block whose payload satisfies <paramref name="which"/>: its held blocks are dropped
    /// unreleased (appended to <paramref name="dropped"/> when given, oldest first) and its context is cleared, so the
    /// chain starts cold when its blocks are read again. Returns the cluster ids of the forgotten chains.
    /// </summary>
    public IReadOnlyList<string> Drop(Func<T, bool> which, List<(BlockEvent Block, T Payload)>? dropped = null)
    {
        ArgumentNullException.ThrowIfNull(which);
        var forgotten = new List<string>();
        if (Held == 0) return forgotten;
        foreach (var (cluster, chain) in _chains)
        {
            if (!chain.Entries.Exists(e => e.Held && which(e.Payload))) continue;
            foreach (var entry in chain.Entries)
            {
                if (!entry.Held) continue;
                dropped?.Add((entry.Block, entry.Payload));
                Held--;
            }

            forgotten.Add(cluster);
        }

        foreach (var cluster in forgotten) _chains.Remove(cluster);
        return forgotten;
    }

    private void EvictLeastRecent(List<ConfirmedBlock<T>> released)
    {
        string? oldest = null;
        var at = long.MaxValue;
        foreach (var (cluster, chain) in _chains)
        {
            if (chain.LastArrival < at)
            {
                at = chain.LastArrival;
                oldest = cluster;
            }
        }

        var evicted = _chains[oldest!];
        for (var i = 0; i < evicted.Entries.Count; i++)
        {
            if (evicted.Entries[i].Held) ReleaseAt(evicted, i, released);
        }

        _chains.Remove(oldest!);
    }

    private void ReleaseAt(Chain chain, int index, List<ConfirmedBlock<T>> released)
    {
        var entry = chain.Entries[index];
        entry.Held = false;
        Held--;
        released.Add(new ConfirmedBlock<T>(entry.Block, entry.Payload, LookAhead(chain.Entries, index)));
    }

    private float[] LookAhead(List<Entry> entries, int index)
    {
        var block = entries[index].Block;
        var first = Math.Max(0, index - Depth);
        var last = Math.Min(entries.Count - 1, index + Depth);
        var after = last - index;
        var orphaned = after > 0;
        var siblings = 0;
        var minedAfter = 0;
        var streak = 0;
        var streaking = true;
        var minedAround = 1;
        double? nextHeightSeconds = null;
        for (var i = first; i <= last; i++)
        {
            if (i == index) continue;
            var other = entries[i].Block;
            var sameMiner = string.Equals(other.MinerId, block.MinerId, StringComparison.Ordinal);
            if (other.Height == block.Height) siblings++;
            if (sameMiner) minedAround++;
            if (i < index) continue;
            if (string.Equals(other.PreviousHash, block.BlockHash, StringComparison.Ordinal)) orphaned = false;
            if (sameMiner) minedAfter++;
            if (streaking && sameMiner) streak++;
            else streaking = false;
            if (nextHeightSeconds is null && other.Height > block.Height) nextHeightSeconds = (other.Timestamp - block.Timestamp).TotalSeconds;
        }

        nextHeightSeconds ??= after > 0 ? (entries[last].Block.Timestamp - block.Timestamp).TotalSeconds : 0;
        return
        [
            orphaned ? 1 : 0,
            siblings,
            after > 0 ? minedAfter / (float)after : 0,
            streak,
            SignalHistory.SignedLog(nextHeightSeconds.Value),
            minedAround / (float)(last - first + 1),
        ];
    }

    // Keeps the held blocks and at most k blocks before the first of them (their "before" context); with none held, the
    // last k blocks (the context of the next one).
    private void Trim(Chain chain)
    {
        var entries = chain.Entries;
        var firstHeld = entries.FindIndex(e => e.Held);
        var keepFrom = (firstHeld < 0 ? entries.Count : firstHeld) - Depth;
        if (keepFrom > 0) entries.RemoveRange(0, keepFrom);
    }

    private sealed class Chain
    {
        public List<Entry> Entries { get; } = [];

        public long LastArrival { get; set; }
    }

    private sealed class Entry(BlockEvent block, T payload)
    {
        public BlockEvent Block { get; } = block;

        public T Payload { get; } = payload;

        public bool Held { get; set; } = true;
    }
}

/// <summary>A block released by <see cref="BlockConfirmations{T}"/> with its look-ahead features.</summary>
/// <param name="Block">The block.</param>
/// <param name="Payload">What the caller held with it.</param>
/// <param name="LookAhead">The <see cref="BlockConfirmations{T}.FeatureCount"/> look-ahead features.</param>
public sealed record ConfirmedBlock<T>(BlockEvent Block, T Payload, float[] LookAhead);
