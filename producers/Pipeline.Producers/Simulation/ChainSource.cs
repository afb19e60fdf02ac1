using Pipeline.Contracts;
using Pipeline.Contracts.Avro;

namespace Pipeline.Producers.Simulation;

/// <summary>
/// One cluster's proof-of-work chain. Transactions between factory and device accounts arrive as a
/// Poisson process into a mempool; at each block (exponential intervals, miners chosen by hash
/// share) the block is emitted, then the transactions it confirmed. Attacks change structure:
/// conflicting spends of one account nonce, bursts of dust transactions, oversized payloads, blocks
/// that do not extend the tip at the chain's difficulty, competing blocks at one height, and long
/// runs of one miner.
/// </summary>
internal sealed class ChainSource : EventSource
{
    private const int RecentHashes = 16;

    private readonly SeededRandom _random;
    private readonly string _clusterId;
    private readonly string[] _miners;
    private readonly double[] _minerCumulative;
    private readonly string[] _factoryAccounts;
    private readonly string[] _deviceAccounts;
    private readonly int[] _deviceFactory; // index of each device's factory account
    private readonly Dictionary<string, long> _nonces = new(StringComparer.Ordinal);
    private readonly double _meanBlockMs;
    private readonly double _meanArrivalMs;
    private readonly int _maxPerBlock;
    private readonly double _reward;
    private readonly EpisodeScheduler _blockScheduler;
    private readonly EpisodeScheduler _txScheduler;
    private readonly IReadOnlyList<EpisodeKind> _blockKinds;
    private readonly IReadOnlyList<EpisodeKind> _txKinds;
    private readonly Queue<PendingTransaction> _mempool = new();
    private readonly PriorityQueue<PendingTransaction, (long, long)> _scheduled = new();
    private readonly string[] _recent = new string[RecentHashes];
    private readonly List<PendingTransaction> _included = new(256);

    private readonly double _baseDifficulty;
    private double _difficulty;
    private long _height;
    private string _tip;
    private double _timeMs;
    private double _nextArrivalMs;
    private long _scheduleSequence;
    private int _dominanceRemaining;
    private int _dominanceMiner;

    public ChainSource(ScenarioWorld world, int cluster, long seed)
    {
        var scenario = world.Scenario;
        var chain = scenario.Chain;
        _clusterId = world.ClusterIds[cluster];
        _random = SeededRandom.For(seed, $"chain/{_clusterId}");
        _miners = new string[chain.MinersPerCluster];
        _minerCumulative = new double[_miners.Length];
        var total = 0.0;
        for (var m = 0; m < _miners.Length; m++)
        {
            _miners[m] = $"{_clusterId}-miner-{m + 1:D2}";
            total += _random.Uniform(1, 3);
            _minerCumulative[m] = total;
        }
        for (var m = 0; m < _miners.Length; m++)
        {
            _minerCumulative[m] /= total;
        }
        _factoryAccounts = [.. world.FactoryIds[cluster]];
        var devices = world.DeviceIds[cluster];
        _deviceAccounts = new string[devices.Count];
        _deviceFactory = new int[devices.Count];
        for (var d = 0; d < devices.Count; d++)
        {
            _deviceAccounts[d] = devices[d].DeviceId;
            _deviceFactory[d] = devices[d].Factory;
        }
        _meanBlockMs = chain.BlockIntervalSeconds * 1000;
        _meanArrivalMs = chain.TransactionsPerSecond > 0 ? 1000 / chain.TransactionsPerSecond : double.PositiveInfinity;
        _maxPerBlock = chain.MaxTransactionsPerBlock;
        _reward = chain.BlockReward;
        _difficulty = chain.Difficulty;
        _baseDifficulty = chain.Difficulty;
        _blockKinds = BlockKinds(chain.Attacks);
        _txKinds = TransactionKinds(chain.Attacks);
        _blockScheduler = EpisodeScheduler.Create(_blockKinds, 1);
        _txScheduler = EpisodeScheduler.Create(_txKinds, 1);
        _timeMs = scenario.StartTime.ToUnixTimeMilliseconds();
        _nextArrivalMs = _timeMs + _random.Exponential(_meanArrivalMs);
        _tip = RandomHash(_difficulty); // genesis
        Array.Fill(_recent, _tip);
    }

    /// <summary>Block attacks: per block slot, what an episode adds (fake: one extra block; fork: 2-4 orphans; dominance: a run of 6-14 blocks).</summary>
    public static EpisodeKind[] BlockKinds(IReadOnlyDictionary<string, double> rates) =>
    [
        new(AttackLabels.FakeBlock, Rate(rates, AttackLabels.FakeBlock), 1, 1),
        new(AttackLabels.ForkBurst, Rate(rates, AttackLabels.ForkBurst), 3, 1),
        new(AttackLabels.MinerDominance, Rate(rates, AttackLabels.MinerDominance), 10, 0),
    ];

    /// <summary>Transaction attacks, per arrival: two conflicting spends; 80-240 flood transactions; one hidden message.</summary>
    public static EpisodeKind[] TransactionKinds(IReadOnlyDictionary<string, double> rates) =>
    [
        new(AttackLabels.DoubleSpend, Rate(rates, AttackLabels.DoubleSpend), 2, 0),
        new(AttackLabels.TxFlooding, Rate(rates, AttackLabels.TxFlooding), 160, 0),
        new(AttackLabels.HiddenMessage, Rate(rates, AttackLabels.HiddenMessage), 1, 0),
    ];

    private static double Rate(IReadOnlyDictionary<string, double> rates, string label) =>
        rates.TryGetValue(label, out var r) ? r : 0;

    protected override void FillNextBatch()
    {
        var episode = AttackLabels.Normal;
        if (_dominanceRemaining == 0)
        {
            var pick = _blockScheduler.Pick(_random);
            if (pick >= 0)
            {
                episode = _blockKinds[pick].Label;
                if (episode == AttackLabels.MinerDominance)
                {
                    _dominanceRemaining = _random.NextInt(6, 15);
                    _dominanceMiner = _random.NextInt(_miners.Length);
                }
            }
        }
        var dominant = _dominanceRemaining > 0;
        // A majority of the hash power finds blocks faster than the network's target interval.
        var blockTimeMs = _timeMs + Math.Max(1, _random.Exponential(dominant ? _meanBlockMs / 3 : _meanBlockMs));
        GenerateArrivals(blockTimeMs);

        var height = _height + 1;
        var miner = dominant ? _dominanceMiner : PickMiner();
        _included.Clear();
        var totalValue = 0.0;
        var totalFees = 0.0;
        var size = 80;
        while (_included.Count < _maxPerBlock && _mempool.Count > 0)
        {
            var tx = _mempool.Dequeue();
            _included.Add(tx);
            totalValue += tx.Amount;
            totalFees += tx.Fee;
            size += tx.SizeBytes;
        }

        if (episode == AttackLabels.ForkBurst)
        {
            // Competing blocks for the same height from other miners, seconds apart; they lose the race.
            var orphans = _random.NextInt(2, 5);
            for (var o = 0; o < orphans; o++)
            {
                var orphanMiner = (miner + 1 + _random.NextInt(Math.Max(1, _miners.Length - 1))) % _miners.Length;
                var orphanTime = Math.Max(_timeMs + 1, blockTimeMs - _random.Uniform(200, 4000));
                var share = _random.Uniform(0.7, 1.0);
                EmitBlock(height, RandomHash(_difficulty), _tip, _miners[orphanMiner], orphanTime, (int)(_included.Count * share),
                    80 + (int)((size - 80) * share), _difficulty, totalValue * share, totalFees * share, _reward + (totalFees * share),
                    AttackLabels.ForkBurst);
            }
        }

        var hash = RandomHash(_difficulty);
        var blockLabel = dominant ? AttackLabels.MinerDominance : AttackLabels.Normal;
        EmitBlock(height, hash, _tip, _miners[miner], blockTimeMs, _included.Count, size, _difficulty, totalValue, totalFees,
            _reward + totalFees, blockLabel);
        foreach (var tx in _included)
        {
            EmitTransaction(tx, height);
        }

        _recent[height % RecentHashes] = hash;
        _tip = hash;
        _height = height;
        _timeMs = blockTimeMs;
        BatchTimeMs = (long)blockTimeMs;
        // Retargeting keeps the difficulty near the configured one.
        _difficulty += (_difficulty * 0.002 * _random.NextGaussian()) - (0.02 * (_difficulty - _baseDifficulty));
        if (dominant)
        {
            _dominanceRemaining--;
        }

        if (episode == AttackLabels.FakeBlock)
        {
            EmitFakeBlock(blockTimeMs);
        }
    }

    /// <summary>
    /// A block that does not extend the tip: it points at a stale ancestor, claims a much lower
    /// difficulty (its hash meets only that), an inflated reward, and carries transfers that drain
    /// factory accounts into outside accounts.
    /// </summary>
    private void EmitFakeBlock(double afterMs)
    {
        var staleBack = _random.NextInt(2, RecentHashes);
        var previous = _recent[(int)(((_height - staleBack) % RecentHashes + RecentHashes) % RecentHashes)];
        var difficulty = _difficulty / _random.Uniform(16, 256);
        var height = _height + 1;
        var time = afterMs + _random.Uniform(300, 3000);
        var count = _random.NextInt(1, 6);
        _included.Clear();
        var totalValue = 0.0;
        var totalFees = 0.0;
        var size = 80;
        for (var i = 0; i < count; i++)
        {
            var from = _factoryAccounts[_random.NextInt(_factoryAccounts.Length)];
            var amount = _random.LogNormal(Math.Log(8), 0.8) * _random.Uniform(50, 200);
            // Forged: reuses the victim's next nonce without consuming it on the real chain.
            _nonces.TryGetValue(from, out var victimNonce);
            var tx = NewTransaction(from, OutsideAccount(), amount, 1, 1, 0, time - _random.Uniform(50, 250), AttackLabels.FakeBlock);
            _nonces[from] = victimNonce;
            _included.Add(tx);
            totalValue += tx.Amount;
            totalFees += tx.Fee;
            size += tx.SizeBytes;
        }
        var miner = _random.Chance(0.5) ? _miners[_random.NextInt(_miners.Length)] : $"{_clusterId}-miner-{_random.NextInt(50, 99):D2}";
        EmitBlock(height, RandomHash(difficulty), previous, miner, time, count, size, difficulty, totalValue, totalFees,
            (_reward * _random.Uniform(2, 10)) + totalFees, AttackLabels.FakeBlock);
        foreach (var tx in _included)
        {
            EmitTransaction(tx, height);
        }
    }

    private void GenerateArrivals(double untilMs)
    {
        while (true)
        {
            var hasScheduled = _scheduled.TryPeek(out _, out var key);
            var scheduledMs = hasScheduled ? key.Item1 : long.MaxValue;
            if (_nextArrivalMs <= untilMs && _nextArrivalMs <= scheduledMs)
            {
                Arrive(_nextArrivalMs, untilMs);
                _nextArrivalMs += _random.Exponential(_meanArrivalMs);
            }
            else if (hasScheduled && scheduledMs <= untilMs)
            {
                _mempool.Enqueue(_scheduled.Dequeue());
            }
            else
            {
                return;
            }
        }
    }

    private void Arrive(double atMs, double blockTimeMs)
    {
        var pick = _txScheduler.Pick(_random);
        var label = pick < 0 ? AttackLabels.Normal : _txKinds[pick].Label;
        switch (label)
        {
            case AttackLabels.DoubleSpend:
                {
                    // Two spends of the same account nonce: a large payment, then the same funds sent
                    // to an outside account with a much higher fee to win confirmation.
                    var from = AnyAccount();
                    var amount = _random.LogNormal(Math.Log(8), 0.6) * _random.Uniform(20, 60);
                    var first = NewTransaction(from, _factoryAccounts[_random.NextInt(_factoryAccounts.Length)], amount,
                        _random.NextInt(1, 4), 2, 0, atMs, label);
                    _mempool.Enqueue(first);
                    var second = first with
                    {
                        Id = RandomHash(0),
                        ToAccount = OutsideAccount(),
                        Fee = first.Fee * _random.Uniform(3, 8),
                        TimestampMs = Math.Min(blockTimeMs, atMs + _random.Uniform(200, 3000)),
                        OutputCount = 1,
                        SizeBytes = first.SizeBytes - 34,
                    };
                    Schedule(second);
                    break;
                }
            case AttackLabels.TxFlooding:
                {
                    // Dust transactions at the lowest fee, tens of milliseconds apart, from one account.
                    var from = _random.Chance(0.5) ? OutsideAccount() : AnyAccount();
                    var count = _random.NextInt(80, 241);
                    var spacing = Math.Min(_random.Uniform(5, 30), Math.Max(0.01, (blockTimeMs - atMs) / count));
                    var t = atMs;
                    for (var i = 0; i < count; i++)
                    {
                        var tx = NewTransaction(from, AnyAccount(), _random.Uniform(0.00001, 0.0001), 1, 1, 0, t, label, minimumFee: true);
                        if (i == 0)
                        {
                            _mempool.Enqueue(tx);
                        }
                        else
                        {
                            Schedule(tx);
                        }
                        t += spacing;
                    }
                    break;
                }
            case AttackLabels.HiddenMessage:
                {
                    // A dust transfer carrying kilobytes of data: a covert channel through the chain.
                    var from = _deviceAccounts.Length > 0 ? _deviceAccounts[_random.NextInt(_deviceAccounts.Length)] : AnyAccount();
                    var payload = _random.NextInt(1500, 20001);
                    _mempool.Enqueue(NewTransaction(from, AnyAccount(), _random.Uniform(0.0001, 0.001), 1, _random.NextInt(1, 3),
                        payload, atMs, label));
                    break;
                }
            default:
                _mempool.Enqueue(NormalTransaction(atMs));
                break;
        }
    }

    private PendingTransaction NormalTransaction(double atMs)
    {
        string from, to;
        double amount;
        if (_deviceAccounts.Length > 0 && _random.Chance(0.7))
        {
            // A device pays its factory for energy/maintenance credits.
            var d = _random.NextInt(_deviceAccounts.Length);
            from = _deviceAccounts[d];
            to = _factoryAccounts[_deviceFactory[d]];
            amount = _random.LogNormal(Math.Log(2), 0.6);
        }
        else
        {
            from = _factoryAccounts[_random.NextInt(_factoryAccounts.Length)];
            to = _deviceAccounts.Length > 0 && _random.Chance(0.6)
                ? _deviceAccounts[_random.NextInt(_deviceAccounts.Length)]
                : _factoryAccounts[_random.NextInt(_factoryAccounts.Length)];
            amount = _random.LogNormal(Math.Log(8), 0.8);
        }
        var inputs = 1;
        while (inputs < 4 && _random.Chance(0.3))
        {
            inputs++;
        }
        var outputs = _random.Chance(0.8) ? 2 : 1;
        var payload = _random.Chance(0.1) ? _random.NextInt(8, 81) : 0;
        return NewTransaction(from, to, amount, inputs, outputs, payload, atMs, AttackLabels.Normal);
    }

    private PendingTransaction NewTransaction(string from, string to, double amount, int inputs, int outputs, int payload,
        double atMs, string label, bool minimumFee = false)
    {
        var size = 10 + (148 * inputs) + (34 * outputs) + (payload > 0 ? payload + 3 : 0);
        var feePerByte = minimumFee ? 0.000001 : _random.LogNormal(Math.Log(0.00002), 0.3);
        _nonces.TryGetValue(from, out var nonce);
        _nonces[from] = nonce + 1;
        return new PendingTransaction(RandomHash(0), from, to, Math.Round(amount, 8), Math.Round(size * feePerByte, 8), size, inputs,
            outputs, nonce, payload, atMs, label);
    }

    private void Schedule(PendingTransaction tx) => _scheduled.Enqueue(tx, ((long)tx.TimestampMs, _scheduleSequence++));

    private string AnyAccount()
    {
        var n = _factoryAccounts.Length + _deviceAccounts.Length;
        var i = _random.NextInt(n);
        return i < _factoryAccounts.Length ? _factoryAccounts[i] : _deviceAccounts[i - _factoryAccounts.Length];
    }

    private string OutsideAccount() => $"ext-{_random.NextUInt64() & 0xFFFFFFFFFFFF:x12}";

    private int PickMiner()
    {
        var u = _random.NextDouble();
        for (var m = 0; m < _minerCumulative.Length; m++)
        {
            if (u < _minerCumulative[m])
            {
                return m;
            }
        }
        return _minerCumulative.Length - 1;
    }

    /// <summary>A random 256-bit hash whose leading hex zeros match the difficulty (emulated proof of work).</summary>
    private string RandomHash(double difficulty)
    {
        var zeros = difficulty >= 16 ? Math.Min(16, (int)Math.Floor(Math.Log(difficulty, 16))) : 0;
        Span<byte> bytes = stackalloc byte[32];
        _random.NextBytes(bytes);
        Span<char> chars = stackalloc char[64];
        Convert.TryToHexStringLower(bytes, chars, out _);
        chars[..zeros].Fill('0');
        return new string(chars);
    }

    private void EmitBlock(long height, string hash, string previous, string miner, double timeMs, int txCount, int size,
        double difficulty, double totalValue, double totalFees, double reward, string label)
    {
        var block = new BlockEvent
        {
            ClusterId = _clusterId,
            Height = height,
            BlockHash = hash,
            PreviousHash = previous,
            MinerId = miner,
            Timestamp = DateTimeOffset.FromUnixTimeMilliseconds((long)timeMs),
            TransactionCount = txCount,
            SizeBytes = size,
            Difficulty = Math.Round(difficulty, 2),
            Nonce = (long)(_random.NextUInt64() >> 1),
            TotalValue = Math.Round(totalValue, 8),
            TotalFees = Math.Round(totalFees, 8),
            Reward = Math.Round(reward, 8),
        };
        Emit(new SimulatedMessage(Topics.ChainBlocks, _clusterId, AvroSingleObject.Encode(block), label, (long)timeMs));
    }

    private void EmitTransaction(in PendingTransaction tx, long height)
    {
        var ms = (long)tx.TimestampMs;
        var value = new TransactionEvent
        {
            ClusterId = _clusterId,
            TransactionId = tx.Id,
            BlockHeight = height,
            FromAccount = tx.FromAccount,
            ToAccount = tx.ToAccount,
            Amount = tx.Amount,
            Fee = tx.Fee,
            SizeBytes = tx.SizeBytes,
            InputCount = tx.InputCount,
            OutputCount = tx.OutputCount,
            AccountNonce = tx.Nonce,
            PayloadBytes = tx.PayloadBytes,
            Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(ms),
        };
        Emit(new SimulatedMessage(Topics.ChainTransactions, _clusterId, AvroSingleObject.Encode(value), tx.Label, ms));
    }

    private readonly record struct PendingTransaction(string Id, string FromAccount, string ToAccount, double Amount, double Fee,
        int SizeBytes, int InputCount, int OutputCount, long Nonce, int PayloadBytes, double TimestampMs, string Label);
}
