using Pipeline.Contracts;

namespace Pipeline.Bench.Detection;

/// <summary>
/// Seeded blockchain activity. Transactions: accounts with their own amount and activity profiles, fees proportional to
/// size, increasing nonces, occasional small payloads. Blocks: miners with Zipf-like hash power, exponential intervals,
/// transaction counts growing with the interval. Attacks: transactions — <c>double-spend</c> (a second transaction reusing
/// a spent nonce to another receiver), <c>flooding</c> (a burst of tiny minimum-fee transactions from one account),
/// <c>hidden-payload</c> (kilobytes of payload in an ordinary-looking transfer); blocks — <c>miner-dominance</c> (one
/// miner produces a run of fast consecutive blocks), <c>double-spend</c> (a block forking off an older parent),
/// <c>flooding</c> (a block stuffed with minimum-fee spam), <c>hidden-payload</c> (bytes per transaction far above normal).
/// </summary>
internal sealed class ChainGenerator(int seed)
{
    private readonly Random _random = new(seed);
    private long _txCounter;

    public List<Labelled<TransactionEvent>> Transactions(int accounts, int count, double attackShare)
    {
        var start = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        var profiles = Enumerable.Range(0, accounts).Select(_ => (Mu: 1 + (4 * _random.NextDouble()), Rate: 0.2 + _random.NextDouble(), Payload: _random.NextDouble() < 0.1)).ToArray();
        var nonces = new long[accounts];
        var lastSpent = new List<(int Account, long Nonce, DateTimeOffset Time)>();
        var result = new List<Labelled<TransactionEvent>>(count + 1000);
        var clock = start;
        var rates = profiles.Select(p => p.Rate).ToArray();
        while (result.Count < count)
        {
            clock = clock.AddMilliseconds(5 + _random.Next(20));
            var roll = _random.NextDouble();
            if (roll < attackShare / 40 * 1.0 && lastSpent.Count > 0)
            {
                // double-spend: reuse a recent nonce of an account, different receiver
                var (account, nonce, _) = lastSpent[_random.Next(lastSpent.Count)];
                result.Add(new(Tx(account, (account + 1 + _random.Next(accounts - 1)) % accounts, nonce, profiles[account].Mu + 0.5, clock, payload: 0), "double-spend"));
            }
            else if (roll < attackShare / 40 * 2.0)
            {
                // flooding burst: 20-40 tiny transactions in a few seconds
                var account = _random.Next(accounts);
                var burst = 20 + _random.Next(20);
                for (var i = 0; i < burst; i++)
                {
                    clock = clock.AddMilliseconds(50 + _random.Next(100));
                    var tx = Tx(account, _random.Next(accounts), nonces[account]++, -2, clock, payload: 0) with { Fee = 0.00001, SizeBytes = 120, InputCount = 1, OutputCount = 1 };
                    result.Add(new(tx, "flooding"));
                }
            }
            else if (roll < attackShare / 40 * 3.0)
            {
                var account = _random.Next(accounts);
                var payload = 2000 + _random.Next(18000);
                result.Add(new(Tx(account, _random.Next(accounts), nonces[account]++, profiles[account].Mu, clock, payload), "hidden-payload"));
            }
            else
            {
                var account = Pick(rates);
                var payload = profiles[account].Payload && _random.NextDouble() < 0.5 ? _random.Next(80) : 0;
                var nonce = nonces[account]++;
                result.Add(new(Tx(account, _random.Next(accounts), nonce, profiles[account].Mu, clock, payload), "normal"));
                lastSpent.Add((account, nonce, clock));
                if (lastSpent.Count > 200) lastSpent.RemoveAt(0);
            }
        }

        return result;
    }

    public List<Labelled<BlockEvent>> Blocks(int clusters, int blocksPerCluster, double attackShare)
    {
        var start = new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
        var result = new List<Labelled<BlockEvent>>();
        for (var c = 0; c < clusters; c++)
        {
            var miners = 20;
            var power = Enumerable.Range(1, miners).Select(i => 1.0 / i).ToArray();
            var clock = start;
            var height = 1000L;
            var hashes = new List<string> { $"c{c}-genesis" };
            var difficulty = 1e6 * (1 + c);
            var produced = 0;
            while (produced < blocksPerCluster)
            {
                difficulty *= 1 + (0.001 * Gaussian.Next(_random));
                var roll = _random.NextDouble();
                if (roll < attackShare / 8)
                {
                    // miner dominance: one miner mines a fast run of blocks
                    var miner = _random.Next(miners);
                    var run = 6 + _random.Next(6);
                    for (var i = 0; i < run; i++)
                    {
                        clock = clock.AddSeconds(1 + (2 * _random.NextDouble()));
                        result.Add(new(Block(c, ++height, hashes, miner, clock, 3, difficulty, spam: false, stuffed: false), "miner-dominance"));
                        produced++;
                    }

                    continue;
                }

                var interval = -10 * Math.Log(1 - _random.NextDouble());
                clock = clock.AddSeconds(interval);
                if (roll < attackShare / 8 * 2)
                {
                    // fork from an older parent (double-spend attempt)
                    var back = 2 + _random.Next(4);
                    var parentIndex = Math.Max(0, hashes.Count - 1 - back);
                    var forkHash = $"c{c}-fork-{_random.NextInt64():x}";
                    var block = Block(c, height - back + 1, hashes, Pick(power), clock, interval, difficulty, spam: false, stuffed: false) with { PreviousHash = hashes[parentIndex], BlockHash = forkHash };
                    hashes.RemoveAt(hashes.Count - 1); // the main chain continues from its own tip
                    result.Add(new(block, "double-spend"));
                    produced++;
                    continue;
                }

                var label = roll < attackShare / 8 * 5 ? "flooding" : roll < attackShare / 8 * 8 ? "hidden-payload" : "normal";
                result.Add(new(Block(c, ++height, hashes, Pick(power), clock, interval, difficulty, spam: label == "flooding", stuffed: label == "hidden-payload"), label));
                produced++;
            }
        }

        result.Sort((a, b) => a.Event.Timestamp.CompareTo(b.Event.Timestamp));
        return result;
    }

    private BlockEvent Block(int cluster, long height, List<string> hashes, int miner, DateTimeOffset time, double interval, double difficulty, bool spam, bool stuffed)
    {
        var txCount = Math.Max(1, (int)((30 * interval) + (20 * Gaussian.Next(_random)) + 50));
        var bytesPerTx = 250 + (30 * Gaussian.Next(_random));
        var feePerTx = 0.0005 * (1 + (0.2 * Gaussian.Next(_random)));
        if (spam)
        {
            txCount *= 4;
            feePerTx = 0.00001;
            bytesPerTx = 120;
        }

        if (stuffed) bytesPerTx *= 6;
        var hash = $"c{cluster}-b{height}-{_random.NextInt64():x}";
        var block = new BlockEvent
        {
            ClusterId = $"cluster-{cluster}",
            Height = height,
            BlockHash = hash,
            PreviousHash = hashes[^1],
            MinerId = $"miner-{miner}",
            Timestamp = time,
            TransactionCount = txCount,
            SizeBytes = (int)(txCount * Math.Max(80, bytesPerTx)),
            Difficulty = difficulty,
            Nonce = _random.NextInt64(),
            TotalValue = txCount * Gaussian.LogNormal(_random, 3, 0.3),
            TotalFees = txCount * Math.Max(0.000005, feePerTx),
            Reward = 6.25,
        };
        hashes.Add(hash);
        return block;
    }

    private TransactionEvent Tx(int from, int to, long nonce, double mu, DateTimeOffset time, int payload)
    {
        var inputs = 1 + (int)Math.Floor(-Math.Log(1 - _random.NextDouble()) * 0.8);
        var outputs = 1 + _random.Next(3);
        var size = 100 + (inputs * 148) + (outputs * 34) + payload + _random.Next(10);
        return new TransactionEvent
        {
            ClusterId = "cluster-1",
            TransactionId = $"tx-{_txCounter++:x}",
            BlockHeight = null,
            FromAccount = $"acct-{from}",
            ToAccount = $"acct-{to}",
            Amount = Gaussian.LogNormal(_random, mu, 0.6),
            Fee = size * 0.00002 * (1 + (0.1 * Gaussian.Next(_random))),
            SizeBytes = size,
            InputCount = inputs,
            OutputCount = outputs,
            AccountNonce = nonce,
            PayloadBytes = payload,
            Timestamp = time,
        };
    }

    private int Pick(double[] weights)
    {
        var total = weights.Sum();
        var target = _random.NextDouble() * total;
        double cumulative = 0;
        for (var i = 0; i < weights.Length; i++)
        {
            cumulative += weights[i];
            if (cumulative > target) return i;
        }

        return weights.Length - 1;
    }
}
