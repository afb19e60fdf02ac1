using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Detection;
using Pipeline.Producers.Scenarios;
using Pipeline.Producers.Simulation;

namespace Pipeline.Processing.Tests;

/// <summary>Chain events from the producers' seeded scenario world, and bundles trained on them.</summary>
internal static class ChainData
{
    private static readonly Lazy<(ModelBundle Blocks, ModelBundle Transactions)> Trained = new(() => Train(0));
    private static readonly Lazy<ModelBundle> Confirmed = new(() => Train(Confirmations).Blocks);

    /// <summary>Confirmations of the holding block bundle (<see cref="Models"/> with <c>holdBlocks</c>).</summary>
    public const int Confirmations = 3;

    public static ScenarioDefinition Scenario(int clusters) => new()
    {
        Name = "processing-tests",
        Clusters = clusters,
        Iiot = new IiotScenario { FactoriesPerCluster = 1, StagesPerFactory = 1 },
    };

    /// <summary>The first <paramref name="count"/> chain messages (blocks and transactions) of a world.</summary>
    public static List<SimulatedMessage> Take(int clusters, long seed, int count) =>
        [.. new ScenarioWorld(Scenario(clusters), seed).Stream(ProducerDomains.Chain).Take(count)];

    public static ModelBundle BlockBundle => Trained.Value.Blocks;

    public static ModelBundle TransactionBundle => Trained.Value.Transactions;

    /// <summary>Global-model records for both chain topics; <paramref name="threshold"/> overrides the
    /// calibrated threshold (a negative one makes every event an alert, so each alert id witnesses one scored event);
    /// with <paramref name="holdBlocks"/> the block model holds each block for <see cref="Confirmations"/> confirmations.</summary>
    public static GlobalModel[] Models(long version, double? threshold = null, bool holdBlocks = false) =>
    [
        Record("chain-blocks-if", Topics.ChainBlocks, holdBlocks ? Confirmed.Value : BlockBundle, version, threshold),
        Record("chain-transactions-if", Topics.ChainTransactions, TransactionBundle, version, threshold),
    ];

    public static GlobalModel Record(string name, string stream, ModelBundle bundle, long version, double? threshold) => new()
    {
        ModelName = name,
        Version = version,
        Round = version,
        DetectorKind = "isolation_forest",
        Stream = stream,
        Model = bundle.Serialize(),
        Threshold = threshold ?? bundle.Threshold,
        CreatedAt = DateTimeOffset.UtcNow,
    };

    /// <summary>The partition a message goes to: clusters spread evenly (c01 → 1 % partitions, ...).</summary>
    public static int PartitionOf(SimulatedMessage message, int partitions) => int.Parse(message.Key.AsSpan(1), System.Globalization.CultureInfo.InvariantCulture) % partitions;

    private static (ModelBundle Blocks, ModelBundle Transactions) Train(int confirmations)
    {
        var blocks = new List<BlockEvent>();
        var transactions = new List<TransactionEvent>();
        foreach (var message in Take(clusters: 4, seed: 1, count: 12_000))
        {
            if (message.Topic == Topics.ChainBlocks)
            {
                blocks.Add(AvroSingleObject.Decode<BlockEvent>(message.Value));
            }
            else
            {
                transactions.Add(AvroSingleObject.Decode<TransactionEvent>(message.Value));
            }
        }
        var options = new IsolationForestOptions { Trees = 50, Seed = 7 };
        var blockLayout = new BundleLayout { Stream = Topics.ChainBlocks, Confirmations = confirmations };
        var txLayout = new BundleLayout { Stream = Topics.ChainTransactions };
        return (
            BundleTrainer.Fit(blockLayout, BundleTrainer.Featurize(blockLayout, blocks), options),
            BundleTrainer.Fit(txLayout, BundleTrainer.Featurize(txLayout, transactions), options));
    }
}
