using Pipeline.Contracts;
using Pipeline.Contracts.Avro;
using Pipeline.Detection;
using Pipeline.Producers.Scenarios;
using Pipeline.Producers.Simulation;

namespace Pipeline.Federation.Tests;

/// <summary>Block bundles with confirmations: a scorer that holds blocks across batches scores each of them exactly as
/// training featurized it, and holds, releases and drops what it is told.</summary>
public sealed class ConfirmedBlockScoringUnitTests
{
    private static readonly BundleLayout Layout = new() { Stream = Topics.ChainBlocks, Confirmations = 3 };

    private static readonly List<BlockEvent> Blocks = TakeBlocks(600);

    private static readonly Lazy<(ModelBundle Bundle, float[] TrainingScores)> Trained = new(() =>
    {
        var events = BundleTrainer.Featurize(Layout, Blocks);
        var bundle = BundleTrainer.Fit(Layout, events, new IsolationForestOptions { Trees = 30, Seed = 5 });
        var inputs = events.ToInputs(bundle.Standardizer);
        var scores = new float[inputs.Rows];
        bundle.Detector.Score(inputs.Values, scores);
        return (bundle, scores);
    });

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(600)]
    public void Hold_BlocksInBatches_ScoresEachBlockAsTrainingFeaturizedIt(int batchSize)
    {
        var (bundle, expected) = Trained.Value;
        var scorer = bundle.CreateScorer();
        var scored = new List<HeldScore>();

        for (var start = 0; start < Blocks.Count; start += batchSize)
        {
            var batch = Blocks.GetRange(start, Math.Min(batchSize, Blocks.Count - start));
            scorer.Hold(batch, [.. Enumerable.Range(start, batch.Count).Select(i => (object?)i)], scored);
            Assert.InRange(scorer.Held, 0, Layout.Confirmations * 4); // at most k per chain (four clusters)
        }

        scorer.Release(static _ => true, scored);

        Assert.Equal(0, scorer.Held);
        Assert.Equal(Blocks.Count, scored.Count);
        var actual = new float[Blocks.Count];
        foreach (var s in scored) actual[(int)s.Tag!] = s.Score;
        Assert.Equal(expected, actual);
    }

    // A newer version's scorer takes over the blocks the previous scorer held and the chains' context: every block it
    // releases scores as under a scorer of the newer version that had held the whole stream.
    [Fact]
    public void Continue_WhileHoldingBlocks_NewerVersionReleasesThemAsIfItHadHeldTheWholeStream()
    {
        var (older, _) = Trained.Value;
        var newer = BundleTrainer.Fit(Layout, BundleTrainer.Featurize(Layout, Blocks), new KMeansOptions { Seed = 2 });
        var (first, second) = (Blocks.GetRange(0, 300), Blocks.GetRange(300, 300));
        object?[] Tags(int start, int count) => [.. Enumerable.Range(start, count).Select(i => (object?)i)];
        var reference = newer.CreateScorer();
        var expected = new List<HeldScore>();
        reference.Hold(first, Tags(0, 300), expected);
        reference.Hold(second, Tags(300, 300), expected);
        reference.Release(static _ => true, expected);

        var previous = older.CreateScorer();
        previous.Hold(first, Tags(0, 300), []);
        var held = previous.Held;
        var continued = previous.Continue(newer);
        var actual = new List<HeldScore>();
        continued.Hold(second, Tags(300, 300), actual);
        continued.Release(static _ => true, actual);

        Assert.InRange(held, 1, Layout.Confirmations * 4);
        Assert.Equal(0, previous.Held);
        Assert.Equal(held + 300, actual.Count);
        var expectedByTag = expected.ToDictionary(s => (int)s.Tag!, s => s.Score);
        Assert.All(actual, s => Assert.Equal(expectedByTag[(int)s.Tag!], s.Score));
    }

    [Fact]
    public void Score_FinishedSequence_EqualsTheTrainingRows()
    {
        var (bundle, expected) = Trained.Value;
        var actual = new float[Blocks.Count];

        bundle.CreateScorer().Score(Blocks, actual);

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Deserialize_SerializedBundle_KeepsTheConfirmations()
    {
        var bundle = Trained.Value.Bundle;

        var copy = ModelBundle.Deserialize(bundle.Serialize());

        Assert.Equal(3, copy.Layout.Confirmations);
        Assert.Equal(BlockConfirmations<int>.FeatureNames, copy.Layout.FeatureNames.TakeLast(BlockConfirmations<int>.FeatureCount));
        var a = new float[Blocks.Count];
        var b = new float[Blocks.Count];
        bundle.CreateScorer().Score(Blocks, a);
        copy.CreateScorer().Score(Blocks, b);
        Assert.Equal(a, b);
    }

    [Fact]
    public void Drop_HeldBlocksOfAChain_ReturnsThemAndTheChainStartsCold()
    {
        var scorer = Trained.Value.Bundle.CreateScorer();
        var scored = new List<HeldScore>();
        var head = Blocks.GetRange(0, 100);
        scorer.Hold(head, [.. Enumerable.Range(0, head.Count).Select(i => (object?)i)], scored);
        var cluster = Blocks[99].ClusterId;
        var heldOfCluster = Enumerable.Range(0, 100).Where(i => Blocks[i].ClusterId == cluster && !scored.Any(s => (int)s.Tag! == i)).ToList();

        var dropped = scorer.Drop(tag => Blocks[(int)tag!].ClusterId == cluster);

        Assert.Equal(heldOfCluster, dropped.Select(d => (int)d.Tag!));
        Assert.All(dropped, d => Assert.Equal(cluster, d.Block.ClusterId));
        // Read again, the oldest dropped block is featurized cold, as by a scorer that never saw its chain.
        var again = new List<HeldScore>();
        scorer.Hold([dropped[0].Block], [dropped[0].Tag], again);
        scorer.Release(tag => ReferenceEquals(tag, dropped[0].Tag), again);
        var fresh = new List<HeldScore>();
        var coldScorer = Trained.Value.Bundle.CreateScorer();
        coldScorer.Hold([dropped[0].Block], [dropped[0].Tag], fresh);
        coldScorer.Release(static _ => true, fresh);
        Assert.Equal(fresh.Single().Score, again.Single().Score);
    }

    [Fact]
    public void Hold_BundleScoringOnArrival_Throws()
    {
        var layout = new BundleLayout { Stream = Topics.ChainBlocks };
        var bundle = BundleTrainer.Fit(layout, BundleTrainer.Featurize(layout, Blocks), new KMeansOptions { Seed = 1 });

        var error = Assert.Throws<InvalidOperationException>(() => bundle.CreateScorer().Hold(Blocks, [.. Blocks.Select(_ => (object?)null)], []));

        Assert.Contains("holds no blocks", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ConfirmationsOnAnotherStream_NamesTheField()
    {
        var layout = new BundleLayout { Stream = Topics.ChainTransactions, Confirmations = 2 };

        var error = Assert.Throws<ArgumentException>(layout.Validate);

        Assert.Equal("Confirmations", error.ParamName);
    }

    private static List<BlockEvent> TakeBlocks(int count)
    {
        var world = new ScenarioWorld(new ScenarioDefinition { Name = "confirmations", Clusters = 4 }, 3);
        return [.. world.Stream(ProducerDomains.Chain).Where(m => m.Topic == Topics.ChainBlocks).Take(count).Select(m => AvroSingleObject.Decode<BlockEvent>(m.Value))];
    }
}
