namespace Pipeline.Producers.Scenarios;

/// <summary>One proof-of-work chain per cluster between factory and device accounts.</summary>
public sealed record ChainScenario
{
    public int MinersPerCluster { get; init; } = 6;

    /// <summary>Mean simulated time between blocks (exponentially distributed).</summary>
    public double BlockIntervalSeconds { get; init; } = 10;

    /// <summary>Mean transaction arrivals per simulated second per cluster (Poisson).</summary>
    public double TransactionsPerSecond { get; init; } = 5;

    public int MaxTransactionsPerBlock { get; init; } = 4000;

    /// <summary>Block reward before fees.</summary>
    public double BlockReward { get; init; } = 6.25;

    /// <summary>Starting difficulty; each leading zero hex digit of a block hash is worth a factor 16.</summary>
    public double Difficulty { get; init; } = 65536;

    /// <summary>Attack type → fraction of messages labelled with it: of chain.blocks for fake_block,
    /// fork_burst and miner_dominance; of chain.transactions for double_spend, tx_flooding and hidden_message.</summary>
    public Dictionary<string, double> Attacks { get; init; } = new()
    {
        ["double_spend"] = 0.004,
        ["tx_flooding"] = 0.01,
        ["hidden_message"] = 0.004,
        ["fake_block"] = 0.01,
        ["fork_burst"] = 0.02,
        ["miner_dominance"] = 0.03,
    };
}
