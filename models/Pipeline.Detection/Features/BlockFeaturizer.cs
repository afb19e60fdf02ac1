using Pipeline.Contracts;

namespace Pipeline.Detection;

/// <summary>
/// Features of <see cref="BlockEvent"/>s with context per chain (cluster) and per miner: <c>tx_count</c>,
/// <c>size</c> (kB), <c>bytes_per_tx</c> (kB per transaction: hidden payloads), <c>log_difficulty</c>, <c>log_value</c>, <c>log_fees</c>, <c>reward</c>, <c>log_fee_per_tx</c> (log10 of fees per transaction + 1e-8),
/// <c>log_block_dt</c> (sign · log10(1 + |seconds|) since the chain's previous block), <c>height_gap</c> (height minus the chain's previous
/// height; ≤ 0 for a competing or re-organised block), <c>fork</c> (1 when the previous hash is not the hash the chain
/// last saw at height − 1: a fork, as in double-spend attempts), <c>miner_share</c> (share of the chain's last w blocks
/// mined by this miner: dominance), <c>miner_streak</c> (consecutive chain blocks by this miner ending with this one),
/// <c>log_miner_dt</c> (the same for this miner's previous block), <c>tx_dev</c>
/// (transaction count minus its rolling mean on the chain), <c>tx_std</c>, <c>difficulty_dev</c> (log difficulty minus
/// its rolling mean), <c>history</c> (min(n, w)/w of the chain).
/// </summary>
public sealed class BlockFeaturizer : IFeaturizer<BlockEvent>
{
    private static readonly string[] Names =
    [
        "tx_count", "size", "bytes_per_tx", "log_difficulty", "log_value", "log_fees", "reward", "log_fee_per_tx", "log_block_dt",
        "height_gap", "fork", "miner_share", "miner_streak", "log_miner_dt", "tx_dev", "tx_std", "difficulty_dev", "history",
    ];

    /// <summary>
    /// A block enters its chain's window (the rolling mean and standard deviation of transaction count and log difficulty)
    /// clamped to the window's mean ± this many rolling standard deviations (<see cref="SignalHistory.ClampToWindow"/>): a
    /// fake block's difficulty, 16–256 times too low, otherwise moved the mean so far that the next w ordinary blocks
    /// showed a <c>difficulty_dev</c> of tens of normal standard deviations (docs/detection.md, "A fake block's shadow").
    /// </summary>
    internal const double WindowClampSigmas = 4;

    private readonly FeaturizerOptions _options;
    private readonly LruCache<ChainState> _chains;
    private readonly LruCache<SignalHistory> _miners;

    /// <summary>Creates the featurizer.</summary>
    public BlockFeaturizer(FeaturizerOptions? options = null)
    {
        _options = options ?? new FeaturizerOptions();
        _options.Validate();
        _chains = new LruCache<ChainState>(_options.MaxEntities);
        _miners = new LruCache<SignalHistory>(_options.MaxEntities);
    }

    /// <inheritdoc />
    public int Dimension => Names.Length;

    /// <inheritdoc />
    public IReadOnlyList<string> FeatureNames => Names;

    /// <inheritdoc />
    public int TrackedEntities => _chains.Count + _miners.Count;

    /// <inheritdoc />
    public void Featurize(BlockEvent @event, Span<float> features)
    {
        ArgumentNullException.ThrowIfNull(@event);
        if (features.Length != Dimension) throw new ArgumentException($"Expected {Dimension} features, got a span of {features.Length}.", nameof(features));

        var chain = _chains.GetOrAdd(@event.ClusterId, () => new ChainState(_options.Window), out _);
        var miner = _miners.GetOrAdd(string.Concat(@event.ClusterId, "/", @event.MinerId), () => new SignalHistory(1, 2), out _);
        var warm = chain.History.Seen > 0;
        var logDifficulty = (float)Math.Log(1 + Math.Max(0, @event.Difficulty));
        features[0] = @event.TransactionCount;
        features[1] = @event.SizeBytes / 1000f;
        features[2] = @event.SizeBytes / 1000f / Math.Max(1, @event.TransactionCount);
        features[3] = logDifficulty;
        features[4] = (float)Math.Log(1 + Math.Max(0, @event.TotalValue));
        features[5] = (float)Math.Log(1 + Math.Max(0, @event.TotalFees));
        features[6] = (float)@event.Reward;
        features[7] = (float)Math.Log10((Math.Max(0, @event.TotalFees) / Math.Max(1, @event.TransactionCount)) + 1e-8);
        features[8] = warm ? SignalHistory.SignedLog((@event.Timestamp - chain.History.LastTimestamp).TotalSeconds) : 0;
        features[9] = warm ? @event.Height - chain.History.LastSequence : 0;
        features[10] = chain.IsFork(@event.Height, @event.PreviousHash) ? 1 : 0;
        features[11] = chain.MinerShare(@event.MinerId);
        features[12] = chain.Streak(@event.MinerId) + 1;
        features[13] = miner.Seen > 0 ? SignalHistory.SignedLog((@event.Timestamp - miner.LastTimestamp).TotalSeconds) : 0;
        features[14] = warm ? @event.TransactionCount - chain.History.Mean(0) : 0;
        features[15] = chain.History.Std(0);
        features[16] = warm ? logDifficulty - chain.History.Mean(1) : 0;
        features[17] = chain.History.Filled / (float)_options.Window;

        Span<float> pushed = [@event.TransactionCount, logDifficulty];
        chain.History.ClampToWindow(pushed, WindowClampSigmas);
        chain.History.Push(pushed, @event.Timestamp, @event.Height, _options.BaselineAlpha);
        chain.Remember(@event.Height, @event.BlockHash, @event.MinerId);
        miner.Push([0], @event.Timestamp, @event.Height, 1);
    }

    /// <summary>Forgets the context of a chain (cluster) and of its miners: its next block is featurized cold.</summary>
    public void Forget(string clusterId)
    {
        ArgumentNullException.ThrowIfNull(clusterId);
        _chains.Remove(clusterId);
        var prefix = clusterId + "/";
        _miners.RemoveWhere(key => key.StartsWith(prefix, StringComparison.Ordinal));
    }

    private sealed class ChainState(int window)
    {
        private readonly long[] _heights = new long[window];
        private readonly string[] _hashes = new string[window];
        private readonly string[] _miners = new string[window];
        private int _next;
        private int _count;

        public SignalHistory History { get; } = new(2, window);

        // A fork: the chain saw a block at height − 1 and this block does not build on it.
        public bool IsFork(long height, string previousHash)
        {
            var knownParent = false;
            for (var i = 0; i < _count; i++)
            {
                if (_heights[i] != height - 1) continue;
                if (string.Equals(_hashes[i], previousHash, StringComparison.Ordinal)) return false;
                knownParent = true;
            }

            return knownParent;
        }

        public float MinerShare(string miner)
        {
            if (_count == 0) return 0;
            var mined = 0;
            for (var i = 0; i < _count; i++) if (string.Equals(_miners[i], miner, StringComparison.Ordinal)) mined++;
            return mined / (float)_count;
        }

        // Blocks in a row, most recent first, mined by this miner (up to the window).
        public int Streak(string miner)
        {
            var streak = 0;
            for (var i = 1; i <= _count; i++)
            {
                var slot = (_next - i + _heights.Length) % _heights.Length;
                if (!string.Equals(_miners[slot], miner, StringComparison.Ordinal)) break;
                streak++;
            }

            return streak;
        }

        public void Remember(long height, string hash, string miner)
        {
            _heights[_next] = height;
            _hashes[_next] = hash;
            _miners[_next] = miner;
            _next = (_next + 1) % _heights.Length;
            if (_count < _heights.Length) _count++;
        }
    }
}
